"""What a handler gets: the message, the delivery's statements (one transaction), the clock's
"now", the settings, the resident's conversation state, and a place for work that waits for commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.config import Settings
from bot.messages import Incoming
from cases.batch import Batch, Pending
from cases.residents import ResidentRow, resident_row


@dataclass(frozen=True)
class ConversationState:
    """Where a multi-step talk stands (see handlers.conversation.STATES)."""

    name: str
    data: dict[str, Any]


@dataclass
class Context:
    incoming: Incoming
    batch: Batch
    now: datetime
    settings: Settings
    state: ConversationState | None = None
    # The resident's touch, queued by the delivery for every message and tap (see
    # Incoming.opens_service_window); None for platform events and unfollows.
    touched: Pending | None = None
    # When state_changed, what to store once the delivery commits (None clears the state).
    next_state: ConversationState | None = None
    state_changed: bool = False
    case_id: int | None = None  # the case this delivery was filed on, for the inbound record
    _resident: ResidentRow | None = None

    @property
    def message(self):
        return self.incoming.message

    @property
    def conn(self) -> Connection:
        """For ordinary SQLAlchemy statements (leaves the hot path's pipeline)."""
        return self.batch.conn

    @property
    def text(self) -> str:
        return (getattr(self.message, "content", "") or "").strip() if self.incoming.msg_type == "text" else ""

    def resident(self) -> ResidentRow:
        """The resident as touched by this delivery (waits for the queued statements)."""
        if self._resident is None:
            if self.touched is None:
                raise LookupError(f"{self.incoming.kind} does not touch the resident")
            self._resident = resident_row(self.incoming.openid, self.touched.first())
        return self._resident

    def rebind(self, resident: ResidentRow) -> None:
        self._resident = resident

    def set_state(self, name: str, **data: Any) -> None:
        self.next_state = ConversationState(name, data)
        self.state_changed = True

    def clear_state(self) -> None:
        if self.state is not None:
            self.next_state = None
            self.state_changed = True
