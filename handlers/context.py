"""What a handler gets: the message, the delivery's connection (one transaction), the clock's
"now", the settings, the resident's conversation state, and what to do once it commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.config import Settings
from bot.messages import Incoming
from cases import actors, residents
from cases.residents import ResidentRow
from cases.scope import Actor

_UNKNOWN = object()


@dataclass(frozen=True)
class ConversationState:
    """Where a multi-step talk stands (see handlers.conversation.STATES)."""

    name: str
    data: dict[str, Any]


@dataclass
class Context:
    incoming: Incoming
    conn: Connection
    now: datetime
    settings: Settings
    state: ConversationState | None = None
    # When state_changed, what to store once the delivery commits (None clears the state).
    next_state: ConversationState | None = None
    state_changed: bool = False
    case_id: int | None = None  # the case this delivery was filed on, for the inbound record
    recorded: bool = False  # the handler wrote the delivery's inbound row itself (cases.intake)
    # On the assumption that the sender is a resident (bot.delivery, on PostgreSQL): ``worker()``
    # answers None without asking, and the assumption is checked before anything is written for
    # a resident (``resident()``, the report's statement) and before the delivery is recorded.
    assume_resident: bool = False
    _resident: ResidentRow | None = None
    _worker: Actor | None | object = _UNKNOWN

    @property
    def message(self):
        return self.incoming.message

    @property
    def text(self) -> str:
        return (getattr(self.message, "content", "") or "").strip() if self.incoming.msg_type == "text" else ""

    def resident(self) -> ResidentRow:
        """The resident, created or touched once per delivery (this opens the 48-hour window)."""
        if self._resident is None:
            self.confirm_resident()
            self._resident = residents.touch(
                self.conn, self.incoming.openid, self.now, subscribing=self.incoming.subscribes
            )
        return self._resident

    def worker(self) -> Actor | None:
        """The representative or staff member writing from their own WeChat, or None."""
        if self._worker is _UNKNOWN:
            if self.assume_resident:
                return None
            self._worker = actors.by_openid(self.conn, self.incoming.openid)
        return self._worker

    @property
    def resident_unconfirmed(self) -> bool:
        """Handled as a resident's, and nobody has looked yet whether the sender is a worker."""
        return self.assume_resident and self._worker is _UNKNOWN

    def confirm_resident(self) -> None:
        """Look, if the assumption stands unchecked: ``WorkerAssumedResident`` if it was wrong."""
        if self.resident_unconfirmed:
            self._worker = actors.by_openid(self.conn, self.incoming.openid)
            if self._worker is not None:
                raise actors.WorkerAssumedResident()

    def resident_confirmed(self) -> None:
        """The report's statement found no worker with this openid (it refuses to file for one)."""
        if self._worker is _UNKNOWN:
            self._worker = None

    def rebind(self, resident: ResidentRow) -> None:
        self._resident = resident

    def set_state(self, name: str, **data: Any) -> None:
        self.next_state = ConversationState(name, data)
        self.state_changed = True

    def clear_state(self) -> None:
        if self.state is not None:
            self.next_state = None
            self.state_changed = True
