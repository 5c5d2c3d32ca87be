"""The fake of WeChat's API (``/sandbox/api/cgi-bin/...``): the one fake the app and the tests use.

It answers with WeChat's response shapes and error codes, enforces what WeChat enforces (a new
token kills the old one, 43004 for non-followers, 45015 once the 48-hour window has passed,
45047 after 5 customer-service messages in a window), records every call, and puts every message
it accepts on the receiving phone's chat.
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request, send_file

from bot.services import services
from qr.codes import qr_png
from sandbox.world import SERVICE_WINDOW_MESSAGES, SERVICE_WINDOW_SECONDS, World

bp = Blueprint("sandbox_api", __name__, url_prefix="/sandbox/api/cgi-bin")

ERRORS = {
    -1: "system error",
    40002: "invalid grant_type",
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid",
    40004: "invalid media type",
    40007: "invalid media_id",
    40013: "invalid appid",
    40037: "invalid template_id",
    40053: "invalid action info, please check document",
    40125: "invalid appsecret",
    41001: "access_token missing",
    43004: "require subscribe",
    44002: "empty post data",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
}

# The templates this sandbox account has added from WeChat's library (模板消息 → 我的模板).
TEMPLATES = {
    "sandbox-case-notice": {
        "title": "案件进度通知",
        "fields": {"keyword1": "案件编号", "keyword2": "办理进度", "keyword3": "时间"},
    },
}
MEDIA_TYPES = {"image": 10 * 1024 * 1024, "voice": 2 * 1024 * 1024, "video": 10 * 1024 * 1024,
               "thumb": 64 * 1024}
CUSTOM_TYPES = ("text", "image", "voice", "video", "news", "mpnews")


@bp.before_request
def _allow_media() -> None:
    # The app's own limit is the webhook's (64 KB); media uploads may reach 10 MB.
    request.max_content_length = max(MEDIA_TYPES.values()) + 64 * 1024


class Refusal(Exception):
    def __init__(self, errcode: int):
        self.errcode = errcode


def world() -> World:
    return World(services().redis)


def _now() -> float:
    return services().clock.time()


def _answer(endpoint: str, handler: Callable[[], dict[str, Any] | Response], *, token: bool = True):
    """Run one API call the way WeChat does: queued fault, token check, then the call itself.
    WeChat answers errors with HTTP 200 and an errcode; so does the fake."""
    body = request.get_json(silent=True, force=True) if request.data else None
    call: dict[str, Any] = {"at": _now(), "method": request.method, "endpoint": endpoint,
                            "query": {k: v for k, v in request.args.items() if k != "access_token"},
                            "body": body}
    try:
        fault = world().take_fault(endpoint)
        if fault is not None:
            raise Refusal(fault)
        if token:
            supplied = request.args.get("access_token")
            if not supplied:
                raise Refusal(41001)
            if not world().token_valid(supplied):
                raise Refusal(40001)
        result = handler()
    except Refusal as refusal:
        result = {"errcode": refusal.errcode, "errmsg": f"{ERRORS.get(refusal.errcode, 'error')} rid: {secrets.token_hex(6)}"}
    call["errcode"] = result.get("errcode", 0) if isinstance(result, dict) else 0
    world().record_call(call)
    return jsonify(result) if isinstance(result, dict) else result


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


def _token_answer(force: bool) -> dict[str, Any]:
    current = None if force else world().current_token()
    if current is not None:
        return {"access_token": current[0], "expires_in": current[1]}
    return {"access_token": world().issue_token(), "expires_in": 7200}


@bp.get("/token")
def token():
    def handle():
        if request.args.get("grant_type") != "client_credential":
            raise Refusal(40002 if request.args.get("grant_type") else 47001)
        _check_credentials(request.args.get("appid"), request.args.get("secret", ""))
        return _token_answer(force=True)  # cgi-bin/token always issues a new token
    return _answer("token", handle, token=False)


@bp.post("/stable_token")
def stable_token():
    def handle():
        body = _json_body()
        if body.get("grant_type") != "client_credential":
            raise Refusal(47001)
        _check_credentials(body.get("appid"), body.get("secret", ""))
        return _token_answer(force=bool(body.get("force_refresh")))
    return _answer("stable_token", handle, token=False)


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


def _follower_for_push(openid: Any, *, window: bool):
    if not isinstance(openid, str) or not openid:
        raise Refusal(40003)
    follower = world().follower(openid)
    if not follower.subscribed:
        raise Refusal(43004)
    if window:
        if follower.last_interaction is None or _now() - follower.last_interaction > SERVICE_WINDOW_SECONDS:
            raise Refusal(45015)
        if follower.pushes_in_window >= SERVICE_WINDOW_MESSAGES:
            raise Refusal(45047)
    return follower


@bp.post("/message/custom/send")
def custom_send():
    def handle():
        body = _json_body()
        kind = body.get("msgtype")
        if kind not in CUSTOM_TYPES or not isinstance(body.get(kind), dict):
            raise Refusal(47001)
        follower = _follower_for_push(body.get("touser"), window=True)
        entry: dict[str, Any] = {"at": _now(), "side": "account", "via": "custom", "kind": kind}
        if kind == "text":
            content = body["text"].get("content")
            if not isinstance(content, str) or not content:
                raise Refusal(47001)
            entry["text"] = content
        else:
            media_id = body[kind].get("media_id")
            if kind in ("image", "voice", "video") and world().media(str(media_id)) is None:
                raise Refusal(40007)
            entry["media_id"] = media_id
        world().count_push(follower.openid)
        world().append_chat(follower.openid, entry)
        return {"errcode": 0, "errmsg": "ok"}
    return _answer("message/custom/send", handle)


def _deliver_template(via: str, link_field: str) -> None:
    """A template message or a subscription notice: both fill a template from the account's list."""
    body = _json_body()
    template = TEMPLATES.get(body.get("template_id"))
    if template is None:
        raise Refusal(40037)
    data = body.get("data")
    if not isinstance(data, dict):
        raise Refusal(47001)
    follower = _follower_for_push(body.get("touser"), window=False)
    lines = [f"{label}：{data[field]['value']}" for field, label in template["fields"].items()
             if isinstance(data.get(field), dict) and isinstance(data[field].get("value"), str)]
    world().append_chat(follower.openid, {
        "at": _now(), "side": "account", "via": via, "kind": "template", "title": template["title"],
        "lines": lines, "url": body.get(link_field),
    })


@bp.post("/message/template/send")
def template_send():
    def handle():
        _deliver_template("template", "url")
        return {"errcode": 0, "errmsg": "ok", "msgid": secrets.randbelow(10**15)}
    return _answer("message/template/send", handle)


@bp.post("/message/subscribe/bizsend")
def subscribe_send():
    """订阅通知: needs the user's one-off consent, which the sandbox treats as given."""
    def handle():
        _deliver_template("subscribe", "page")
        return {"errcode": 0, "errmsg": "ok"}
    return _answer("message/subscribe/bizsend", handle)


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
    def handle():
        media = world().media(request.args.get("media_id", ""))
        if media is None:
            raise Refusal(40007)
        return send_file(io.BytesIO(media["data"]), mimetype=media["content_type"],
                         download_name=media["filename"])
    return _answer("media/get", handle)
