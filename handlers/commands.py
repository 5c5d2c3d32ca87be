"""What residents type that is not a report: 「进度」 (their recent cases), 「帮助」, 「新问题」
(the next message opens a new case), and greetings and thanks, which are answered and never
filed or appended to the case they are describing."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from sqlalchemy import update

from cases import queries
from cases.status import JOINABLE_STATUSES
from handlers.context import Context
from handlers.registry import Handler, Reply
from models import Case
from texts import residents as texts

RECENT_CASES = 5
LONGEST_COMMAND = 8  # a command with its spaces and punctuation; longer texts are reports


def normalize_command(text: str) -> str:
    """Fold full-width forms and case; drop spaces and punctuation around a short command."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not (ch.isspace() or unicodedata.category(ch)[0] in "PS"))


def _said(words: tuple[str, ...]) -> Callable[[Context], bool]:
    folded = frozenset(normalize_command(word) or word for word in words)

    def matches(ctx: Context) -> bool:
        text = ctx.text
        return 0 < len(text) <= LONGEST_COMMAND and (normalize_command(text) or text.strip()) in folded
    return matches


def on_my_cases(ctx: Context) -> Reply:
    rows, more = queries.resident_recent(ctx.conn, ctx.resident().id, RECENT_CASES)
    return texts.my_cases(rows, more)


def on_new_problem(ctx: Context) -> Reply:
    """Close the grouping window: the next message opens a new case."""
    ctx.conn.execute(
        update(Case).where(Case.resident_id == ctx.resident().id, Case.status.in_(JOINABLE_STATUSES),
                           Case.grouping_closed.is_(False)).values(grouping_closed=True)
    )
    return texts.NEW_PROBLEM_READY


HANDLERS = [
    Handler("my_cases", _said(texts.MY_CASES_COMMANDS), on_my_cases),
    Handler("new_problem", _said(texts.NEW_PROBLEM_COMMANDS), on_new_problem),
    Handler("help", _said(texts.HELP_COMMANDS),
            lambda ctx: texts.help_text(ctx.settings.intake_join_window_minutes)),
    Handler("greeting", _said(texts.GREETINGS), lambda ctx: texts.GREETING_REPLY),
    Handler("thanks", _said(texts.THANKS), lambda ctx: texts.THANKS_REPLY),
    Handler("acknowledgement", _said(texts.ACKNOWLEDGEMENTS), lambda ctx: texts.ACKNOWLEDGEMENT_REPLY),
]
