"""The durable local spool: where a delivery waits while the database cannot be reached.

When PostgreSQL is down (a failover, maintenance, a crash), ``bot.delivery`` keeps the delivery
here before answering WeChat, so that the answer never promises what is not on disk: one file per
delivery, named from a hash of its dedup key (the key holds an openid), written to a temporary
file, fsync'd, linked into place and the folder fsync'd. Linking refuses to replace, so a retry of
the same delivery never spools it twice and the first attempt's time is the one kept.
``bot.drainer`` files what is here once the database is back.

Nothing here is touched on a delivery while the database is up.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import psycopg
import xmltodict
from sqlalchemy import exc as sa_exc

from bot.messages import Incoming, parse_incoming
from texts import residents as texts

log = logging.getLogger(__name__)

SUFFIX = ".json"
TEMP_PREFIX = ".tmp-"
LOCK_NAME = ".drain.lock"
FAILED_DIR = "failed"  # deliveries that could not be filed for another reason than an outage
FORMAT = 1

# -- when to spool --------------------------------------------------------------------------------
# SQLSTATEs that say the server is gone or not taking work: class 08 (connection exception),
# shutting down or starting up, too many connections, a statement cancelled by a timeout.
OUTAGE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "57014"})
# SQLite: busy or locked past the busy timeout, an I/O error, disk full, the file cannot be opened.
SQLITE_OUTAGE_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR,
                                 sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL})


def is_outage(error: BaseException) -> bool:
    """Does ``error`` say the database cannot be reached (rather than that the delivery or the
    code is wrong)? Connection refused or reset, an administrator's shutdown, a timeout: yes.
    A constraint, a serialization conflict, a syntax error, a missing table: no."""
    if isinstance(error, (sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True  # the pool's own: a dead connection, or no connection free in time
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in SQLITE_OUTAGE_CODES
    if isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError)):
        sqlstate = getattr(error, "sqlstate", None)
        # No SQLSTATE: the failure is the connection's own (refused, reset, timed out, closed).
        return sqlstate is None or sqlstate.startswith("08") or sqlstate in OUTAGE_SQLSTATES
    return False


def spooled_answer(incoming: Incoming) -> str | None:
    """What a kept delivery is answered: a message that it is received and its number will
    follow; a tap (follow, scan, menu) that the answer will follow; other events "success"."""
    if incoming.msg_type != "event":
        return texts.SPOOLED_MESSAGE
    if incoming.opens_service_window:
        return texts.SPOOLED_TAP
    return None


# -- what a spool file holds ------------------------------------------------------------------------
@dataclass(frozen=True)
class SpooledDelivery:
    """Everything needed to replay a delivery: its key, when it was received, and its plaintext
    XML (after decryption; the fields wechatpy parsed, so a replay parses to the same message)."""

    dedup_key: str
    openid: str  # the sender: one sender's deliveries are filed one after the other, in order
    received_at: datetime  # naive UTC, as every timestamp column holds
    xml: str
    kept_ns: int = 0  # when it was spooled (time.time_ns()): the order of deliveries received at once

    @classmethod
    def of(cls, incoming: Incoming, received_at: datetime) -> SpooledDelivery:
        xml = xmltodict.unparse({"xml": incoming.message._data}, full_document=False)
        return cls(incoming.dedup_key, incoming.openid, received_at, xml, time.time_ns())

    @property
    def order(self) -> tuple[datetime, int]:
        return self.received_at, self.kept_ns

    def incoming(self) -> Incoming:
        """The delivery as the webhook parsed it, under the key it was received with."""
        parsed = parse_incoming(self.xml)
        return parsed if parsed.dedup_key == self.dedup_key else replace(parsed, dedup_key=self.dedup_key)

    def to_bytes(self) -> bytes:
        return json.dumps({"format": FORMAT, "dedup_key": self.dedup_key, "openid": self.openid,
                           "received_at": self.received_at.isoformat(), "kept_ns": self.kept_ns, "xml": self.xml},
                          ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> SpooledDelivery:
        payload = json.loads(data)
        if payload.get("format") != FORMAT:
            raise ValueError(f"unknown spool format {payload.get('format')!r}")
        return cls(str(payload["dedup_key"]), str(payload["openid"]), datetime.fromisoformat(payload["received_at"]),
                   str(payload["xml"]), int(payload["kept_ns"]))


def file_name(dedup_key: str) -> str:
    return hashlib.sha256(dedup_key.encode()).hexdigest()[:40] + SUFFIX


# -- the folder ---------------------------------------------------------------------------------------
class Spool:
    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def path_for(self, dedup_key: str) -> Path:
        return self.directory / file_name(dedup_key)

    def keep(self, spooled: SpooledDelivery) -> bool:
        """Write ``spooled`` durably unless it is already here; True when this call wrote it.
        Returns only once the file and its name are on disk."""
        final = self.path_for(spooled.dedup_key)
        if final.exists():
            return False
        self._make_folder()
        fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=SUFFIX, dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(spooled.to_bytes())
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temp, final)  # never replaces: the first attempt's file stays
                written = True
            except FileExistsError:
                written = False
            except OSError as error:
                if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP):
                    raise
                written = not final.exists()  # a file system without hard links
                if written:
                    os.replace(temp, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        self._sync_folder()
        return written

    def holds(self, dedup_key: str) -> bool:
        return self.path_for(dedup_key).exists()

    def load(self, dedup_key: str) -> SpooledDelivery | None:
        """The delivery kept under ``dedup_key``, or None (one open, no listing)."""
        try:
            return self.read(self.path_for(dedup_key))
        except FileNotFoundError:
            return None

    @staticmethod
    def read(path: Path) -> SpooledDelivery:
        return SpooledDelivery.from_bytes(path.read_bytes())

    def discard(self, dedup_key: str) -> bool:
        """Forget a delivery that is filed; True when there was a file. Not fsync'd: a file that
        comes back after a crash is found filed, and its push queued, and is deleted again."""
        try:
            os.unlink(self.path_for(dedup_key))
        except FileNotFoundError:
            return False
        return True

    def paths(self) -> list[Path]:
        """The files waiting, in no particular order (temporary files and the lock excluded)."""
        try:
            with os.scandir(self.directory) as entries:
                return [Path(entry.path) for entry in entries
                        if entry.name.endswith(SUFFIX) and not entry.name.startswith(".") and entry.is_file()]
        except FileNotFoundError:
            return []

    def has_pending(self) -> bool:
        return bool(self.paths())

    def failed_paths(self) -> list[Path]:
        folder = self.directory / FAILED_DIR
        return sorted(folder.glob("*" + SUFFIX)) if folder.is_dir() else []

    def set_aside(self, path: Path) -> Path:
        """Move a delivery that cannot be filed out of the way (kept, never deleted):
        ``minyi spool drain --failed`` tries it again once the cause is fixed."""
        folder = self.directory / FAILED_DIR
        folder.mkdir(mode=0o700, exist_ok=True)
        target = folder / path.name
        os.replace(path, target)
        self._sync_folder()
        return target

    def restore_failed(self) -> int:
        """Put every set-aside delivery back in line; how many."""
        moved = 0
        for path in self.failed_paths():
            os.replace(path, self.directory / path.name)
            moved += 1
        if moved:
            self._sync_folder()
        return moved

    @contextlib.contextmanager
    def draining(self, wait: bool = False) -> Iterator[bool]:
        """Hold the folder's drain lock (``fcntl.flock``, shared by every process on this
        machine); yields False when another holds it and ``wait`` is false."""
        self._make_folder()
        fd = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _make_folder(self) -> None:
        if not self.directory.is_dir():
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            _fsync_dir(self.directory.parent)

    def _sync_folder(self) -> None:
        _fsync_dir(self.directory)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
