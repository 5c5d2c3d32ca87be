"""Filing what a resident reports: open a case, or join the one they are still describing; and
filing for a resident staff met in person, on the phone or by letter (代录, ``file_for_resident``),
which opens a case the same way with the staff member as the one who filed it.

This is the webhook's hot path, and it records the delivery itself: the resident's touch, the
case, its first event, the message, a pending attachment for media, and the delivery's
``inbound_messages`` row with its reply, all or nothing. The unique ``dedup_key`` of that row
makes a second attempt at the same delivery fail as a whole.

Two ways to run the same steps, chosen by the database:
- PostgreSQL: one statement of data-modifying CTEs, so the whole filing costs the server one
  parse, one plan and one round trip (as its own transaction, when nothing was written before);
- SQLite (embedded, no round trips): the steps one by one.
Both are checked by the same tests (``.ci/run`` runs the suite on each).

The reply is chosen with the filing and stored on the delivery's row, so a retry is answered
from it: the row keeps the chosen text with ``NUMBER_SLOT`` where the case number goes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import Connection, DateTime, Dialect, Integer, bindparam, insert, select, text

from cases import actors, residents
from cases.driver import run_alone
from cases.numbering import case_number
from cases.scope import Actor
from cases.status import CHANNELS, JOINABLE_STATUSES, ActorKind, CaseStatus, MessageKind
from models import Attachment, Case, CaseEvent, CaseMessage, ContactPoint, InboundMessage, Representative
from models.types import msgid_digits
from texts import console as console_words

cases = Case.__table__
messages = CaseMessage.__table__
events = CaseEvent.__table__
attachments = Attachment.__table__
inbound = InboundMessage.__table__

MEDIA_KINDS = (MessageKind.IMAGE, MessageKind.VOICE, MessageKind.VIDEO, MessageKind.SHORTVIDEO)
NUMBER_SLOT = "{number}"


@dataclass(frozen=True)
class MessageContent:
    kind: MessageKind
    msg_id: int | None = None  # WeChat's MsgId: unsigned 64-bit
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


CONTENT_FIELDS = tuple(field.name for field in fields(MessageContent))


class ReportReplies(NamedTuple):
    """The three answers a report can get; each may hold NUMBER_SLOT."""

    opened: str  # a new case, for a resident bound to a representative or contact point
    opened_unrouted: str  # a new case that waits until the resident says where they are
    joined: str  # the message joined the case they are describing


@dataclass(frozen=True)
class Delivery:
    """What the delivery's inbound row records."""

    dedup_key: str
    openid: str
    kind: str


@dataclass(frozen=True)
class Filed:
    case_id: int
    number: str
    opened: bool  # a new case; False when the message joined an open one
    reply: str  # the chosen reply with the number filled in


def fill_number(reply: str, number: str) -> str:
    return reply.replace(NUMBER_SLOT, number)


def file_report(
    conn: Connection,
    delivery: Delivery,
    message: MessageContent,
    *,
    summary: str,
    now: datetime,
    join_window: timedelta,
    replies: ReportReplies,
    unless_worker: bool = False,
) -> Filed:
    """Touch the resident (an upsert) and file ``message``: join the case they are describing
    or open one. Two deliveries for one resident at once are filed one after the other (SQLite
    serializes writers; on PostgreSQL see _ONE_STATEMENT). ``unless_worker``: the sender was
    assumed to be a resident; if they are a representative or a clerk, nothing is written and
    ``actors.WorkerAssumedResident`` is raised."""
    params = {
        "p_key": delivery.dedup_key, "p_openid": delivery.openid, "p_msg_type": delivery.kind[:32],
        "p_now": now, "p_cutoff": now - join_window, "p_summary": summary[:200],
        "p_reply_opened": replies.opened, "p_reply_unrouted": replies.opened_unrouted,
        "p_reply_joined": replies.joined,
        **{f"p_{name}": getattr(message, name) for name in CONTENT_FIELDS},
        # As stored (models.types.WeChatMsgId): the one-statement path binds on the driver's
        # connection, where SQLAlchemy's column types do not convert.
        "p_msg_id": msgid_digits(message.msg_id),
        "p_kind": message.kind.value,
        "p_attach": message.kind in MEDIA_KINDS and bool(message.media_id),
        "p_unless_worker": unless_worker,
    }
    file = _file_in_one_statement if conn.dialect.name == "postgresql" else _file_step_by_step
    case_id, created_at, opened, reply = file(conn, params)
    number = case_number(case_id, created_at)
    return Filed(case_id, number, opened, fill_number(reply, number))


# -- the rule, shared by both ways ---------------------------------------------------------------
JOINABLE = ", ".join(f"'{status.value}'" for status in JOINABLE_STATUSES)
# Join the resident's latest unanswered case written to within the window, unless they said
# 「新问题」 since. The conditions are checked again on the row being updated, in case staff
# answered it meanwhile. A message filed late (kept in the spool while the database was away)
# never moves last_message_at back.
def _join_sql(guard: str = "") -> str:
    return f"""
    UPDATE cases SET last_message_at = CASE WHEN last_message_at > :p_now THEN last_message_at ELSE :p_now END,
                     updated_at = :p_now
    WHERE id = (SELECT candidate.id FROM cases AS candidate
                WHERE candidate.resident_id = (SELECT id FROM residents WHERE openid = :p_openid)
                  AND candidate.status IN ({JOINABLE})
                  AND candidate.last_message_at >= :p_cutoff
                  AND NOT candidate.grouping_closed
                ORDER BY candidate.id DESC LIMIT 1)
      AND status IN ({JOINABLE}) AND last_message_at >= :p_cutoff AND NOT grouping_closed{guard}
    RETURNING id, created_at"""


JOIN_SQL = _join_sql()
_TYPES = (bindparam("p_now", type_=DateTime), bindparam("p_cutoff", type_=DateTime))
_JOIN = text(JOIN_SQL).bindparams(*_TYPES).columns(id=Integer, created_at=DateTime)


# -- the rule of opening a case, step by step (the one statement below repeats it) -------------
def sub_district_of(conn: Connection, contact_point_id: int | None, representative_id: int | None) -> int | None:
    """A new case's sub-district: its contact point's, else its representative's."""
    return conn.scalar(
        select(ContactPoint.sub_district_id).where(ContactPoint.id == contact_point_id)
    ) or conn.scalar(
        select(Representative.sub_district_id).where(Representative.id == representative_id)
    )


def _open_case(conn: Connection, *, resident_id: int, representative_id: int | None, contact_point_id: int | None,
               summary: str, now: datetime, by: tuple[ActorKind, int | None], note: str = "",
               code: str | None = None, grouping_closed: bool = False) -> int:
    """Insert a submitted case and its ``submit`` event; return its id (its number follows)."""
    case_id = conn.execute(
        insert(cases).returning(cases.c.id),
        {"resident_id": resident_id, "representative_id": representative_id,
         "contact_point_id": contact_point_id,
         "sub_district_id": sub_district_of(conn, contact_point_id, representative_id),
         "status": CaseStatus.SUBMITTED.value, "summary": summary[:200], "created_at": now,
         "updated_at": now, "last_message_at": now, "grouping_closed": grouping_closed},
    ).scalar_one()
    conn.execute(
        insert(events),
        {"case_id": case_id, "at": now, "actor_kind": by[0].value, "actor_id": by[1], "action": "submit",
         "from_status": None, "to_status": CaseStatus.SUBMITTED.value, "note": note, "code": code},
    )
    return case_id


# -- filing for a resident without WeChat (代录) ---------------------------------------------------
@dataclass(frozen=True)
class WalkIn:
    """What staff take down: how the resident came, who they are, what they said, where."""

    channel: str  # cases.status.CHANNELS
    name: str
    phone: str
    text: str
    contact_point_id: int
    representative_id: int | None = None


def file_for_resident(conn: Connection, walk_in: WalkIn, actor: Actor, now: datetime) -> Filed:
    """A resident without WeChat (no openid: staff call them back), and their case,
    filed by ``actor``: the case is complete as written (nothing will join it), and its ``submit``
    event names the staff member and the channel. The caller checks the actor may file there."""
    if walk_in.channel not in CHANNELS or not walk_in.name.strip() or not walk_in.text.strip():
        raise ValueError("filing for a resident needs the channel, their name and what they said")
    resident_id = residents.add_without_wechat(conn, walk_in.channel, walk_in.name.strip(), walk_in.phone.strip(),
                                               walk_in.representative_id, walk_in.contact_point_id, now)
    said = walk_in.text.strip()
    case_id = _open_case(conn, resident_id=resident_id, representative_id=walk_in.representative_id,
                         contact_point_id=walk_in.contact_point_id, summary=said, now=now,
                         by=(actor.kind, actor.id), note=console_words.CHANNEL_NOTES[walk_in.channel],
                         code=walk_in.channel, grouping_closed=True)
    conn.execute(insert(messages), {"case_id": case_id, "kind": MessageKind.TEXT.value, "content": said,
                                    "created_at": now})
    return Filed(case_id, case_number(case_id, now), True, "")


# -- SQLite: step by step ---------------------------------------------------------------------
def _file_step_by_step(conn: Connection, params: dict) -> tuple[int, datetime, bool, str]:
    now = params["p_now"]
    if params["p_unless_worker"] and actors.by_openid(conn, params["p_openid"]) is not None:
        raise actors.WorkerAssumedResident()
    resident = residents.touch(conn, params["p_openid"], now)
    params.update(p_resident=resident.id, p_representative=resident.representative_id,
                  p_contact_point=resident.contact_point_id)
    joined = conn.execute(_JOIN, {k: params[k] for k in ("p_now", "p_cutoff", "p_openid")}).first()
    if joined is not None:
        case_id, created_at, opened = joined.id, joined.created_at, False
    else:
        case_id = _open_case(conn, resident_id=resident.id, representative_id=resident.representative_id,
                             contact_point_id=resident.contact_point_id, summary=params["p_summary"], now=now,
                             by=(ActorKind.RESIDENT, resident.id))
        created_at, opened = now, True
    message_id = conn.execute(
        insert(messages).returning(messages.c.id),
        {**{name: params[f"p_{name}"] for name in CONTENT_FIELDS}, "kind": params["p_kind"],
         "case_id": case_id, "created_at": now},
    ).scalar_one()
    if params["p_attach"]:
        conn.execute(
            insert(attachments),
            {"message_id": message_id, "media_id": params["p_media_id"], "kind": params["p_kind"],
             "status": "pending", "attempts": 0, "created_at": now},
        )
    reply = params["p_reply_joined"] if not opened else (
        params["p_reply_opened"] if resident.routed else params["p_reply_unrouted"])
    conn.execute(
        insert(inbound),
        {"dedup_key": params["p_key"], "openid": params["p_openid"], "msg_type": params["p_msg_type"],
         "received_at": now, "case_id": case_id, "reply": reply},
    )
    return case_id, created_at, opened, reply


# -- PostgreSQL: one statement ----------------------------------------------------------------
# The same steps as above. Every CTE runs exactly once, in order of dependence; "opened" acts
# only when "joined" touched nothing. If the delivery was recorded already, the last INSERT
# violates the unique dedup_key and the whole statement is undone. The statement sees the data
# as of its start; at REPEATABLE READ (the deliveries' engine, bot.db) a concurrent delivery for
# the same resident makes the upsert fail with a serialization error instead of acting on a
# stale view, and the delivery is retried (bot.delivery).
#
# With p_unless_worker, the statement also answers whether the sender is a representative or a
# clerk (cases.actors.by_openid, written out): then it writes nothing and returns no row, and
# the caller learns it without a round trip of its own (handlers.context: assume_resident).
_ONE_STATEMENT = text(f"""
WITH worker AS (
    SELECT 1 FROM representatives WHERE :p_unless_worker AND openid = :p_openid AND active
    UNION ALL
    SELECT 1 FROM staff_users WHERE :p_unless_worker AND openid = :p_openid AND active
), resident AS (  -- cases.residents.touch_statement, written out
    INSERT INTO residents (openid, subscribed, first_message_at, last_message_at, created_at)
    SELECT :p_openid, true, :p_now, :p_now, :p_now WHERE NOT EXISTS (SELECT 1 FROM worker)
    ON CONFLICT (openid) DO UPDATE SET
        last_message_at = excluded.last_message_at,
        first_message_at = coalesce(residents.first_message_at, excluded.first_message_at)
    RETURNING id, representative_id, contact_point_id,
        (representative_id IS NOT NULL OR contact_point_id IS NOT NULL) AS routed
), joined AS ({_join_sql(" AND NOT EXISTS (SELECT 1 FROM worker)")}
), opened AS (
    INSERT INTO cases (resident_id, representative_id, contact_point_id, sub_district_id, status,
                       summary, created_at, updated_at, last_message_at)
    SELECT r.id, r.representative_id, r.contact_point_id,
           coalesce((SELECT sub_district_id FROM contact_points WHERE id = r.contact_point_id),
                    (SELECT sub_district_id FROM representatives WHERE id = r.representative_id)),
           '{CaseStatus.SUBMITTED.value}', :p_summary, :p_now, :p_now, :p_now
    FROM resident r WHERE NOT EXISTS (SELECT 1 FROM joined)
    RETURNING id, created_at
), filed AS (
    SELECT id, created_at, false AS opened FROM joined
    UNION ALL
    SELECT id, created_at, true AS opened FROM opened
), submitted AS (
    INSERT INTO case_events (case_id, at, actor_kind, actor_id, action, from_status, to_status, note)
    SELECT o.id, :p_now, '{ActorKind.RESIDENT.value}', r.id, 'submit', NULL,
           '{CaseStatus.SUBMITTED.value}', ''
    FROM opened o CROSS JOIN resident r
), message AS (
    INSERT INTO case_messages (case_id, kind, msg_id, content, media_id, pic_url, media_format,
                               thumb_media_id, latitude, longitude, location_scale, location_label,
                               url, description, created_at)
    SELECT id, :p_kind, :p_msg_id, :p_content, :p_media_id, :p_pic_url, :p_media_format,
           :p_thumb_media_id, :p_latitude, :p_longitude, :p_location_scale, :p_location_label,
           :p_url, :p_description, :p_now
    FROM filed
    RETURNING id
), attachment AS (
    INSERT INTO attachments (message_id, media_id, kind, status, attempts, created_at)
    SELECT id, :p_media_id, :p_kind, 'pending', 0, :p_now FROM message WHERE :p_attach
), recorded AS (
    INSERT INTO inbound_messages (dedup_key, openid, msg_type, received_at, case_id, reply)
    SELECT :p_key, :p_openid, :p_msg_type, :p_now, f.id,
           CASE WHEN NOT f.opened THEN :p_reply_joined
                WHEN r.routed THEN :p_reply_opened
                ELSE :p_reply_unrouted END
    FROM filed f CROSS JOIN resident r
    RETURNING case_id, reply
)
SELECT recorded.case_id, filed.created_at, filed.opened, recorded.reply
FROM recorded JOIN filed ON filed.id = recorded.case_id
""")


@cache
def _one_statement_sql(dialect: Dialect) -> str:
    return _ONE_STATEMENT.compile(dialect=dialect).string


def _file_in_one_statement(conn: Connection, params: dict) -> tuple[int, datetime, bool, str]:
    """Runs on the driver's connection (``cases.driver``): SQLAlchemy's per-call work would cost
    as much as the statement here. When the delivery has written nothing yet (the usual case: a
    text needs no look-up that writes before it is filed) the statement is its own transaction."""
    rows = run_alone(conn, _one_statement_sql(conn.dialect), params)
    if not rows:
        if params["p_unless_worker"]:  # asked to file unless the sender is a worker, and they are
            raise actors.WorkerAssumedResident()
        raise RuntimeError("the filing statement returned no row")
    [(case_id, created_at, opened, reply)] = rows
    return case_id, created_at, opened, reply
