"""Filing what a resident sends: open a case, or join the one they are still describing.

This is the webhook's hot path. Its statements find the resident by openid inside SQL rather
than by an id read back first, so the join attempt and the conditional open travel in the same
round trip as the delivery's claim and the resident's touch (see cases.batch); the message, the
event and the commit follow in one more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, exists, func, insert, literal_column, select, update

from cases.batch import Batch, Pending, Prepared
from cases.numbering import format_case_number
from cases.status import JOINABLE_STATUSES, ActorKind, CaseStatus, MessageKind
from models import Attachment, Case, CaseEvent, CaseMessage, ContactPoint, Representative, Resident

cases = Case.__table__
messages = CaseMessage.__table__
events = CaseEvent.__table__
attachments = Attachment.__table__
residents = Resident.__table__

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


def _joinable(case, resident):
    """The rule for joining: a case of this resident, still unanswered, written to within the window."""
    return and_(
        case.c.resident_id == resident.c.id,
        case.c.status.in_([literal_column(f"'{status.value}'") for status in JOINABLE_STATUSES]),
        case.c.last_message_at >= bindparam("p_cutoff"),
    )


@cache
def _statements() -> dict[str, Prepared]:
    resident = residents.alias("r")
    candidate = cases.alias("candidate")  # an alias, so the subquery is not correlated to the UPDATE
    joinable_case = (
        select(candidate.c.id)
        .select_from(candidate.join(resident, candidate.c.resident_id == resident.c.id))
        .where(resident.c.openid == bindparam("p_openid"), _joinable(candidate, resident))
        .order_by(candidate.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    join = (
        update(cases)
        .where(cases.c.id == joinable_case)
        .values(last_message_at=bindparam("p_now"), updated_at=bindparam("p_now"))
        .returning(cases.c.id, cases.c.created_at)
    )
    # Opens a case only when the join found none: after the join, a joined case matches the
    # rule again (it was just written to), so the two statements never both act.
    other = cases.alias("c")
    sub_district = func.coalesce(
        select(ContactPoint.sub_district_id).where(ContactPoint.id == resident.c.contact_point_id)
        .scalar_subquery(),
        select(Representative.sub_district_id).where(Representative.id == resident.c.representative_id)
        .scalar_subquery(),
    )
    open_case = (
        insert(cases)
        .from_select(
            ["resident_id", "representative_id", "contact_point_id", "sub_district_id", "status",
             "summary", "created_at", "updated_at", "last_message_at"],
            select(
                resident.c.id, resident.c.representative_id, resident.c.contact_point_id, sub_district,
                literal_column(f"'{CaseStatus.SUBMITTED.value}'"), bindparam("p_summary"),
                bindparam("p_now"), bindparam("p_now"), bindparam("p_now"),
            ).where(
                resident.c.openid == bindparam("p_openid"),
                ~exists().where(_joinable(other, resident)),
            ),
        )
        .returning(cases.c.id, cases.c.created_at)
    )
    add_message = insert(messages).values(
        {column: bindparam(f"p_{column}") for column in (*MessageContent.__dataclass_fields__, "case_id",
                                                          "created_at")}
    )
    return {
        "join": Prepared(join),
        "open": Prepared(open_case),
        "event": Prepared(insert(events).values(
            case_id=bindparam("p_case_id"), at=bindparam("p_now"), actor_kind=bindparam("p_actor_kind"),
            actor_id=bindparam("p_actor_id"), action=bindparam("p_action"), from_status=None,
            to_status=bindparam("p_to_status"), note="",
        )),
        "message": Prepared(add_message),
        "media_message": Prepared(add_message.returning(messages.c.id)),
        "attachment": Prepared(insert(attachments).values(
            message_id=bindparam("p_message_id"), media_id=bindparam("p_media_id"), kind=bindparam("p_kind"),
            status="pending", attempts=0, created_at=bindparam("p_now"),
        )),
    }


@dataclass(frozen=True)
class PendingFiling:
    """The join attempt and the conditional open, queued; ``result()`` waits for them."""

    joined: Pending
    opened: Pending

    def case(self) -> tuple[int, datetime, bool]:
        row = self.joined.first()
        if row is not None:
            return row.id, row.created_at, False
        row = self.opened.first()
        if row is None:
            raise LookupError("the resident row is missing: touch the resident before filing")
        return row.id, row.created_at, True


def queue_filing(batch: Batch, openid: str, *, summary: str, now: datetime, join_window: timedelta) -> PendingFiling:
    statements = _statements()
    params = {"p_openid": openid, "p_cutoff": now - join_window, "p_now": now}
    return PendingFiling(
        joined=batch.queue(statements["join"], params),
        opened=batch.queue(statements["open"], {**params, "p_summary": summary[:200]}),
    )


def file_message(
    batch: Batch,
    resident_id: int,
    filing: PendingFiling,
    message: MessageContent,
    *,
    now: datetime,
) -> Filed:
    """Add the message (and its first event, for a new case) once the case is known."""
    statements = _statements()
    case_id, created_at, opened = filing.case()
    if opened:
        batch.queue(statements["event"], {
            "p_case_id": case_id, "p_now": now, "p_actor_kind": ActorKind.RESIDENT.value,
            "p_actor_id": resident_id, "p_action": "submit", "p_to_status": CaseStatus.SUBMITTED.value,
        })
    fields = {f"p_{name}": getattr(message, name) for name in MessageContent.__dataclass_fields__}
    fields.update(p_kind=message.kind.value, p_case_id=case_id, p_created_at=now)
    if message.kind in MEDIA_KINDS and message.media_id:
        message_id = batch.queue(statements["media_message"], fields).first().id
        batch.queue(statements["attachment"], {
            "p_message_id": message_id, "p_media_id": message.media_id, "p_kind": message.kind.value,
            "p_now": now,
        })
    else:
        batch.queue(statements["message"], fields)
    return Filed(case_id, format_case_number(created_at.year, case_id), opened=opened)
