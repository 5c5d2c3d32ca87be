"""Typed commands: 「我的」/「进度」/「查询」 list the resident's recent cases."""

from __future__ import annotations

import unicodedata

from sqlalchemy import func, select

from cases.numbering import case_number
from handlers import texts
from handlers.context import Context
from handlers.registry import Handler, Reply
from models import Case

RECENT_CASES = 5


def normalize_command(text: str) -> str:
    """Fold full-width forms and drop spaces and punctuation around a short command."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not (ch.isspace() or unicodedata.category(ch).startswith("P")))


LONGEST_COMMAND = 8  # a command with its spaces and punctuation; longer texts are reports


def is_my_cases(ctx: Context) -> bool:
    text = ctx.text
    return 0 < len(text) <= LONGEST_COMMAND and normalize_command(text) in texts.MY_CASES_COMMANDS


def on_my_cases(ctx: Context) -> Reply:
    resident = ctx.resident()
    rows = ctx.conn.execute(
        select(Case.id, Case.created_at, Case.status, Case.summary)
        .where(Case.resident_id == resident.id)
        .order_by(Case.id.desc())
        .limit(RECENT_CASES)
    ).all()
    more = 0
    if len(rows) == RECENT_CASES:
        total = ctx.conn.scalar(select(func.count()).select_from(Case).where(Case.resident_id == resident.id))
        more = total - RECENT_CASES
    return texts.my_cases(
        [(case_number(row.id, row.created_at), row.status, row.summary) for row in rows], more
    )


HANDLERS = [Handler("my_cases", is_my_cases, on_my_cases)]
