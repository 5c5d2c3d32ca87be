"""Jobs that push messages to WeChat: queue the notices that are due, then send what is queued.

Sending happens outside any database transaction (a WeChat call may take seconds, and SQLite
would hold its write lock all that time); each message's outcome is written afterwards in a
short transaction of its own.
"""

from __future__ import annotations

import logging
from datetime import datetime

import requests
from sqlalchemy import and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatClientException

from bot.services import Services
from cases.notifications import NEW_CASE_NOTICE_WITHIN, after_attempt
from cases.numbering import BEIJING_OFFSET
from cases.status import CaseStatus
from handlers import texts
from models import Case, OutboxMessage, Representative

log = logging.getLogger(__name__)

BATCH = 50
NEW_CASE = "new_case"


def queue_new_case_notices(svc: Services, now: datetime) -> int:
    """A representative with a bound WeChat hears of each new case routed to them."""
    with Session(svc.engine) as session:
        due = session.execute(
            select(Case, Representative.openid)
            .join(Representative, Representative.id == Case.representative_id)
            .where(
                Case.status == CaseStatus.SUBMITTED,
                Case.created_at >= now - NEW_CASE_NOTICE_WITHIN,
                Representative.openid.is_not(None),
                ~exists().where(and_(OutboxMessage.purpose == NEW_CASE, OutboxMessage.case_id == Case.id,
                                     OutboxMessage.openid == Representative.openid)),
            )
            .order_by(Case.id)
            .limit(BATCH)
        ).all()
        for case, openid in due:
            filed_at = (case.created_at + BEIJING_OFFSET).strftime("%Y年%m月%d日 %H:%M")
            session.add(OutboxMessage(
                openid=openid, purpose=NEW_CASE, case_id=case.id,
                text=texts.new_case_notice(case.number, texts.clip(case.summary, 60), filed_at),
                template_data={"keyword1": case.number, "keyword2": texts.new_case_progress(case.summary),
                               "keyword3": filed_at},
                next_attempt_at=now, created_at=now,
            ))
        try:
            session.commit()
        except IntegrityError:  # another scheduler queued them first (a leader hand-over)
            session.rollback()
            return 0
    return len(due)


def _send(svc: Services, message: OutboxMessage, channel: str) -> tuple[int | None, str]:
    """Return (errcode, error): 0 on success, None when WeChat gave no answer."""
    try:
        if channel == "custom":
            svc.wechat.message.send_text(message.openid, message.text)
        else:
            data = {field: {"value": value} for field, value in message.template_data.items()}
            svc.wechat.message.send_template(message.openid, svc.settings.wechat_template_case_notice, data)
    except WeChatClientException as error:
        return error.errcode, str(error.errmsg or error)[:255]
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {error}"[:255]
    return 0, ""


def deliver_outbox(svc: Services, now: datetime) -> int:
    """Send every message that is due; return how many were sent."""
    if svc.wechat is None:
        return 0  # no account: messages wait, and minyi run says why
    has_template = bool(svc.settings.wechat_template_case_notice)
    with Session(svc.engine) as session:
        due = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id)
            .limit(BATCH)
        ).all()
        session.expunge_all()
    sent = 0
    for message in due:
        channel, attempts = message.channel, message.attempts
        while True:
            attempts += 1
            errcode, error = _send(svc, message, channel)
            outcome = after_attempt(channel, errcode, attempts, has_template, now)
            if not outcome.try_now:
                break
            channel = outcome.channel
        if errcode:
            log.info("outbox %s to %s via %s: %s %s", message.id, message.purpose, channel, errcode, error)
        with Session(svc.engine) as session:
            row = session.get(OutboxMessage, message.id)
            row.status, row.channel, row.attempts = outcome.status, outcome.channel, attempts
            row.last_errcode, row.last_error = (errcode or None), (error or None)
            if outcome.next_attempt_at is not None:
                row.next_attempt_at = outcome.next_attempt_at
            if outcome.status == "sent":
                row.sent_at = now
                sent += 1
            session.commit()
    return sent
