"""``/wechat``: URL verification (GET) and deliveries (POST) in plaintext, compatible and safe mode.

Order of checks, cheapest first: configured? → timestamp fresh? → signature? → size → envelope →
XML and its fields → the query's openid is the sender → in plaintext, the signed query was not
used before with another body (bot.replay) → exactly-once handling. Refusals are short plain
text; no stack trace ever leaves. Safe mode is the production mode: its msg_signature covers
the body, which plaintext's signature does not.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request
from wechatpy.replies import TextReply

from bot.logs import note_delivery
from bot.messages import Incoming, MalformedMessage, parse_incoming
from bot.replay import Replayed, SignedQuery, signed_query
from bot.services import services
from bot.signing import EnvelopeError, signature_matches

log = logging.getLogger(__name__)

bp = Blueprint("wechat", __name__)


def _refuse(status: int, reason: str):
    # WARNING for every refusal: a 403 or 413 is a forgery, a wrong token or a clock off; a 400
    # comes only after the signature matched, so it is a delivery WeChat really sent, now lost.
    # The path only: the query string carries the signatures and the openid.
    log.warning("refused %s %s with %d: %s", request.method, request.path, status, reason)
    abort(status)


def _check_signature(token: str) -> tuple[str, str]:
    """The query's signature and timestamp, which WeChat sends in every mode."""
    timestamp, nonce = request.args.get("timestamp", ""), request.args.get("nonce", "")
    # Unix seconds as WeChat writes them: int() would also take " 1", "+1", "01", "1_0" or other
    # scripts' digits, each a new spelling of one signed second.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12 and timestamp[0] != "0"):
        _refuse(403, "timestamp missing or not a number")
    skew = abs(services().clock.time() - int(timestamp))
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
    note_delivery(incoming.openid)  # its pseudonym, never it, in any line logged from here on
    _check_sender(incoming)
    try:
        reply = svc.deliveries.handle(incoming, None if encrypted else _signed_query(body, timestamp))
    except Replayed:
        _refuse(403, "signed query replayed with another body")
    if reply is None:
        return Response("success", mimetype="text/plain")
    rendered = render_text_reply(reply, incoming, int(svc.clock.time()))
    if encrypted:
        rendered = svc.safe_mode.seal(rendered, nonce, timestamp)
    return Response(rendered, mimetype="application/xml")


def _check_sender(incoming: Incoming) -> None:
    """The query's ``openid`` (WeChat adds it to every delivery) must be the message's sender.
    It is not signed, so a missing one is let through: refusing it would stop no one who can
    read a query, while a delivery WeChat sent without it would be lost. In plaintext, the real
    guard is that a signed query is good for one body (bot.replay)."""
    query_openid = request.args.get("openid")
    if query_openid is not None and query_openid != incoming.openid:
        _refuse(403, "the query's openid is not the message's sender")


def _signed_query(body: bytes, timestamp: str) -> SignedQuery:
    """A plaintext delivery's signed query, remembered with its body until the timestamp is stale
    (safe mode's msg_signature covers the body: a repeat there is WeChat retrying)."""
    svc = services()
    stale_in = int(timestamp) + svc.settings.webhook_replay_window_seconds - svc.clock.time() + 1
    return signed_query(request.args.get("signature", ""), body, int(stale_in))


def _cdata_safe(value: str) -> str:
    """``value`` for wechatpy's ``<![CDATA[…]]>``: a "]]>" inside is split across two sections."""
    return value.replace("]]>", "]]]]><![CDATA[>")


def render_text_reply(text: str, incoming: Incoming, now: int) -> str:
    """wechatpy's passive text reply, with every field safe inside its CDATA section."""
    return TextReply(source=_cdata_safe(incoming.account), target=_cdata_safe(incoming.openid),
                     content=_cdata_safe(text), time=int(now)).render()
