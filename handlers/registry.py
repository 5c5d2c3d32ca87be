"""First-match dispatch: each handler says whether a delivery is its own and, if so, answers it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers.context import Context

Reply = str | None  # the passive reply's text; None answers "success" (nothing to say)


class _Pass:
    def __repr__(self) -> str:
        return "PASS"


# A handler that matched but, on a closer look, is not the one: dispatch goes on to the next.
PASS = _Pass()


@dataclass(frozen=True)
class Handler:
    name: str
    matches: Callable[[Context], bool]
    handle: Callable[[Context], Reply | _Pass]


def dispatch(handlers: list[Handler], ctx: Context) -> tuple[str, Reply]:
    """Run the first handler that matches; returns its name (for logs) and its reply."""
    for handler in handlers:
        if handler.matches(ctx):
            reply = handler.handle(ctx)
            if reply is not PASS:
                return handler.name, reply
    raise LookupError("no handler matched; the fallback handler must match everything")
