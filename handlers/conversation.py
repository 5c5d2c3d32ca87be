"""Multi-step talk as an explicit state table.

A state is stored per resident in Redis (with an expiry) after a delivery commits. When a text
arrives while a state is open, the state's step decides: it answers (and moves or clears the
state), or returns None and the message falls through to the other handlers as usual.

| state                  | entered when                              | answers                 |
|------------------------|-------------------------------------------|-------------------------|
| choose_contact_point   | an unbound resident sent a location and   | "1".."n": bind to that  |
|                        | we listed the nearest contact points      | contact point           |
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from cases import directory, residents
from handlers.context import Context
from handlers.registry import PASS, Handler, Reply
from texts import residents as texts

STATE_TTL_SECONDS = 30 * 60


def choose_contact_point(ctx: Context) -> Reply:
    choice = unicodedata.normalize("NFKC", ctx.text).strip().rstrip(".。")
    options: list[int] = ctx.state.data.get("options", [])
    # NFKC has folded 「１」「①」「²」 to ASCII digits; 「❶」「➀」 and other scripts' digits stay as
    # they are. Only one or two ASCII digits reach int(): anything else is no answer (the text is
    # then handled as a report), never an error (tests/test_edge_input.py).
    if not (choice.isascii() and choice.isdecimal() and len(choice) <= 2) or not 1 <= int(choice) <= len(options):
        return None
    card = directory.contact_point_card(ctx.conn, options[int(choice) - 1])
    if card is None:
        return None
    ctx.rebind(
        residents.bind(
            ctx.conn, ctx.resident(),
            representative_id=None, contact_point_id=card.id, sub_district_id=card.sub_district_id,
            scene=f"cp:{card.id}", event="location", now=ctx.now,
        )
    )
    ctx.clear_state()
    return texts.contact_point_chosen(card.name, card.address, card.committee_name)


STATES: dict[str, Callable[[Context], Reply]] = {
    "choose_contact_point": choose_contact_point,
}


def in_conversation(ctx: Context) -> bool:
    return ctx.state is not None and bool(ctx.text)


def on_answer(ctx: Context):
    step = STATES.get(ctx.state.name)
    reply = step(ctx) if step else None
    if reply is None:
        # Not an answer: forget the question and let the message be handled as it is.
        ctx.clear_state()
        return PASS
    return reply


HANDLERS = [Handler("conversation", in_conversation, on_answer)]
