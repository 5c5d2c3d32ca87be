"""Settings: built-in defaults < config.toml (or $MINYI_CONFIG) < MINYI_* environment variables.

Every key is a dotted name (``wechat.appid``); its environment variable is ``MINYI_`` plus the
name upper-cased with dots as underscores (``MINYI_WECHAT_APPID``). A bad value stops start-up
with a ``ConfigError`` that names the key.
"""

from __future__ import annotations

import base64
import binascii
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WECHAT_API = "https://api.weixin.qq.com/cgi-bin/"

DEFAULTS: dict[str, Any] = {
    "database_url": "sqlite:///instance/minyi.sqlite3",
    "redis_url": "",
    "secret_key": "",
    "wechat.appid": "",
    "wechat.secret": "",
    "wechat.token": "",
    "wechat.aes_key": "",
    "wechat.previous_aes_key": "",
    "wechat.api_base_url": WECHAT_API,
    "wechat.allow_plaintext": False,
    "wechat.sandbox": False,
    "wechat.template_case_notice": "",
    "wechat.template_case_notice_fields": "character_string1=number,thing2=text,time3=time",
    "wechat.template_case_progress": "",
    "wechat.template_case_progress_fields": "character_string1=number,thing2=text,time3=time",
    "webhook.max_body_bytes": 65536,
    "webhook.replay_window_seconds": 300,
    "webhook.dedup_ttl_seconds": 900,
    "intake.join_window_minutes": 10,
    "intake.nearest_contact_points": 3,
    "intake.nearest_max_km": 20,
    "cases.take_within_working_hours": 8,
    "cases.refusal_reasons": ("not_ours=不属于本单位职责,unclear=诉求不明确需补充,elsewhere=已在其他渠道办理,"
                              "several=涉及多部门需协调"),
    "outbox.concurrency": 8,
    "outbox.claim_seconds": 120,
    "media.dir": "instance/media",
    "spool.dir": "instance/spool",
    "scheduler.poll_seconds": 2,
    "posters.font_path": "",
    "posters.reply_working_days": 5,
    "console.secure_cookies": False,
    "routing.category_tree": "",
    "routing.category_phrases": "",
    "routing.rules": "",
    "routing.retrain_after_decisions": 50,
    # Deadlines in working days and the holiday calendar they are counted in (cases.deadlines, cases.calendar).
    "calendar.holidays": "",
    "deadlines.representative_working_days": 5,
    "deadlines.subdistrict_working_days": 10,
    "deadlines.department_working_days": 15,
    "deadlines.higher_congress_days": 90,
    "deadlines.red_working_days": 1,
    "deadlines.claim_working_hours": 8,
    "deadlines.remind_before_working_hours": 8,
    # Representatives' duty records (cases.duty): points per item, for the congress office's own use.
    "duty.points": ("received=1,taken_in_time=2,answered=3,passed_on=1,reception=5,visit=3,research=3,"
                    "inspection=3,satisfied=1"),
    # Contact points' public pages (public/): how many answered cases each shows.
    "public.cases_shown": 20,
    # The monthly report workbooks (scheduler.reports).
    "reports.dir": "instance/reports",
    # Residents' ratings of answers (验单; cases.ratings, scheduler.ratings, bot.rating_page).
    "ratings.expire_days": 7,
    "ratings.base_url": "",
}

# What sandbox mode fills in: an account that exists only in the app's own fake of WeChat.
SANDBOX_ACCOUNT: dict[str, Any] = {
    "wechat.appid": "wxsandbox00000000",
    "wechat.secret": "sandbox-secret",
    "wechat.token": "sandbox-token",
    "wechat.aes_key": "c2FuZGJveHNhbmRib3hzYW5kYm94c2FuZGJveDAxMjM",
    "wechat.allow_plaintext": True,  # the simulator speaks both plaintext and safe mode
    "wechat.template_case_notice": "sandbox-case-notice",
    "wechat.template_case_progress": "sandbox-case-progress",
}

DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")


class ConfigError(ValueError):
    """A configuration value is missing or wrong; the message names the key."""

    def __init__(self, key: str, problem: str):
        self.key = key
        super().__init__(f"config key {key!r} ({env_name(key)}): {problem}")


def env_name(key: str) -> str:
    return "MINYI_" + key.upper().replace(".", "_")


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    secret_key: str
    wechat_appid: str
    wechat_secret: str
    wechat_token: str
    wechat_aes_key: str
    wechat_previous_aes_key: str
    wechat_api_base_url: str
    wechat_allow_plaintext: bool
    wechat_sandbox: bool
    wechat_template_case_notice: str
    wechat_template_case_notice_fields: str
    wechat_template_case_progress: str
    wechat_template_case_progress_fields: str
    webhook_max_body_bytes: int
    webhook_replay_window_seconds: int
    webhook_dedup_ttl_seconds: int
    intake_join_window_minutes: int
    intake_nearest_contact_points: int
    intake_nearest_max_km: int
    cases_take_within_working_hours: int
    cases_refusal_reasons: str
    outbox_concurrency: int
    outbox_claim_seconds: int
    media_dir: str
    spool_dir: str
    scheduler_poll_seconds: int
    posters_font_path: str
    posters_reply_working_days: int
    console_secure_cookies: bool
    routing_category_tree: str
    routing_category_phrases: str
    routing_rules: str
    routing_retrain_after_decisions: int
    calendar_holidays: str
    deadlines_representative_working_days: int
    deadlines_subdistrict_working_days: int
    deadlines_department_working_days: int
    deadlines_higher_congress_days: int
    deadlines_red_working_days: int
    deadlines_claim_working_hours: int
    deadlines_remind_before_working_hours: int
    duty_points: str
    public_cases_shown: int
    reports_dir: str
    ratings_expire_days: int
    ratings_base_url: str

    @property
    def wechat_configured(self) -> bool:
        return bool(self.wechat_appid and self.wechat_secret)

    def template(self, kind: str) -> tuple[str, dict[str, str]]:
        """The template id configured for ``kind`` (case_notice / case_progress) and its field
        map, template key → our value's name; ("", {}) when none is configured."""
        template_id = getattr(self, f"wechat_template_{kind}")
        return template_id, (parse_template_fields(getattr(self, f"wechat_template_{kind}_fields"))
                             if template_id else {})

    @property
    def refusal_reasons(self) -> dict[str, str]:
        """Why a department may refuse a case (退单), code → label, in the configured order."""
        return parse_refusal_reasons(self.cases_refusal_reasons)

    @property
    def duty_point_rules(self) -> dict[str, int]:
        """Points per item of a representative's duty record (积分制), item → points."""
        from cases.duty import parse_point_rules

        return parse_point_rules(self.duty_points)

    @property
    def accepts_plaintext(self) -> bool:
        """Plaintext bodies are not signed: with an AES key, only encrypted ones are believed."""
        return not self.wechat_aes_key or self.wechat_allow_plaintext


TEMPLATE_VALUES = ("number", "text", "time")


def parse_template_fields(spec: str) -> dict[str, str]:
    """"character_string1=number,thing2=text,time3=time" → {"character_string1": "number", …}."""
    fields: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in spec.split(","))):
        key, _, value = pair.partition("=")
        if not key.strip() or value.strip() not in TEMPLATE_VALUES:
            raise ValueError(f"{pair!r} is not key=value with value one of {', '.join(TEMPLATE_VALUES)}")
        fields[key.strip()] = value.strip()
    return fields


REASON_CODE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def parse_refusal_reasons(spec: str) -> dict[str, str]:
    """"not_ours=不属于本单位职责,unclear=诉求不明确需补充" → {"not_ours": "不属于本单位职责", …}. The
    code is what the ledger counts (lower-case letters, digits, _; at most 32), the label what
    people read."""
    reasons: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in spec.split(","))):
        code, _, label = (piece.strip() for piece in pair.partition("="))
        if not code or len(code) > 32 or not set(code) <= REASON_CODE_CHARS or not label or code in reasons:
            raise ValueError(f"{pair!r} is not code=label with a new code of a-z, 0-9 and _ (at most 32)")
        reasons[code] = label
    if not reasons:
        raise ValueError("at least one reason is needed")
    return reasons


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, key + "."))
        else:
            flat[key] = value
    return flat


def _coerce(key: str, value: Any) -> Any:
    default = DEFAULTS[key]
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "false", "0", "no", ""):
            return value.strip().lower() in ("true", "1", "yes")
        raise ConfigError(key, f"expected true or false, got {value!r}")
    if isinstance(default, int):
        if isinstance(value, bool):
            raise ConfigError(key, f"expected a whole number, got {value!r}")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(key, f"expected a whole number, got {value!r}") from None
        if number <= 0:
            raise ConfigError(key, f"must be positive, got {number}")
        return number
    if not isinstance(value, str):
        raise ConfigError(key, f"expected a string, got {value!r}")
    return value.strip()


def _validate(values: dict[str, Any]) -> None:
    url = values["database_url"]
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in DATABASE_SCHEMES:
        raise ConfigError(
            "database_url",
            f"unknown database scheme {scheme or url!r}; use sqlite:/// or postgresql+psycopg://",
        )
    redis_url = values["redis_url"]
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("redis_url", f"expected redis://host:port/db, got {redis_url!r}")
    aes_key = values["wechat.aes_key"]
    for key in ("wechat.aes_key", "wechat.previous_aes_key"):
        _check_aes_key(key, values[key])
    if values["wechat.previous_aes_key"] and not aes_key:
        raise ConfigError("wechat.previous_aes_key", "the previous EncodingAESKey needs the current one, wechat.aes_key")
    if aes_key and not values["wechat.token"]:
        raise ConfigError("wechat.token", "safe mode (wechat.aes_key) also needs the callback token")
    if aes_key and not values["wechat.appid"]:
        raise ConfigError("wechat.appid", "safe mode (wechat.aes_key) checks messages against the AppID")
    if bool(values["wechat.appid"]) != bool(values["wechat.secret"]):
        missing = "wechat.secret" if values["wechat.appid"] else "wechat.appid"
        raise ConfigError(missing, "wechat.appid and wechat.secret go together")
    try:
        parse_refusal_reasons(values["cases.refusal_reasons"])
    except ValueError as error:
        raise ConfigError("cases.refusal_reasons", str(error)) from None
    from cases.duty import parse_point_rules

    try:
        parse_point_rules(values["duty.points"])
    except ValueError as error:
        raise ConfigError("duty.points", str(error)) from None
    for key in ("wechat.template_case_notice_fields", "wechat.template_case_progress_fields"):
        try:
            parse_template_fields(values[key])
        except ValueError as error:
            raise ConfigError(key, str(error)) from None
    if not values["wechat.api_base_url"].endswith("/"):
        raise ConfigError("wechat.api_base_url", "must end with '/'")
    if values["ratings.base_url"] and not values["ratings.base_url"].startswith(("https://", "http://")):
        raise ConfigError("ratings.base_url", "expected the site's address, e.g. https://minyi.example.gov.cn")
    _validate_deadlines(values)


def _validate_deadlines(values: dict[str, Any]) -> None:
    """The holiday file reads (once per process), and the poster prints the representative's promise."""
    from cases.calendar import CalendarError, load_calendar

    try:
        load_calendar(values["calendar.holidays"])
    except CalendarError as error:
        raise ConfigError("calendar.holidays", str(error)) from None
    promise = values["deadlines.representative_working_days"]
    if values["posters.reply_working_days"] != promise:
        raise ConfigError("posters.reply_working_days", f"the posters print the representative's promise: set it "
                          f"to deadlines.representative_working_days ({promise}) too")


def _check_aes_key(key: str, aes_key: str) -> None:
    if not aes_key:
        return
    if len(aes_key) != 43:
        raise ConfigError(key, f"EncodingAESKey must be 43 characters, got {len(aes_key)}")
    try:
        decoded = base64.b64decode(aes_key + "=", validate=True)
    except binascii.Error:
        decoded = b""
    if len(decoded) != 32:
        raise ConfigError(key, "EncodingAESKey must be 43 characters of A-Z, a-z and 0-9")


def _enter_sandbox(values: dict[str, Any]) -> None:
    """Sandbox mode talks only to the app's own fake of WeChat, never to a real account."""
    if values["wechat.appid"] not in ("", SANDBOX_ACCOUNT["wechat.appid"]) or values["wechat.secret"] not in (
        "", SANDBOX_ACCOUNT["wechat.secret"]
    ):
        raise ConfigError("wechat.sandbox", "sandbox mode refuses to start with a real AppID and secret configured")
    if values["wechat.api_base_url"] == WECHAT_API:
        raise ConfigError(
            "wechat.api_base_url",
            "sandbox mode needs the app's own fake API, e.g. http://127.0.0.1:5000/sandbox/api/cgi-bin/ "
            "(minyi run sets it)",
        )
    for key, value in SANDBOX_ACCOUNT.items():
        if key in ("wechat.appid", "wechat.secret", "wechat.allow_plaintext") or not values[key]:
            values[key] = value


def load_values(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Every key's value after the layers, each value checked on its own; ``load_settings``
    then applies sandbox mode and the rules that relate keys."""
    environ = os.environ if environ is None else environ
    values = dict(DEFAULTS)

    path = environ.get("MINYI_CONFIG") or "config.toml"
    if Path(path).is_file():
        try:
            with open(path, "rb") as handle:
                from_file = _flatten(tomllib.load(handle))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError("MINYI_CONFIG", f"{path} is not valid TOML: {error}") from None
        for key, value in from_file.items():
            if key not in DEFAULTS:
                raise ConfigError(key, f"unknown key in {path}")
            values[key] = _coerce(key, value)
    elif "MINYI_CONFIG" in environ:
        raise ConfigError("MINYI_CONFIG", f"file {path} does not exist")

    for key in DEFAULTS:
        if env_name(key) in environ:
            values[key] = _coerce(key, environ[env_name(key)])
    for key, value in (overrides or {}).items():
        if key not in DEFAULTS:
            raise ConfigError(key, "unknown key")
        values[key] = _coerce(key, value)
    return values


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the layers in order; ``overrides`` (tests, tools) sit above the environment."""
    values = load_values(overrides, environ)
    if values["wechat.sandbox"]:
        _enter_sandbox(values)
    _validate(values)
    settings = Settings(**{key.replace(".", "_"): value for key, value in values.items()})
    from cases import deadlines

    deadlines.configure(settings)   # the promises and calendar cases.actions.perform uses
    return settings
