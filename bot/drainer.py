"""Filing what the spool kept, once the database is back.

The spool is local to each web machine, and only one scheduler is active across machines, so the
web processes drain it themselves: a daemon thread per process, started when the process spools
a delivery or finds the spool not empty, and ended when it is empty. Every process on the machine
shares one folder; an ``fcntl`` lock on it lets one drain at a time. A pass files several senders
at once, each sender's deliveries one after the other, oldest first, so a resident's messages are
filed in the order they came. While the database is still down the thread backs off.
``minyi spool drain`` runs the same pass by hand.

Each delivery is filed through the same handlers as in a request, at the time it was received
(``Deliveries.file_spooled``); the unique ``inbound_messages.dedup_key`` makes that happen once
whoever gets there first. Then, unless a retry of it filed it meanwhile and took the file (its
answer was the reply), what the handlers answered (the case number) is queued in the outbox for
the resident, keyed by the delivery so that a crash before the file is deleted pushes it once;
then the file is deleted.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from bot.spool import Spool, SpooledDelivery, is_outage
from cases.actions import queue
from cases.notices import RESIDENT_TEMPLATE, Notice, split_text
from texts import beijing_time
from texts import residents as texts

if TYPE_CHECKING:
    from bot.delivery import Deliveries, Recorded

log = logging.getLogger(__name__)

PURPOSE = "spooled"  # outbox_messages.purpose of a reply pushed after the spool was drained
FIRST_PAUSE_SECONDS = 0.5
MAX_PAUSE_SECONDS = 5.0
LANES = 4  # senders filed at once in a pass (each waits on the database most of the time)


# -- what the resident is pushed ------------------------------------------------------------------
def follow_up(openid: str, reply: str, number: str, received_at: datetime) -> list[Notice]:
    """The reply a kept delivery would have had, as customer-service messages (the template
    stands in outside WeChat's window)."""
    data = {"number": number, "text": texts.SPOOLED_FILED_LINE, "time": beijing_time(received_at)}
    return [Notice(openid, PURPOSE, part, RESIDENT_TEMPLATE, data, index)
            for index, part in enumerate(split_text(reply))]


def push_cause(dedup_key: str) -> str:
    """The outbox key's event part for a kept delivery: one push per delivery, ever."""
    return "spool:" + hashlib.sha256(dedup_key.encode()).hexdigest()[:32]


def queue_follow_up(conn: Connection, openid: str, found: Recorded, dedup_key: str, received_at: datetime,
                    now: datetime) -> None:
    """Queue the push. If it is queued already (a crash before the file was deleted, or another
    drainer at the same moment), the unique idempotency key fails this transaction."""
    queue(conn, push_cause(dedup_key), follow_up(openid, found.reply, found.number, received_at), found.case_id, now)


# -- one pass over the spool ------------------------------------------------------------------------
@dataclass
class DrainResult:
    filed: int = 0
    set_aside: int = 0  # could not be filed for a reason other than an outage (see Spool.set_aside)
    left: int = 0
    database_down: bool = False
    locked: bool = False  # another process is draining this spool


def drain(deliveries: Deliveries, *, wait: bool = False) -> DrainResult:
    """File every kept delivery, each sender's oldest first, stopping at the first sign the
    database is still down. ``wait``: wait for another process's pass instead of leaving it the work."""
    spool: Spool = deliveries.spool
    result = DrainResult()
    with spool.draining(wait) as held:
        if not held:
            result.locked = True
            result.left = len(spool.paths())
            return result
        waiting: list[tuple[SpooledDelivery, Path]] = []
        for path in spool.paths():
            try:
                waiting.append((Spool.read(path), path))
            except FileNotFoundError:
                continue  # a retry filed it meanwhile
            except (ValueError, KeyError, TypeError):
                log.error("spool file %s cannot be read; set aside", path.name)
                spool.set_aside(path)
                result.set_aside += 1
        waiting.sort(key=lambda item: (item[0].order, item[1].name))
        lanes: dict[str, list[tuple[SpooledDelivery, Path]]] = defaultdict(list)
        for item in waiting:
            lanes[item[0].openid].append(item)
        down = threading.Event()

        def file_lane(lane: list[tuple[SpooledDelivery, Path]]) -> tuple[int, int]:
            filed = set_aside = 0
            for spooled, path in lane:
                if down.is_set():
                    break
                try:
                    deliveries.file_spooled(spooled)
                except Exception as error:  # noqa: BLE001 - an outage stops the pass; anything else is set aside
                    if is_outage(error):
                        down.set()
                        break
                    log.error("spooled delivery %s could not be filed; set aside", path.name, exc_info=error)
                    spool.set_aside(path)
                    set_aside += 1
                    continue
                filed += 1
            return filed, set_aside

        if lanes:
            with ThreadPoolExecutor(max_workers=min(LANES, len(lanes)), thread_name_prefix="spool-drain") as pool:
                for filed, set_aside in pool.map(file_lane, lanes.values()):
                    result.filed += filed
                    result.set_aside += set_aside
        result.database_down = down.is_set()
        result.left = len(spool.paths())
    if result.filed or result.set_aside:
        log.info("spool: %d filed, %d set aside, %d left", result.filed, result.set_aside, result.left)
    return result


# -- the thread in each web process -------------------------------------------------------------------
class Drainer:
    """Runs ``drain`` in a daemon thread while this machine's spool has files."""

    def __init__(self, deliveries: Deliveries):
        self.deliveries = deliveries
        self._lock = threading.Lock()
        self._wanted = False
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def notify(self) -> None:
        """The spool has (or may have) files: make sure a thread is draining it."""
        with self._lock:
            self._wanted = True
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="minyi-spool-drainer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _run(self) -> None:
        pause = FIRST_PAUSE_SECONDS
        while not self._stopping.is_set():
            with self._lock:
                self._wanted = False
            try:
                result = drain(self.deliveries)
            except Exception:  # noqa: BLE001 - logged; the thread tries again after a pause
                log.exception("spool drain failed")
                result = DrainResult(left=1, database_down=True)
            if result.left == 0:
                with self._lock:
                    if not self._wanted:
                        self._thread = None
                        return
                continue
            if result.database_down or result.locked or not (result.filed or result.set_aside):
                self._stopping.wait(pause)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
            else:
                pause = FIRST_PAUSE_SECONDS
