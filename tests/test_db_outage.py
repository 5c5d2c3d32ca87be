"""THE OUTAGE TEST (about a minute): PostgreSQL down for 30 seconds under a steady stream of
deliveries gives up no message and duplicates none.

The test runs its own throw-away PostgreSQL cluster (initdb into a temporary folder, on a free
port; never the shared one on 5432), serves the app on a real threaded server, and streams signed
text deliveries at 20 a second from a client that behaves like WeChat: 5 seconds per try, three
tries, then it gives up. Mid-stream the cluster is stopped (``pg_ctl stop -m immediate``, a crash
for every connection) and started again 30 seconds later.

It runs in the pass on the embedded defaults only: it needs no MINYI_DATABASE_URL, and the
second CI pass would only repeat it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from bot import create_app
from bot.clock import SystemClock
from bot.drainer import PURPOSE, push_cause
from bot.services import services
from cases.numbering import case_number
from models import Base, Case, CaseMessage, InboundMessage, OutboxMessage
from sandbox.webhook_client import HttpTransport
from tests.support import APPID, TOKEN, WeChatServer, message_xml, next_msg_id
from texts import residents as texts

RATE = 20  # deliveries a second
BEFORE, DOWN, AFTER = 4.0, 30.0, 6.0  # seconds of stream before, during and after the outage
RESIDENTS = 40
TRIES, TRY_TIMEOUT = 3, 5.0  # WeChat's
DRAIN_DEADLINE = 30.0

INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))

pytestmark = [
    pytest.mark.skipif(not INITDB, reason="PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed"),
    pytest.mark.skipif(os.environ.get("MINYI_DATABASE_URL", "").startswith("postgresql"),
                       reason="the outage test brings its own cluster; it runs in the embedded pass only"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of the test's own. As root, initdb and pg_ctl run as ``postgres``."""

    def __init__(self):
        self.bin = os.path.dirname(INITDB[-1])
        self.root = tempfile.mkdtemp(prefix="minyi-outage-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root, and there is no postgres user to run the cluster as")
            if not shutil.which("runuser"):
                pytest.skip("running as root without runuser to run the cluster as postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_user, os.path.join(self.bin, tool), *args], check=True, capture_output=True,
                       timeout=60)

    def start(self) -> None:
        options = (f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
                   "-c fsync=off -c full_page_writes=off -c max_connections=60")
        self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.root, "server.log"), "-o", options, "-w",
                  "-t", "60", "start")

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def cluster():
    cluster = Cluster()
    cluster.start()
    yield cluster
    cluster.remove()


@pytest.fixture
def served(cluster, tmp_path):
    """The app on the cluster, on a real threaded server; yields (app, origin)."""
    app = create_app({
        "database_url": cluster.url, "redis_url": "", "secret_key": "outage-test",
        "wechat.token": TOKEN, "wechat.appid": APPID, "wechat.secret": "outage-secret",
        "media.dir": str(tmp_path / "media"), "spool.dir": str(tmp_path / "spool"),
    })
    svc = services(app)
    Base.metadata.create_all(svc.engine)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    svc.deliveries.drainer.stop()
    svc.dispose()


@dataclass
class Outcome:
    openid: str
    msg_id: int
    sent_at: datetime  # naive UTC, as the database keeps times
    tries: int = 0
    answer: str | None = None  # the passive reply's text of the try WeChat accepted
    given_up: bool = False


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def test_a_30_second_database_outage_gives_up_nothing_and_duplicates_nothing(cluster, served):
    app, origin = served
    svc = services(app)
    clients = threading.local()

    def deliver(outcome: Outcome) -> Outcome:
        """WeChat's side: three tries of 5 seconds each, then the message is given up."""
        if not hasattr(clients, "wechat"):
            clients.wechat = WeChatServer(HttpTransport(origin, timeout=TRY_TIMEOUT), SystemClock(), TOKEN, APPID, "")
        xml = message_xml(outcome.openid, "text", int(time.time()),
                          {"Content": f"第{outcome.msg_id % 1000}号楼前的路灯不亮了", "MsgId": outcome.msg_id})
        for _ in range(TRIES):
            outcome.tries += 1
            try:
                answer = clients.wechat.post(xml)
            except requests.RequestException:
                continue
            if answer.status == 200:
                outcome.answer = answer.text
                return outcome
        outcome.given_up = True
        return outcome

    def outage(start: float) -> None:
        time.sleep(max(0.0, start + BEFORE - time.monotonic()))
        cluster.stop("immediate")
        time.sleep(max(0.0, start + BEFORE + DOWN - time.monotonic()))
        cluster.start()

    residents = [f"oOutage{index:02d}_abcdefghijklmnopq" for index in range(RESIDENTS)]
    total = int((BEFORE + DOWN + AFTER) * RATE)
    start = time.monotonic()
    controller = threading.Thread(target=outage, args=(start,))
    controller.start()
    with ThreadPoolExecutor(max_workers=RATE * int(TRIES * TRY_TIMEOUT) + 10) as pool:
        futures = []
        for index in range(total):
            time.sleep(max(0.0, start + index / RATE - time.monotonic()))
            futures.append(pool.submit(deliver, Outcome(residents[index % RESIDENTS], next_msg_id(), _utc_now())))
        outcomes = [future.result() for future in futures]
    controller.join()

    deadline = time.monotonic() + DRAIN_DEADLINE
    while (svc.deliveries.spool.paths() or svc.deliveries.drainer.running) and time.monotonic() < deadline:
        time.sleep(0.2)

    given_up = [outcome for outcome in outcomes if outcome.given_up]
    promised = [outcome for outcome in outcomes if outcome.answer == texts.SPOOLED_MESSAGE]
    summary = (f"{total} sent, {len(given_up)} given up, {len(promised)} answered from the spool, "
               f"{sum(outcome.tries > 1 for outcome in outcomes)} needed a retry")
    assert not given_up, summary
    assert len(promised) >= DOWN * RATE * 0.8, summary  # the outage really happened, and the spool took it
    assert all(outcome.answer and outcome.answer != "success" for outcome in outcomes), summary
    assert svc.deliveries.spool.paths() == [] and svc.deliveries.spool.failed_paths() == []

    svc.engine.dispose()  # its pooled connections died with the server
    with svc.engine.connect() as conn:
        keys = conn.execute(select(InboundMessage.dedup_key, func.count()).group_by(InboundMessage.dedup_key)).all()
        assert {key: n for key, n in keys} == {f"msg:{outcome.msg_id}": 1 for outcome in outcomes}
        filed = conn.execute(select(CaseMessage.msg_id, Case.id, Case.created_at)
                             .join(Case, Case.id == CaseMessage.case_id)).all()
        assert sorted(int(row.msg_id) for row in filed) == sorted(outcome.msg_id for outcome in outcomes)
        numbers = {int(row.msg_id): case_number(row.id, row.created_at) for row in filed}
        received = dict(conn.execute(select(InboundMessage.dedup_key, InboundMessage.received_at)).all())
        pushes = {row.idempotency_key: row for row in conn.execute(
            select(OutboxMessage.idempotency_key, OutboxMessage.openid, OutboxMessage.text)
            .where(OutboxMessage.purpose == PURPOSE))}

    for outcome in promised:
        key = f"msg:{outcome.msg_id}"
        # Filed as of when it came, not when the database was back.
        assert outcome.sent_at - timedelta(seconds=1) <= received[key] <= outcome.sent_at + timedelta(
            seconds=TRIES * TRY_TIMEOUT), (key, outcome.sent_at, received[key])
        push = pushes.get(f"{push_cause(key)}:{PURPOSE}:{outcome.openid}")
        assert push is not None, f"no push for {key}; {summary}"
        assert numbers[outcome.msg_id] in push.text
