"""Everything else: platform notifications get "success"; what a person did gets a polite word."""

from __future__ import annotations

from handlers.context import Context
from handlers.registry import Handler, Reply
from texts import residents as texts

# Menu events where the person is waiting on screen for an answer. Every other event needs none:
# location reports, delivery receipts, page views, sessions, and the photo and location menus,
# whose image or location message follows and gets the answer.
EVENTS_AWAITING_ANSWER = frozenset({"click", "scancode_waitmsg"})


def is_platform_event(ctx: Context) -> bool:
    return ctx.incoming.msg_type == "event" and ctx.incoming.event not in EVENTS_AWAITING_ANSWER


def on_anything(ctx: Context) -> Reply:
    return texts.UNSUPPORTED_MESSAGE


HANDLERS = [
    Handler("platform_event", is_platform_event, lambda ctx: None),
    Handler("fallback", lambda ctx: True, on_anything),
]
