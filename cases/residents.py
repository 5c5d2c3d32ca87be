"""Residents as the bot sees them: touched on every interaction, bound by poster scans; residents
staff filed a case for (代录), who have no WeChat until they scan the code on their slip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cases.status import OPEN_STATUSES, ActorKind
from models import Case, CaseEvent, Resident, ResidentScan

residents = Resident.__table__
cases_table = Case.__table__


@dataclass(frozen=True)
class ResidentRow:
    id: int
    openid: str | None
    representative_id: int | None
    contact_point_id: int | None

    @property
    def routed(self) -> bool:
        """Bound to a representative or at least a contact point, so cases have somewhere to go."""
        return self.representative_id is not None or self.contact_point_id is not None


@cache
def touch_statement(dialect_name: str, subscribing: bool):
    """The upsert of a touch. (The PostgreSQL filing in cases.intake repeats it inside its
    one statement: keep the two alike.)"""
    dialect_insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    stmt = dialect_insert(residents).values(
        openid=bindparam("p_openid"),
        subscribed=True,
        subscribed_at=bindparam("p_now") if subscribing else None,
        first_message_at=bindparam("p_now"),
        last_message_at=bindparam("p_now"),
        created_at=bindparam("p_now"),
    )
    changes = {
        # Every interaction reopens WeChat's 48-hour customer-service window.
        "last_message_at": stmt.excluded.last_message_at,
        "first_message_at": func.coalesce(residents.c.first_message_at, stmt.excluded.first_message_at),
    }
    if subscribing:
        changes.update(subscribed=True, subscribed_at=stmt.excluded.subscribed_at, unsubscribed_at=None)
    return stmt.on_conflict_do_update(index_elements=[residents.c.openid], set_=changes).returning(
        residents.c.id, residents.c.representative_id, residents.c.contact_point_id
    )


def touch(conn: Connection, openid: str, now: datetime, *, subscribing: bool = False) -> ResidentRow:
    """Create or update the resident in one statement and return who they are bound to.
    The row stays locked until the transaction ends."""
    row = conn.execute(
        touch_statement(conn.dialect.name, subscribing), {"p_openid": openid, "p_now": now}
    ).one()
    return ResidentRow(row.id, openid, row.representative_id, row.contact_point_id)


def mark_unsubscribed(conn: Connection, openid: str, now: datetime) -> None:
    """Unfollowing keeps the resident and their cases; only pushes stop."""
    conn.execute(
        update(residents)
        .where(residents.c.openid == openid)
        .values(subscribed=False, unsubscribed_at=now)
    )


def bind(
    conn: Connection,
    resident: ResidentRow,
    *,
    representative_id: int | None,
    contact_point_id: int | None,
    sub_district_id: int | None,
    scene: str,
    event: str,
    now: datetime,
) -> ResidentRow:
    """Bind the resident (the latest scan wins; every scan is kept) and route the cases they
    filed while unbound to the new representative and contact point."""
    conn.execute(
        update(residents)
        .where(residents.c.id == resident.id)
        .values(representative_id=representative_id, contact_point_id=contact_point_id, bound_at=now)
    )
    conn.execute(
        insert(ResidentScan.__table__).values(
            resident_id=resident.id, representative_id=representative_id,
            contact_point_id=contact_point_id, scene=scene, event=event, scanned_at=now,
        )
    )
    unrouted = conn.scalars(
        select(cases_table.c.id).where(
            cases_table.c.resident_id == resident.id,
            cases_table.c.representative_id.is_(None),
            cases_table.c.sub_district_id.is_(None),
            cases_table.c.status.in_([status.value for status in OPEN_STATUSES]),
        )
    ).all()
    if unrouted:
        conn.execute(
            update(cases_table)
            .where(cases_table.c.id.in_(unrouted))
            .values(
                representative_id=representative_id, contact_point_id=contact_point_id,
                sub_district_id=sub_district_id, updated_at=now,
            )
        )
        conn.execute(
            insert(CaseEvent.__table__),
            [
                {"case_id": case_id, "at": now, "actor_kind": ActorKind.RESIDENT,
                 "actor_id": resident.id, "action": "route", "note": scene}
                for case_id in unrouted
            ],
        )
    return ResidentRow(resident.id, resident.openid, representative_id, contact_point_id)


def add_without_wechat(conn: Connection, channel: str, name: str, phone: str, representative_id: int | None,
                       contact_point_id: int | None, now: datetime) -> int:
    """A resident staff met at a contact point, on the phone or by letter: no openid (nothing is
    pushed to them; staff call them back), bound where they came."""
    return conn.execute(
        insert(residents).returning(residents.c.id),
        {"openid": None, "channel": channel, "name": name[:32], "phone": phone[:32] or None, "subscribed": False,
         "representative_id": representative_id, "contact_point_id": contact_point_id,
         "bound_at": now if representative_id or contact_point_id else None, "created_at": now},
    ).scalar_one()


def link_wechat(conn: Connection, walk_in_id: int, openid: str, now: datetime) -> None:
    """A resident staff filed for (代录) scanned the code on their slip with ``openid``: their
    cases are followed in that WeChat from now on. A WeChat already known to us takes the
    walk-in's cases (and the name, phone and contact point it lacks); an unknown one becomes the
    walk-in's own."""
    walk_in = conn.execute(select(residents).where(residents.c.id == walk_in_id)).one()
    known = conn.execute(select(residents).where(residents.c.openid == openid)).first()
    if known is None:
        conn.execute(update(residents).where(residents.c.id == walk_in_id)
                     .values(openid=openid, subscribed=True, subscribed_at=now, unsubscribed_at=None))
        return
    conn.execute(update(cases_table).where(cases_table.c.resident_id == walk_in_id).values(resident_id=known.id))
    filled = {column: getattr(walk_in, column) for column in ("name", "phone", "representative_id",
                                                              "contact_point_id", "bound_at")
              if getattr(known, column) is None and getattr(walk_in, column) is not None}
    if filled:
        conn.execute(update(residents).where(residents.c.id == known.id).values(**filled))
