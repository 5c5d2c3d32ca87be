"""Follows, poster scans, representatives binding their WeChat, and unfollows."""

from __future__ import annotations

from cases import calendar, directory, residents
from handlers.context import Context
from handlers.registry import Handler, Reply
from qr.binding import redeem_bind_token, redeem_link_token
from qr.scenes import parse_scene
from texts import residents as texts
from texts import workbench

FOLLOW_EVENTS = ("subscribe", "subscribe_scan", "scan")


def _scene_key(ctx: Context) -> str:
    # wechatpy strips "qrscene_" into scene_id for subscribe_scan; a plain subscribe keeps EventKey.
    return getattr(ctx.message, "scene_id", None) or getattr(ctx.message, "key", "") or ""


def on_follow(ctx: Context) -> Reply:
    resident = ctx.resident()
    scene = parse_scene(_scene_key(ctx))
    if scene is None or scene.kind != "rep":
        if _scene_key(ctx):
            return texts.UNKNOWN_SCENE
        return _welcome_generic(ctx) if not resident.routed else texts.HOW_TO_REPORT
    card = directory.representative_by_scene(ctx.conn, str(scene), scene.value)
    if card is None:
        return texts.UNKNOWN_SCENE
    ctx.rebind(
        residents.bind(
            ctx.conn, resident,
            representative_id=card.id, contact_point_id=card.contact_point_id,
            sub_district_id=card.sub_district_id, scene=str(scene),
            event="subscribe" if ctx.incoming.subscribes else "scan", now=ctx.now,
        )
    )
    ctx.clear_state()
    return texts.welcome_representative(
        name=card.name, level=card.level, constituency=card.constituency, contact_point=card.contact_point_name,
        address=card.contact_point_address, committee=card.committee_name, committee_phone=card.committee_phone,
        operator=directory.operator_name(ctx.conn), hours=_hours(),
    )


def _hours() -> str:
    return texts.office_hours(calendar.WORKDAY_START_HOUR, calendar.WORKDAY_END_HOUR)


def _welcome_generic(ctx: Context) -> str:
    return texts.welcome_generic(directory.operator_name(ctx.conn), _hours())


def _scans(kind: str):
    """A follow or scan of a one-time code of ``kind`` (bind / link)."""
    def matches(ctx: Context) -> bool:
        if ctx.incoming.event not in FOLLOW_EVENTS:
            return False
        scene = parse_scene(_scene_key(ctx))
        return scene is not None and scene.kind == kind
    return matches


def on_bind(ctx: Context) -> Reply:
    """A representative or a clerk scans the temporary code the working committee made for them."""
    outcome, name = redeem_bind_token(ctx.conn, parse_scene(_scene_key(ctx)).value, ctx.incoming.openid, ctx.now)
    return workbench.BIND_REPLIES[outcome.value].format(name=name)


def on_link(ctx: Context) -> Reply:
    """A resident staff filed for scans the code on their slip: their case follows in WeChat."""
    outcome = redeem_link_token(ctx.conn, parse_scene(_scene_key(ctx)).value, ctx.incoming.openid, ctx.now)
    return texts.LINK_REPLIES[outcome.value]


def on_unsubscribe(ctx: Context) -> Reply:
    residents.mark_unsubscribed(ctx.conn, ctx.incoming.openid, ctx.now)
    ctx.clear_state()
    return None  # WeChat shows nothing to someone who has just unfollowed


HANDLERS = [
    Handler("bind", _scans("bind"), on_bind),
    Handler("link", _scans("link"), on_link),
    Handler("follow", lambda ctx: ctx.incoming.event in FOLLOW_EVENTS, on_follow),
    Handler("unsubscribe", lambda ctx: ctx.incoming.event == "unsubscribe", on_unsubscribe),
]
