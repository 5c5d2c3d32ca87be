"""The fake of WeChat's API (``/sandbox/api/cgi-bin/...``): the one fake the app and the tests use.

It answers with WeChat's response shapes and error codes and enforces what WeChat enforces (the
rules themselves are described in ``sandbox.world``): separate cgi-bin/token and stable_token
tokens on the app's clock (41001 missing, 40001 replaced, 42001 expired; force_refresh 20 a day,
30 s apart), customer-service windows (45015, 45047), known openids (40003), followers (43004),
the account's templates and WeChat's rules for their typed fields (40037, 47003), client_msg_id,
delivery receipts (TEMPLATESENDJOBFINISH, posted by ``sandbox.events``), temporary media for 3
days (40007). It records every call and puts every message it delivers on the receiving phone's chat.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request, send_file, url_for

from bot.services import services
from qr.codes import qr_png
from sandbox.world import TOKEN_SECONDS, Follower, World

bp = Blueprint("sandbox_api", __name__, url_prefix="/sandbox/api/cgi-bin")

ERRORS = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40007: "invalid media_id",
    40013: "invalid appid",
    40037: "invalid template_id",
    40053: "invalid action info, please check document",
    40125: "invalid appsecret",
    41001: "access_token missing",
    42001: "access_token expired",
    43004: "require subscribe",
    44002: "empty post data",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
    47003: "argument invalid!",
}

# The templates this sandbox account has chosen from WeChat's library (模板消息 → 我的模板): each
# data key is a type (its prefix, see VALUE_RULES) and a number.
TEMPLATES = {
    "sandbox-case-progress": {
        "title": "事项进度提醒",
        "fields": {"character_string1": "编号", "thing2": "办理进度", "time3": "更新时间"},
    },
    "sandbox-case-notice": {
        "title": "新事项提醒",
        "fields": {"character_string1": "编号", "thing2": "事项内容", "time3": "提交时间"},
    },
}
MEDIA_TYPES = {"image": 10 * 1024 * 1024, "voice": 2 * 1024 * 1024, "video": 10 * 1024 * 1024,
               "thumb": 64 * 1024}
CUSTOM_TYPES = ("text", "image", "voice", "video", "news", "mpnews")
STABLE_RENEW_SECONDS = 300   # stable_token normal mode renews in a token's last 5 minutes ...
BASIC_OVERLAP_SECONDS = 300  # ... and cgi-bin/token's replaced token works 5 minutes more
RECEIPT_BLOCKED = "failed:user block"
RECEIPT_OK = "success"


@bp.before_request
def _allow_media() -> None:
    # The app's own limit is the webhook's (64 KB); media uploads may reach 10 MB.
    request.max_content_length = max(MEDIA_TYPES.values()) + 64 * 1024


class Refusal(Exception):
    def __init__(self, errcode: int, errmsg: str | None = None):
        super().__init__(errcode)
        self.errcode = errcode
        self.errmsg = errmsg or ERRORS.get(errcode, "error")


def world() -> World:
    return World(services().redis)


def _now() -> float:
    return services().clock.time()


def _answer(endpoint: str, handler: Callable[[], dict[str, Any] | Response], *, token: bool = True):
    """Run one API call the way WeChat does: latency, queued fault, token check, then the call
    itself. WeChat answers errors with HTTP 200 and an errcode; so does the fake."""
    latency = world().latency()
    if latency:
        time.sleep(latency / 1000)
    body = request.get_json(silent=True, force=True) if request.data else None
    call: dict[str, Any] = {"at": _now(), "method": request.method, "endpoint": endpoint,
                            "query": {k: v for k, v in request.args.items() if k != "access_token"},
                            "body": body}
    try:
        fault = world().take_fault(endpoint)
        if fault is not None:
            raise Refusal(fault)
        if token:
            _check_token(request.args.get("access_token"))
        result = handler()
    except Refusal as refusal:
        result = {"errcode": refusal.errcode, "errmsg": f"{refusal.errmsg} rid: {secrets.token_hex(6)}"}
    call["errcode"] = result.get("errcode", 0) if isinstance(result, dict) else 0
    world().record_call(call)
    return jsonify(result) if isinstance(result, dict) else result


def _check_token(supplied: str | None) -> None:
    if not supplied:
        raise Refusal(41001)
    problem = world().token_error(supplied, _now())
    if problem is not None:
        raise Refusal(problem)


def _json_body() -> dict[str, Any]:
    if not request.data:
        raise Refusal(44002)
    try:
        body = json.loads(request.data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refusal(47001) from None
    if not isinstance(body, dict):
        raise Refusal(47001)
    return body


def _check_credentials(appid: Any, secret: Any) -> None:
    settings = services().settings
    if appid != settings.wechat_appid:
        raise Refusal(40013)
    if not isinstance(secret, str) or not secrets.compare_digest(secret, settings.wechat_secret):
        raise Refusal(40125)


# -- access tokens ------------------------------------------------------------------------------
@bp.get("/token")
def token():
    """getAccessToken: always a new token; the one it replaces works 5 minutes more (WeChat's
    overlap for a smooth switch). The stable token is untouched: the two never affect each other."""
    def handle():
        if request.args.get("grant_type") != "client_credential":
            raise Refusal(40002 if request.args.get("grant_type") else 47001)
        _check_credentials(request.args.get("appid"), request.args.get("secret", ""))
        issued = world().issue_token("basic", _now(), previous_valid_for=BASIC_OVERLAP_SECONDS)
        return {"access_token": issued, "expires_in": TOKEN_SECONDS}
    return _answer("token", handle, token=False)


@bp.post("/stable_token")
def stable_token():
    def handle():
        body = _json_body()
        if body.get("grant_type") != "client_credential":
            raise Refusal(40002 if body.get("grant_type") else 47001)
        _check_credentials(body.get("appid"), body.get("secret", ""))
        if body.get("force_refresh") is True:
            return _forced_stable_token()
        return _stable_token()
    return _answer("stable_token", handle, token=False)


def _stable_token() -> dict[str, Any]:
    """Normal mode: the current token and its remaining seconds; in its last 5 minutes a new one
    (the old one keeps working to its end), so expires_in is never under 300."""
    now = _now()
    current = world().current_token("stable", now)
    if current is not None and current[1] >= STABLE_RENEW_SECONDS:
        return {"access_token": current[0], "expires_in": int(current[1])}
    issued = world().issue_token("stable", now, previous_valid_for=None)
    return {"access_token": issued, "expires_in": TOKEN_SECONDS}


def _forced_stable_token() -> dict[str, Any]:
    """Force mode kills the previous stable token at once; 20 a day (45009 after), and within 30 s
    of the last one WeChat does not refresh: it answers as in normal mode."""
    now = _now()
    claim = world().claim_forced_refresh(now)
    if claim == "over_limit":
        raise Refusal(45009)
    if claim == "too_soon":
        return _stable_token()
    issued = world().issue_token("stable", now, previous_valid_for=0)
    return {"access_token": issued, "expires_in": TOKEN_SECONDS}


@bp.post("/qrcode/create")
def qrcode_create():
    def handle():
        body = _json_body()
        action = body.get("action_name")
        scene = (body.get("action_info") or {}).get("scene") or {}
        if action in ("QR_LIMIT_STR_SCENE", "QR_STR_SCENE"):
            value = scene.get("scene_str")
            if not isinstance(value, str) or not 1 <= len(value) <= 64:
                raise Refusal(40053)
        elif action in ("QR_LIMIT_SCENE", "QR_SCENE"):
            value = scene.get("scene_id")
            if not isinstance(value, int) or value <= 0:
                raise Refusal(40053)
            value = str(value)
        else:
            raise Refusal(40053)
        permanent = action.startswith("QR_LIMIT")
        expire = None if permanent else min(int(body.get("expire_seconds") or 60), 30 * 24 * 3600)
        record = world().create_qr(value, permanent, expire, _now())
        answer = {"ticket": record["ticket"], "url": record["url"]}
        if not permanent:
            answer["expire_seconds"] = expire
        return answer
    return _answer("qrcode/create", handle)


@bp.get("/showqrcode")
def showqrcode():
    """WeChat serves this on mp.weixin.qq.com without a token; minyi draws its own codes."""
    def handle():
        record = world().qr_by_ticket(request.args.get("ticket", ""))
        if record is None or (record["expires_at"] and record["expires_at"] < _now()):
            return Response("ticket not found", status=404)
        return Response(qr_png(record["url"]), mimetype="image/png")
    return _answer("showqrcode", handle, token=False)


# -- pushing to a user ------------------------------------------------------------------------------
def _known_follower(openid: Any) -> Follower:
    """The user a push is for: 40003 for an openid WeChat never issued for this account."""
    if not isinstance(openid, str) or not openid:
        raise Refusal(40003)
    follower = world().follower(openid)
    if not follower.known:
        raise Refusal(40003)
    return follower


def _custom_entry(kind: str, message: dict[str, Any]) -> dict[str, Any]:
    """What the phone shows for one customer-service message, once its content is checked."""
    entry: dict[str, Any] = {"at": _now(), "side": "account", "via": "custom", "kind": kind}
    if kind == "text":
        content = message.get("content")
        if not isinstance(content, str) or not content:
            raise Refusal(47001)
        entry["text"] = content
        return entry
    media_id = message.get("media_id")
    if kind in ("image", "voice", "video") and world().media(str(media_id), _now()) is None:
        raise Refusal(40007)
    entry["media_id"] = media_id
    return entry


@bp.post("/message/custom/send")
def custom_send():
    """客服消息: only inside a window the user opened; a user who unfollowed gets 45015."""
    def handle():
        body = _json_body()
        kind = body.get("msgtype")
        if kind not in CUSTOM_TYPES or not isinstance(body.get(kind), dict):
            raise Refusal(47001)
        follower = _known_follower(body.get("touser"))
        if not follower.subscribed:
            raise Refusal(45015)
        entry = _custom_entry(kind, body[kind])
        spent = world().spend_window(follower.openid, _now())
        if spent:
            raise Refusal(spent)
        world().append_chat(follower.openid, entry)
        return {"errcode": 0, "errmsg": "ok"}
    return _answer("message/custom/send", handle)


# -- template fields: each data key's prefix is its type, with WeChat's rules for its value -------
# Dates as 2019年10月1日, 2019年10月, 10月1日 or joined by -, / or . (2018-01-01, 2018-01, 01-01);
# times as HH:MM or HH:MM:SS. ASCII digits only: [0-9], as \d would take full-width ones too.
_MONTH, _DAY, _YEAR = r"(?:0?[1-9]|1[0-2])", r"(?:0?[1-9]|[12][0-9]|3[01])", r"[0-9]{4}"
_DATE = (rf"(?:{_YEAR}年{_MONTH}月{_DAY}日|{_YEAR}年{_MONTH}月|{_MONTH}月{_DAY}日"
         rf"|{_YEAR}([-/.]){_MONTH}\1{_DAY}|{_YEAR}-{_MONTH}|{_MONTH}-{_DAY})")
_CLOCK = r"(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?"
_TIME_POINT = re.compile(rf"(?:{_DATE} ?)?{_CLOCK}")
_DATE_POINT = re.compile(rf"{_DATE}(?: ?{_CLOCK})?")


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _is_symbol(char: str) -> bool:
    """WeChat's 符号: a common character other than Chinese, letters and digits; no control characters."""
    return char.isprintable() and not char.isspace() and not char.isalnum()


def _is_ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _points(value: str, pattern: re.Pattern[str]) -> bool:
    """A time or date, or a period of two joined by "~"."""
    parts = value.split("~")
    return len(parts) <= 2 and all(pattern.fullmatch(part.strip()) for part in parts)


def _is_name(value: str) -> bool:
    """10 Chinese characters (a mixed name counts as Chinese), or 20 letters or symbols."""
    if not all(_is_cjk(c) or (c.isascii() and c.isalpha()) or _is_symbol(c) for c in value):
        return False
    return len(value) <= (10 if any(_is_cjk(c) for c in value) else 20)


def _is_car_number(value: str) -> bool:
    """8 at most; letters and digits, the first and the last may be Chinese (粤A8Z888挂)."""
    if not 1 <= len(value) <= 8:
        return False
    ends_ok = all(_is_ascii_alnum(c) or _is_cjk(c) for c in (value[0], value[-1]))
    return ends_ok and all(_is_ascii_alnum(c) for c in value[1:-1])


def _is_amount(value: str) -> bool:
    """One currency sign, then 10 digits at most, maybe with decimals, maybe ending in 元 (¥39.80)."""
    found = re.fullmatch(r"[¥￥$€£]([0-9]+(?:\.[0-9]+)?)元?", value)
    return found is not None and sum(c.isdigit() for c in found.group(1)) <= 10


VALUE_RULES: dict[str, Callable[[str], bool]] = {
    "thing": lambda v: 1 <= len(v) <= 20 and v.isprintable(),
    "number": lambda v: len(v) <= 32 and re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", v) is not None,
    "letter": lambda v: re.fullmatch(r"[A-Za-z]{1,32}", v) is not None,
    "symbol": lambda v: 1 <= len(v) <= 5 and all(_is_symbol(c) for c in v),
    "character_string": lambda v: 1 <= len(v) <= 32 and all(
        c.isascii() and (c.isalnum() or _is_symbol(c)) for c in v),
    "time": lambda v: _points(v, _TIME_POINT),
    "date": lambda v: _points(v, _DATE_POINT),
    "amount": _is_amount,
    "phone_number": lambda v: 1 <= len(v) <= 17 and all((c.isascii() and c.isdigit()) or _is_symbol(c) for c in v),
    "car_number": _is_car_number,
    "name": lambda v: bool(v) and _is_name(v),
    "phrase": lambda v: 1 <= len(v) <= 5 and all(_is_cjk(c) for c in v),
}


def _value_ok(key: str, value: Any) -> bool:
    """A key's type is its prefix (thing2 → thing); a prefix WeChat documents no rule for
    (const, enum, old keyword templates) takes any text."""
    if not isinstance(value, str):
        return False
    rule = VALUE_RULES.get(re.sub(r"\d+$", "", key))
    return rule is None or rule(value)


def _check_template_data(template: dict[str, Any], data: Any) -> dict[str, str]:
    """The template's values by key; 47003 naming the first bad field as WeChat does."""
    if not isinstance(data, dict):
        raise Refusal(47001)
    values: dict[str, str] = {}
    for key in [*template["fields"], *(key for key in data if key not in template["fields"])]:
        item = data.get(key)
        value = item.get("value") if isinstance(item, dict) else None
        if key not in template["fields"] or not _value_ok(key, value):
            raise Refusal(47003, f"argument invalid! data.{key}.value invalid")
        values[key] = value
    return values


def _template_card(template: dict[str, Any], values: dict[str, str], via: str, link: Any) -> dict[str, Any]:
    return {"at": _now(), "side": "account", "via": via, "kind": "template", "title": template["title"],
            "lines": [f"{label}：{values[key]}" for key, label in template["fields"].items()], "url": link}


def _accepted_template(body: dict[str, Any]) -> tuple[Follower, dict[str, Any], dict[str, str]]:
    """The checks a template push passes before WeChat takes it: template, openid, follow, data."""
    template = TEMPLATES.get(body.get("template_id"))
    if template is None:
        raise Refusal(40037)
    follower = _known_follower(body.get("touser"))
    if not follower.subscribed:
        raise Refusal(43004)
    return follower, template, _check_template_data(template, body.get("data"))


@bp.post("/message/template/send")
def template_send():
    """模板消息: not bound to any window. The outcome comes later as a TEMPLATESENDJOBFINISH event."""
    def handle():
        body = _json_body()
        follower, template, values = _accepted_template(body)
        msgid = world().next_msgid()
        client_msg_id = body.get("client_msg_id")
        if client_msg_id not in (None, ""):
            first = world().claim_client_msg(follower.openid, str(client_msg_id), msgid, _now())
            if first != msgid:  # the same openid + client_msg_id within 10 minutes: sent once
                return {"errcode": 0, "errmsg": "ok", "msgid": first}
        status = world().take_job_fault() or (RECEIPT_BLOCKED if follower.templates_blocked else RECEIPT_OK)
        if status == RECEIPT_OK:
            world().append_chat(follower.openid, _template_card(template, values, "template", body.get("url")))
        world().queue_job_event(follower.openid, msgid, status, _now())
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}
    return _answer("message/template/send", handle)


@bp.post("/message/subscribe/bizsend")
def subscribe_send():
    """订阅通知: needs the user's one-off consent, which the sandbox treats as given."""
    def handle():
        body = _json_body()
        follower, template, values = _accepted_template(body)
        world().append_chat(follower.openid, _template_card(template, values, "subscribe", body.get("page")))
        return {"errcode": 0, "errmsg": "ok"}
    return _answer("message/subscribe/bizsend", handle)


# -- temporary media ----------------------------------------------------------------------------
@bp.post("/media/upload")
def media_upload():
    def handle():
        kind = request.args.get("type", "")
        if kind not in MEDIA_TYPES:
            raise Refusal(40004)
        upload = request.files.get("media")
        if upload is None:
            raise Refusal(44002)
        data = upload.read(MEDIA_TYPES[kind] + 1)
        if not data or len(data) > MEDIA_TYPES[kind]:
            raise Refusal(40004 if data else 44002)
        now = _now()
        media_id = world().store_media(kind, data, upload.mimetype or "application/octet-stream",
                                       upload.filename or "media", now)
        return {"type": kind, "media_id": media_id, "created_at": int(now)}
    return _answer("media/upload", handle)


@bp.get("/media/get")
def media_get():
    """The file itself; for a video WeChat answers JSON with a download address instead. Media
    older than 3 days is gone (40007)."""
    def handle():
        media_id = request.args.get("media_id", "")
        media = world().media(media_id, _now())
        if media is None:
            raise Refusal(40007)
        if media["type"] == "video":
            return {"video_url": url_for("sandbox.media", media_id=media_id, _external=True)}
        return send_file(io.BytesIO(media["data"]), mimetype=media["content_type"],
                         download_name=media["filename"])
    return _answer("media/get", handle)
