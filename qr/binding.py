"""A representative binds their own WeChat by scanning a temporary code (scene ``bind:<token>``,
10 minutes) that the working committee generates for them. Each token binds exactly once;
only its SHA-256 is stored, so the database alone cannot be used to bind."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from wechatpy import WeChatClient

from models import BindToken, Representative
from qr.scenes import bind_scene

BIND_CODE_LIFETIME = timedelta(minutes=10)


class BindOutcome(enum.Enum):
    BOUND = "bound"
    ALREADY = "already"  # the same person scanning their used code again
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    TAKEN = "taken"  # this WeChat already belongs to another representative


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_bind_code(session: Session, client: WeChatClient, representative: Representative,
                    now: datetime) -> tuple[str, datetime]:
    """Create the temporary code through WeChat; return its URL and when it expires."""
    token = secrets.token_urlsafe(16)
    answer = client.qrcode.create({
        "expire_seconds": int(BIND_CODE_LIFETIME.total_seconds()), "action_name": "QR_STR_SCENE",
        "action_info": {"scene": {"scene_str": bind_scene(token)}},
    })
    expires_at = now + BIND_CODE_LIFETIME
    session.add(BindToken(token_hash=_hash(token), representative_id=representative.id, created_at=now,
                          expires_at=expires_at))
    session.flush()
    return answer["url"], expires_at


def redeem_bind_token(conn: Connection, token: str, openid: str, now: datetime) -> tuple[BindOutcome, str]:
    """Bind ``openid`` to the token's representative if the token is fresh and unused; return the
    outcome and the representative's name (the other one's, for TAKEN)."""
    row = conn.execute(
        select(BindToken.id, BindToken.representative_id, BindToken.expires_at, BindToken.used_at,
               BindToken.used_by_openid, Representative.name)
        .join(Representative, Representative.id == BindToken.representative_id)
        .where(BindToken.token_hash == _hash(token))
        .with_for_update(of=BindToken)
    ).first()
    if row is None:
        return BindOutcome.UNKNOWN, ""
    if row.used_at is not None:
        return (BindOutcome.ALREADY if row.used_by_openid == openid else BindOutcome.USED), row.name
    if row.expires_at <= now:
        return BindOutcome.EXPIRED, row.name
    holder = conn.execute(select(Representative.id, Representative.name).where(Representative.openid == openid)).first()
    if holder is not None and holder.id != row.representative_id:
        return BindOutcome.TAKEN, holder.name
    claimed = conn.execute(update(BindToken).where(BindToken.id == row.id, BindToken.used_at.is_(None))
                           .values(used_at=now, used_by_openid=openid))
    if claimed.rowcount != 1:
        return BindOutcome.USED, row.name
    conn.execute(update(Representative).where(Representative.id == row.representative_id).values(openid=openid))
    return BindOutcome.BOUND, row.name
