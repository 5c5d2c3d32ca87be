"""One handler per message or event kind; the first that matches answers (see registry)."""

from __future__ import annotations

from handlers import commands, conversation, fallback, follow, report
from handlers.registry import Handler

HANDLERS: list[Handler] = [
    *follow.HANDLERS,
    *conversation.HANDLERS,
    *commands.HANDLERS,
    *report.HANDLERS,
    *fallback.HANDLERS,  # last: it matches everything
]
