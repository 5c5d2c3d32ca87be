"""Filing what a resident sends: open a case, or join the one they are still describing.

This is the webhook's hot path, so it is written as a few pre-built Core statements run on the
delivery's one connection: find-and-touch the joinable case (one UPDATE … RETURNING), or insert
the case with its first event; then the message (and a pending attachment for media).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Connection, bindparam, func, insert, select, update

from cases.numbering import format_case_number
from cases.residents import ResidentRow
from cases.status import JOINABLE_STATUSES, ActorKind, CaseStatus, MessageKind
from models import Attachment, Case, CaseEvent, CaseMessage, ContactPoint, Representative

cases = Case.__table__
messages = CaseMessage.__table__
events = CaseEvent.__table__
attachments = Attachment.__table__

MEDIA_KINDS = (MessageKind.IMAGE, MessageKind.VOICE, MessageKind.VIDEO, MessageKind.SHORTVIDEO)


@dataclass(frozen=True)
class MessageContent:
    kind: MessageKind
    msg_id: int | None = None
    content: str = ""
    media_id: str | None = None
    pic_url: str | None = None
    media_format: str | None = None
    thumb_media_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    location_scale: int | None = None
    location_label: str | None = None
    url: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Filed:
    case_id: int
    number: str
    opened: bool  # a new case; False when the message joined an open one


@cache
def _statements():
    joinable = (
        select(cases.c.id)
        .where(
            cases.c.resident_id == bindparam("p_resident"),
            cases.c.status.in_([status.value for status in JOINABLE_STATUSES]),
            cases.c.last_message_at >= bindparam("p_cutoff"),
        )
        .order_by(cases.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    join = (
        update(cases)
        .where(cases.c.id == joinable)
        .values(last_message_at=bindparam("p_now"), updated_at=bindparam("p_now"))
        .returning(cases.c.id, cases.c.created_at)
    )
    sub_district = func.coalesce(
        select(ContactPoint.sub_district_id)
        .where(ContactPoint.id == bindparam("p_contact_point"))
        .scalar_subquery(),
        select(Representative.sub_district_id)
        .where(Representative.id == bindparam("p_representative"))
        .scalar_subquery(),
    )
    open_case = (
        insert(cases)
        .values(
            resident_id=bindparam("p_resident"),
            representative_id=bindparam("p_representative"),
            contact_point_id=bindparam("p_contact_point"),
            sub_district_id=sub_district,
            status=CaseStatus.SUBMITTED.value,
            summary=bindparam("p_summary"),
            created_at=bindparam("p_now"),
            updated_at=bindparam("p_now"),
            last_message_at=bindparam("p_now"),
        )
        .returning(cases.c.id)
    )
    return join, open_case, insert(events), insert(messages).returning(messages.c.id), insert(attachments)


def file_message(
    conn: Connection,
    resident: ResidentRow,
    message: MessageContent,
    *,
    summary: str,
    now: datetime,
    join_window: timedelta,
) -> Filed:
    join, open_case, add_event, add_message, add_attachment = _statements()
    joined = conn.execute(
        join, {"p_resident": resident.id, "p_cutoff": now - join_window, "p_now": now}
    ).first()
    if joined is not None:
        case_id, created_at = joined.id, joined.created_at
    else:
        case_id = conn.execute(
            open_case,
            {
                "p_resident": resident.id,
                "p_representative": resident.representative_id,
                "p_contact_point": resident.contact_point_id,
                "p_summary": summary[:200],
                "p_now": now,
            },
        ).scalar_one()
        created_at = now
        conn.execute(
            add_event,
            {
                "case_id": case_id, "at": now, "actor_kind": ActorKind.RESIDENT.value,
                "actor_id": resident.id, "action": "submit", "from_status": None,
                "to_status": CaseStatus.SUBMITTED.value, "note": "",
            },
        )
    fields = {name: getattr(message, name) for name in MessageContent.__dataclass_fields__}
    fields["kind"] = message.kind.value
    message_id = conn.execute(add_message, {**fields, "case_id": case_id, "created_at": now}).scalar_one()
    if message.kind in MEDIA_KINDS and message.media_id:
        conn.execute(
            add_attachment,
            {
                "message_id": message_id, "media_id": message.media_id, "kind": message.kind.value,
                "status": "pending", "attempts": 0, "created_at": now,
            },
        )
    return Filed(case_id, format_case_number(created_at.year, case_id), opened=joined is None)
