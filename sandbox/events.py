"""Events WeChat's servers push to the account later, on their own: the outcome of each template
message (TEMPLATESENDJOBFINISH), queued by the fake API when it accepts one.

``deliver_pending_events`` has a scheduler job's signature; in sandbox mode it posts each queued
event to the app's own /wechat as WeChat would: a signed XML event, encrypted when the account has
an EncodingAESKey (safe mode), plaintext otherwise.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests

from bot.clock import FrozenClock
from sandbox.webhook_client import HttpTransport, WeChatServer, message_xml
from sandbox.world import World

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

TEMPLATE_JOB_FINISHED = "TEMPLATESENDJOBFINISH"


def receipt_xml(event: dict[str, Any], create_time: int) -> str:
    """WeChat's 模板消息 event: <MsgID> is the msgid template/send answered, <Status> the outcome."""
    return message_xml(event["openid"], "event", create_time,
                       {"Event": TEMPLATE_JOB_FINISHED, "MsgID": int(event["msgid"]), "Status": event["status"]})


def deliver_pending_events(svc: Services, now: datetime) -> int:
    """Post every queued event to the app; return how many it took (HTTP 200). An event whose post
    fails (refused, unreachable) stays queued for the next run. ``now`` is naive UTC."""
    world = World(svc.redis)
    pending = world.pending_events()
    if not pending:
        return 0
    settings = svc.settings
    transport = HttpTransport.for_api_base_url(settings.wechat_api_base_url)
    server = WeChatServer(transport, FrozenClock(now), settings.wechat_token, settings.wechat_appid,
                          settings.wechat_aes_key)
    mode = "safe" if settings.wechat_aes_key else "plain"
    create_time = int(now.replace(tzinfo=UTC).timestamp())
    try:
        return sum(_deliver(world, server, raw, event, create_time, mode) for raw, event in pending)
    finally:
        transport.close()


def _deliver(world: World, server: WeChatServer, raw: bytes, event: dict[str, Any], create_time: int,
             mode: str) -> bool:
    """Post one event; it leaves the queue only when the app took it."""
    status = _post(server, receipt_xml(event, create_time), mode)
    world.record_event_post({"at": create_time, "event": TEMPLATE_JOB_FINISHED, "openid": event["openid"],
                             "msgid": event["msgid"], "status": event["status"], "http_status": status})
    if status != 200:
        return False
    world.drop_event(raw)
    return True


def _post(server: WeChatServer, xml: str, mode: str) -> int | None:
    """The HTTP status /wechat answered, or None when it could not be reached."""
    try:
        return server.post(xml, mode).status
    except requests.RequestException as error:
        log.warning("Sandbox: could not post a WeChat event to the app: %s", error)
        return None
