"""WeChat's later word on a template message (TEMPLATESENDJOBFINISH): its final outcome is
written on the outbox row that sent it; a failure there is listed for staff like any other."""

from __future__ import annotations

from sqlalchemy import update

from handlers.context import Context
from handlers.registry import Handler, Reply
from models import OutboxMessage

SUCCESS = "success"


def on_template_job_finished(ctx: Context) -> Reply:
    raw = ctx.message._data
    msgid = ctx.incoming.msg_id  # checked at the edge: within WeChat's unsigned 64-bit range
    if msgid is None:
        return None
    status = str(raw.get("Status") or "")[:64]
    changes: dict = {"job_status": status}
    if status != SUCCESS:
        changes.update(status="failed", last_error=f"TEMPLATESENDJOBFINISH: {status}"[:255])
    ctx.conn.execute(update(OutboxMessage).where(OutboxMessage.template_msgid == msgid,
                                                 OutboxMessage.openid == ctx.incoming.openid).values(**changes))
    return None


HANDLERS = [Handler("template_job_finished", lambda ctx: ctx.incoming.event == "templatesendjobfinish",
                    on_template_job_finished)]
