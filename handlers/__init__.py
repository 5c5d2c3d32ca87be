"""One handler per message or event kind; the first that matches answers (see registry).

Order matters: follows and scans first (a poster scan binds anyone); then WeChat's receipts;
then the workbench, which recognises representatives and clerks before any resident handler;
then a resident's answer to a rating question; then residents' conversations, commands and
reports; the fallback last."""

from __future__ import annotations

from handlers import commands, conversation, fallback, follow, rating, receipts, report, workbench
from handlers.registry import Handler

HANDLERS: list[Handler] = [
    *follow.HANDLERS,
    *receipts.HANDLERS,
    *workbench.HANDLERS,
    *rating.HANDLERS,  # a resident's answer to a rating question (验单), before their other words
    *conversation.HANDLERS,
    *commands.HANDLERS,
    *report.HANDLERS,
    *fallback.HANDLERS,  # last: it matches everything
]
