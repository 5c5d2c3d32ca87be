"""What residents report: text, images, voice, video, locations and links become case messages.

An unbound resident's location is first a question of where to go: we list the nearest contact
points, and file the location all the same (on the case they are describing, or a new one).
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from sqlalchemy import select

from cases import directory, geo, intake
from cases.intake import MessageContent
from cases.status import JOINABLE_STATUSES, MessageKind
from handlers.context import Context
from handlers.registry import Handler, Reply
from models import Case
from texts import residents as texts

REPORT_TYPES = frozenset(kind.value for kind in MessageKind)
FIELD_LIMITS = {"MediaId": 128, "ThumbMediaId": 128, "Format": 16}


def content_of(ctx: Context) -> MessageContent:
    """Our record of a wechatpy message (raw fields; its numbers were checked at the edge, see
    bot.messages.NUMBER_FIELDS). Media ids and formats are cut to their columns; WeChat's own
    are far shorter."""
    raw = {name: value[:FIELD_LIMITS[name]] if name in FIELD_LIMITS and value else value
           for name, value in ctx.message._data.items()}
    numbers = ctx.incoming.numbers
    kind = MessageKind(ctx.incoming.msg_type)
    common = {"kind": kind, "msg_id": ctx.incoming.msg_id}
    if kind is MessageKind.TEXT:
        return MessageContent(**common, content=raw.get("Content") or "")
    if kind is MessageKind.IMAGE:
        return MessageContent(**common, media_id=raw.get("MediaId"), pic_url=raw.get("PicUrl"))
    if kind is MessageKind.VOICE:
        return MessageContent(
            **common, media_id=raw.get("MediaId"), media_format=raw.get("Format"),
            content=raw.get("Recognition") or "",
        )
    if kind in (MessageKind.VIDEO, MessageKind.SHORTVIDEO):
        return MessageContent(**common, media_id=raw.get("MediaId"), thumb_media_id=raw.get("ThumbMediaId"))
    if kind is MessageKind.LOCATION:
        return MessageContent(
            **common,
            latitude=numbers.get("Location_X"),
            longitude=numbers.get("Location_Y"),
            location_scale=numbers.get("Scale"),
            location_label=raw.get("Label") or "",
        )
    return MessageContent(
        **common, content=raw.get("Title") or "", description=raw.get("Description"), url=raw.get("Url")
    )


def summary_of(content: MessageContent) -> str:
    words = (content.content or content.location_label or "").strip()
    placeholder = texts.SUMMARY_PLACEHOLDERS.get(content.kind.value, "")
    if content.kind is MessageKind.TEXT:
        return words
    return f"{placeholder} {words}".strip()


def on_report(ctx: Context) -> Reply:
    content = content_of(ctx)
    if content.kind is MessageKind.TEXT and not content.content.strip():
        return texts.HOW_TO_REPORT
    return file_content(ctx, content)


@cache
def _report_replies(working_days: int, join_minutes: int) -> intake.ReportReplies:
    return intake.ReportReplies(texts.report_opened(working_days, join_minutes),
                                texts.report_opened_unrouted(working_days), texts.REPORT_JOINED)


def report_replies(ctx: Context) -> intake.ReportReplies:
    """What a report is answered (built once per setting: every report asks)."""
    return _report_replies(ctx.settings.posters_reply_working_days, ctx.settings.intake_join_window_minutes)


def file_content(ctx: Context, content: MessageContent) -> Reply:
    """File what the sender reports: join the case they are describing, or open one."""
    return _file(ctx, content, report_replies(ctx))


def _file(ctx: Context, content: MessageContent, replies: intake.ReportReplies) -> Reply:
    incoming = ctx.incoming
    filed = intake.file_report(
        ctx.conn, intake.Delivery(incoming.dedup_key, incoming.openid, incoming.kind), content,
        summary=summary_of(content), now=ctx.now,
        join_window=timedelta(minutes=ctx.settings.intake_join_window_minutes), replies=replies,
        unless_worker=ctx.resident_unconfirmed,
    )
    ctx.resident_confirmed()
    ctx.case_id, ctx.recorded = filed.case_id, True
    return filed.reply


def is_unrouted_location(ctx: Context) -> bool:
    return ctx.incoming.msg_type == "location" and not ctx.resident().routed


def _describing_a_case(ctx: Context) -> bool:
    """Is the resident still describing a case (within the grouping window)?"""
    cutoff = ctx.now - timedelta(minutes=ctx.settings.intake_join_window_minutes)
    return ctx.conn.scalar(
        select(Case.id).where(Case.resident_id == ctx.resident().id, Case.status.in_(JOINABLE_STATUSES),
                              Case.last_message_at >= cutoff, Case.grouping_closed.is_(False)).limit(1)
    ) is not None


def on_unrouted_location(ctx: Context) -> Reply:
    """A resident with nowhere to send their cases sent a location: most likely to find a
    contact point. It is kept on the case they are describing; alone, it opens no case."""
    content = content_of(ctx)
    if content.latitude is None or content.longitude is None or not geo.valid_coordinates(
        content.latitude, content.longitude
    ):
        return texts.BAD_LOCATION
    choices = directory.nearest_contact_points(
        ctx.conn, content.latitude, content.longitude, ctx.settings.intake_nearest_contact_points,
        ctx.settings.intake_nearest_max_km * 1000,
    )
    if not choices:
        answer = texts.no_contact_point_nearby(ctx.settings.intake_nearest_max_km)
    else:
        ctx.set_state("choose_contact_point", options=[card.id for card, _ in choices])
        answer = texts.nearest_contact_points(
            [(card.name, card.sub_district_name, card.address, metres) for card, metres in choices]
        )
    if not _describing_a_case(ctx):
        return answer
    joined = texts.location_joined(answer)
    return _file(ctx, content, intake.ReportReplies(joined, joined, joined))


HANDLERS = [
    Handler("unrouted_location", is_unrouted_location, on_unrouted_location),
    Handler("report", lambda ctx: ctx.incoming.msg_type in REPORT_TYPES, on_report),
]
