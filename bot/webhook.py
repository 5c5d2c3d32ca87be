"""``/wechat``: URL verification (GET) and deliveries (POST) in plaintext, compatible and safe mode.

Order of checks, cheapest first: configured? → timestamp fresh? → signature? → size → envelope →
XML → exactly-once handling. Refusals are short plain text; no stack trace ever leaves.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request
from wechatpy.replies import TextReply

from bot.messages import Incoming, MalformedMessage, parse_incoming
from bot.services import services
from bot.signing import EnvelopeError, signature_matches

log = logging.getLogger(__name__)

bp = Blueprint("wechat", __name__)


def _refuse(status: int, reason: str):
    log.info("refused %s %s: %s", request.method, request.path, reason)
    abort(status)


def _check_signature(token: str) -> tuple[str, str]:
    """The query's signature and timestamp, which WeChat sends in every mode."""
    timestamp, nonce = request.args.get("timestamp", ""), request.args.get("nonce", "")
    try:
        skew = abs(services().clock.time() - int(timestamp))
    except ValueError:
        _refuse(403, "timestamp missing or not a number")
    if skew > services().settings.webhook_replay_window_seconds:
        _refuse(403, f"timestamp {skew:.0f}s off")
    if not signature_matches(request.args.get("signature"), token, timestamp, nonce):
        _refuse(403, "signature does not match")
    return timestamp, nonce


@bp.get("/wechat")
def verify_url():
    svc = services()
    if not svc.settings.wechat_token:
        _refuse(503, "wechat.token is not configured")
    timestamp, nonce = _check_signature(svc.settings.wechat_token)
    echostr = request.args.get("echostr", "")
    if not echostr:
        _refuse(400, "echostr missing")
    if "msg_signature" in request.args:  # safe mode may send the echo encrypted
        if svc.safe_mode is None:
            _refuse(400, "encrypted echostr but no wechat.aes_key configured")
        try:
            echostr = svc.safe_mode.decrypt(echostr, request.args["msg_signature"], timestamp, nonce)
        except EnvelopeError as error:
            _refuse(error.status, str(error))
    return Response(echostr, mimetype="text/plain")


@bp.post("/wechat")
def receive():
    svc = services()
    settings = svc.settings
    if not settings.wechat_token:
        _refuse(503, "wechat.token is not configured")
    if request.content_length is not None and request.content_length > settings.webhook_max_body_bytes:
        _refuse(413, f"body of {request.content_length} bytes")
    timestamp, nonce = _check_signature(settings.wechat_token)
    # A chunked body has no length up front: read one byte past the limit to see if it goes on.
    body = request.stream.read(settings.webhook_max_body_bytes + 1)
    if len(body) > settings.webhook_max_body_bytes:
        _refuse(413, "chunked body over the limit")
    encrypted = request.args.get("encrypt_type", "raw").lower() == "aes"
    if encrypted:
        if svc.safe_mode is None:
            _refuse(400, "encrypt_type=aes but no wechat.aes_key configured")
        try:
            xml = svc.safe_mode.open(body, request.args.get("msg_signature"), timestamp, nonce)
        except EnvelopeError as error:
            _refuse(error.status, str(error))
    elif settings.accepts_plaintext:
        xml = body
    else:
        _refuse(403, "plaintext delivery to an account in safe mode")
    try:
        incoming = parse_incoming(xml)
    except MalformedMessage as error:
        _refuse(400, f"malformed message: {error}")

    reply = svc.deliveries.handle(incoming)
    if reply is None:
        return Response("success", mimetype="text/plain")
    rendered = render_text_reply(reply, incoming, int(svc.clock.time()))
    if encrypted:
        rendered = svc.safe_mode.seal(rendered, nonce, timestamp)
    return Response(rendered, mimetype="application/xml")


def render_text_reply(text: str, incoming: Incoming, now: int) -> str:
    # wechatpy writes text into CDATA as it is; a "]]>" inside must be split across sections.
    safe_text = text.replace("]]>", "]]]]><![CDATA[>")
    return TextReply(source=incoming.account, target=incoming.openid, content=safe_text, time=now).render()
