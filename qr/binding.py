"""One-time codes behind temporary QR codes.

A representative, or a staff member, binds their own WeChat by scanning a temporary code (scene
``bind:<token>``, 10 minutes) that the working committee generates for them. One WeChat belongs
to one person: a representative or a staff account, not both.

A resident staff filed a case for (代录) scans the code on their slip (scene ``link:<token>``, 30
days: WeChat's longest for a temporary code, and a slip is read at home) to follow their case in
WeChat; a representative's or staff member's WeChat cannot take it.

Each token is redeemed exactly once; only its SHA-256 is stored, so the database alone cannot be
used to bind or link."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from wechatpy import WeChatClient

from cases import residents
from models import BindToken, Representative, Resident, StaffUser
from qr.scenes import token_scene

BIND_CODE_LIFETIME = timedelta(minutes=10)
LINK_CODE_LIFETIME = timedelta(days=30)


class BindOutcome(enum.Enum):
    BOUND = "bound"
    ALREADY = "already"  # the same person scanning their used code again
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    TAKEN = "taken"  # this WeChat already belongs to another representative (or, linking, to staff)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_bind_code(session: Session, client: WeChatClient, holder: Representative | StaffUser | Resident,
                    now: datetime) -> tuple[str, datetime]:
    """Create the temporary code through WeChat for ``holder`` (a resident: the link code of their
    slip); return its URL and when it expires."""
    token = secrets.token_urlsafe(16)
    resident = isinstance(holder, Resident)
    lifetime = LINK_CODE_LIFETIME if resident else BIND_CODE_LIFETIME
    answer = client.qrcode.create({
        "expire_seconds": int(lifetime.total_seconds()), "action_name": "QR_STR_SCENE",
        "action_info": {"scene": {"scene_str": token_scene("link" if resident else "bind", token)}},
    })
    expires_at = now + lifetime
    owner = ({"representative_id": holder.id} if isinstance(holder, Representative)
             else {"resident_id": holder.id} if resident else {"staff_user_id": holder.id})
    session.add(BindToken(token_hash=_hash(token), created_at=now, expires_at=expires_at, **owner))
    session.flush()
    return answer["url"], expires_at


def _holder_name(conn: Connection, representative_id: int | None, staff_user_id: int | None) -> str:
    """How the bind reply greets the holder: 王晓明代表, or a clerk's display name."""
    if representative_id is not None:
        return (conn.scalar(select(Representative.name).where(Representative.id == representative_id)) or "") + "代表"
    return conn.scalar(select(StaffUser.display_name).where(StaffUser.id == staff_user_id)) or ""


def _bound_to(conn: Connection, openid: str) -> tuple[int | None, int | None] | None:
    """(representative id, staff id) this WeChat is bound to, or None."""
    rep = conn.scalar(select(Representative.id).where(Representative.openid == openid))
    if rep is not None:
        return rep, None
    staff = conn.scalar(select(StaffUser.id).where(StaffUser.openid == openid))
    return (None, staff) if staff is not None else None


def _claim(conn: Connection, row, openid: str, now: datetime) -> BindOutcome | None:
    """Mark the token used by ``openid``; the outcome instead when it cannot be."""
    if row.used_at is not None:
        return BindOutcome.ALREADY if row.used_by_openid == openid else BindOutcome.USED
    if row.expires_at <= now:
        return BindOutcome.EXPIRED
    claimed = conn.execute(update(BindToken).where(BindToken.id == row.id, BindToken.used_at.is_(None))
                           .values(used_at=now, used_by_openid=openid))
    return None if claimed.rowcount == 1 else BindOutcome.USED


def _token(conn: Connection, token: str):
    return conn.execute(
        select(BindToken.id, BindToken.representative_id, BindToken.staff_user_id, BindToken.resident_id,
               BindToken.expires_at, BindToken.used_at, BindToken.used_by_openid)
        .where(BindToken.token_hash == _hash(token))
        .with_for_update()
    ).first()


def redeem_link_token(conn: Connection, token: str, openid: str, now: datetime) -> BindOutcome:
    """Link ``openid`` to the slip's resident if the token is fresh and unused (BOUND: linked)."""
    row = _token(conn, token)
    if row is None or row.resident_id is None:
        return BindOutcome.UNKNOWN
    if row.used_at is None and row.expires_at > now and _bound_to(conn, openid) is not None:
        return BindOutcome.TAKEN
    refused = _claim(conn, row, openid, now)
    if refused is not None:
        return refused
    residents.link_wechat(conn, row.resident_id, openid, now)
    return BindOutcome.BOUND


def redeem_bind_token(conn: Connection, token: str, openid: str, now: datetime) -> tuple[BindOutcome, str]:
    """Bind ``openid`` to the token's holder if the token is fresh and unused; return the outcome
    and how to greet the holder (the other holder's name, for TAKEN)."""
    row = _token(conn, token)
    if row is None or row.resident_id is not None:
        return BindOutcome.UNKNOWN, ""
    name = _holder_name(conn, row.representative_id, row.staff_user_id)
    holder = _bound_to(conn, openid)
    if (row.used_at is None and row.expires_at > now and holder is not None
            and holder != (row.representative_id, row.staff_user_id)):
        return BindOutcome.TAKEN, _holder_name(conn, *holder)
    refused = _claim(conn, row, openid, now)
    if refused is not None:
        return refused, name
    if row.representative_id is not None:
        conn.execute(update(Representative).where(Representative.id == row.representative_id).values(openid=openid))
    else:
        conn.execute(update(StaffUser).where(StaffUser.id == row.staff_user_id).values(openid=openid))
    return BindOutcome.BOUND, name
