"""What minyi writes to its logs: one line format (ISO time with offset, level, logger, request
id) for the web app, gunicorn and the scheduler, and never an openid, a token, a signature or an
encrypted echo in clear; a pseudonym follows one user instead."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select
from wechatpy.crypto import PrpCrypto
from werkzeug.serving import make_server

from bot import create_app, delivery, logs
from bot.cli import main
from bot.db import make_engine
from bot.delivery import seen_key
from bot.messages import parse_incoming
from bot.services import services
from bot.signing import signature
from models import Base, OutboxMessage
from scheduler.outbox import deliver_outbox
from tests.support import APPID, TOKEN, message_xml

# Shaped like WeChat's: 28 characters starting with "o".
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) \S+ "
                  r"\[(?P<request_id>[^\]]+)\] ")


@pytest.fixture
def log_output():
    """Everything logged during the test, as the configured handler writes it (DEBUG and up)."""
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    buffer = io.StringIO()
    handler = logs.configure_logging(verbose=True, stream=buffer)
    yield buffer
    root.removeHandler(handler)
    for old in before:
        if old not in root.handlers:
            root.addHandler(old)
    root.setLevel(level)


def _lines(buffer: io.StringIO) -> list[str]:
    """Log entries (a traceback's lines belong to the entry above them)."""
    entries: list[str] = []
    for line in buffer.getvalue().splitlines():
        if LINE.match(line) or not entries:
            entries.append(line)
        else:
            entries[-1] += "\n" + line
    return entries


def _assert_safe(buffer: io.StringIO, *secrets: str) -> list[str]:
    entries = _lines(buffer)
    assert entries, "nothing was logged"
    for entry in entries:
        assert LINE.match(entry), entry
        for secret in secrets:
            assert secret not in entry, entry
    return entries


def _signed(clock, openid: str = OPENID, nonce: str = "4242") -> dict[str, str]:
    timestamp = str(int(clock.time()))
    return {"timestamp": timestamp, "nonce": nonce, "signature": signature(TOKEN, timestamp, nonce),
            "openid": openid}


def test_a_pseudonym_is_short_keyed_and_stable():
    logs.use_secret_key("one key")
    first = logs.pseudonym(OPENID)
    assert re.fullmatch(r"u:[0-9a-f]{10}", first) and logs.pseudonym(OPENID) == first
    assert logs.pseudonym(OPENID + "x") != first
    logs.use_secret_key("another key")
    assert logs.pseudonym(OPENID) != first


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_deliveries_log_pseudonyms_never_openids(app, wechat, log_output, mode):
    reply = wechat.text(OPENID, "小区路灯坏了", mode=mode)
    assert reply.status == 200
    # A retry whose first attempt is still in flight: its key is logged at INFO. An event's key
    # holds the sender's openid.
    xml = message_xml(OPENID, "event", int(wechat.clock.time()), {"Event": "subscribe"})
    services(app).redis.set(seen_key(parse_incoming(xml).dedup_key), b"1")
    assert wechat.post(xml, mode=mode).status == 200

    entries = _assert_safe(log_output, OPENID)
    text = "\n".join(entries)
    assert "claimed in Redis but not recorded yet" in text
    assert logs.pseudonym(OPENID) in text
    assert all(LINE.match(entry)["request_id"] != "-" for entry in entries if " bot.delivery " in entry)


def test_a_refusal_is_logged_without_the_query(client, clock, log_output):
    query = {**_signed(clock), "signature": "f" * 40}
    response = client.post("/wechat", query_string=query, data=b"<xml/>", content_type="text/xml")
    assert response.status_code == 403
    [entry] = _assert_safe(log_output, "f" * 40, OPENID, "nonce=", "timestamp=")
    assert " WARNING bot.webhook " in entry and "refused POST /wechat with 403" in entry
    assert LINE.match(entry)["request_id"] == response.headers["X-Request-Id"]


def test_a_refused_echo_is_not_logged(client, clock, log_output):
    query = _signed(clock)
    echo = PrpCrypto(b"k" * 32).encrypt("echo-secret", "wx-someone-else").decode()
    msg_signature = signature(TOKEN, query["timestamp"], query["nonce"], echo)
    response = client.get("/wechat", query_string={**query, "echostr": echo, "msg_signature": msg_signature})
    assert response.status_code in (400, 403)
    [entry] = _assert_safe(log_output, echo, msg_signature, query["signature"], OPENID)
    assert "refused GET /wechat" in entry


def test_a_request_id_is_taken_from_a_sane_header_or_made(client, log_output):
    assert client.get("/healthz", headers={"X-Request-Id": "edge-7f3a.1"}).headers["X-Request-Id"] == "edge-7f3a.1"
    made = client.get("/healthz", headers={"X-Request-Id": "x] ERROR forged line"}).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/nowhere").headers["X-Request-Id"]


def test_a_500_logs_its_traceback_with_time_and_request_id(client, clock, wechat, log_output, monkeypatch):
    openid = "resident-7"  # not shaped like an openid: only the delivery's own openid gives it away

    def broken(handlers, ctx):
        logging.getLogger("handlers.broken").info("handling a message from %s", ctx.incoming.openid)
        raise RuntimeError(f"cannot handle {ctx.incoming.openid}")

    monkeypatch.setattr(delivery, "dispatch", broken)
    response = client.post("/wechat", query_string=_signed(clock, openid),
                           data=message_xml(openid, "text", int(clock.time()), {"Content": "你好", "MsgId": 1}),
                           content_type="text/xml")
    assert response.status_code == 500 and "Traceback" not in response.get_data(as_text=True)
    request_id = response.headers["X-Request-Id"]
    entries = _assert_safe(log_output, openid, OPENID)
    [error] = [entry for entry in entries if " ERROR " in entry]
    assert "unhandled error on POST /wechat" in error and "Traceback" in error and "RuntimeError" in error
    assert f"cannot handle {logs.pseudonym(openid)}" in error
    assert LINE.match(error)["request_id"] == request_id
    assert f"handling a message from {logs.pseudonym(openid)}" in log_output.getvalue()


def test_the_outbox_logs_and_stores_no_token_and_no_openid(app, db, clock, log_output, monkeypatch):
    svc = services(app)
    db.add(OutboxMessage(idempotency_key="t:1", openid=OPENID, purpose="test", text="您的反映已受理",
                         next_attempt_at=clock.now(), created_at=clock.now()))
    db.commit()

    def unreachable(*args, **kwargs):
        raise requests.ConnectionError(
            "HTTPSConnectionPool(host='api.weixin.qq.com', port=443): Max retries exceeded with url: "
            f"/cgi-bin/message/custom/send?access_token=FAKE-TOKEN-123&touser={OPENID}")

    monkeypatch.setattr(svc.wechat.message, "send_text", unreachable)
    monkeypatch.setattr(svc.wechat, "post", unreachable)
    assert deliver_outbox(svc, clock.now()) == 0
    entries = _assert_safe(log_output, "FAKE-TOKEN-123", OPENID)
    assert any("no answer from WeChat" in entry and logs.pseudonym(OPENID) in entry for entry in entries)
    db.rollback()
    stored = db.scalars(select(OutboxMessage.last_error)).one()
    assert "ConnectionError" in stored and "FAKE-TOKEN-123" not in stored and OPENID not in stored


def test_the_development_server_logs_paths_without_queries(app, clock, log_output):
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=logs.AccessLogRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        query = {**_signed(clock), "echostr": "echo-4711"}
        response = requests.get(f"http://127.0.0.1:{server.server_port}/wechat", params=query, timeout=5)
    finally:
        server.shutdown()
        thread.join()
    assert response.text == "echo-4711"
    [entry] = [entry for entry in _assert_safe(log_output, "echo-4711", query["signature"], OPENID)
               if " minyi.access " in entry]
    assert '"GET /wechat" 200' in entry and "?" not in entry
    assert LINE.match(entry)["request_id"] == response.headers["X-Request-Id"]


def test_werkzeug_request_lines_pass_the_same_filter(log_output):
    line = (f'127.0.0.1 - - [23/Nov/2026 10:00:00] "GET /wechat?signature=abc123&timestamp=1&nonce=2&'
            f'echostr=e-99&openid={OPENID}&msg_signature=def456 HTTP/1.1" 200 -\n')
    logging.getLogger("werkzeug").info(line)
    [entry] = _assert_safe(log_output, "abc123", "e-99", OPENID, "def456")
    assert entry.endswith('HTTP/1.1" 200 -') and "timestamp=1" in entry


def test_the_scheduler_command_logs_the_same_way(tmp_path, monkeypatch):
    database = tmp_path / "minyi.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    Base.metadata.create_all(engine)
    engine.dispose()
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    env = {"MINYI_DATABASE_URL": f"sqlite:///{database}", "MINYI_REDIS_URL": "", "MINYI_SECRET_KEY": "",
           "MINYI_CONFIG": None}
    try:
        runner = CliRunner()
        served = runner.invoke(main, ["scheduler", "--once"], env=env)
        quiet = runner.invoke(main, ["outbox", "failed"], env=env)
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)
    assert served.exit_code == 0, served.output
    warnings = [line for line in served.output.splitlines() if " WARNING " in line]
    assert any("in-process Redis stand-in" in line for line in warnings)
    assert all(LINE.match(line) and LINE.match(line)["request_id"] == "-" for line in warnings)
    # A command that serves nothing says nothing about serving.
    assert quiet.exit_code == 0, quiet.output
    assert "WARNING" not in quiet.output and "no failed notices" in quiet.output


def test_serving_warnings_belong_to_serving(settings_overrides, caplog):
    overrides = {**settings_overrides, "secret_key": "", "wechat.token": "", "wechat.aes_key": ""}
    with caplog.at_level(logging.WARNING):
        services(create_app(overrides, serving=False)).dispose()
    assert caplog.records == []
    with caplog.at_level(logging.WARNING):
        services(create_app(overrides)).dispose()
    said = " ".join(record.getMessage() for record in caplog.records)
    assert "secret_key is not set" in said and "/wechat refuses deliveries (503)" in said


def _gunicorn_config(tmp_path: Path) -> Path:
    config = tmp_path / "gunicorn.conf.py"
    config.write_text("import bot.logs\n"
                      "logconfig_dict = bot.logs.gunicorn_logconfig_dict()\n"
                      "access_log_format = bot.logs.GUNICORN_ACCESS_LOG_FORMAT\n"
                      "bind = '127.0.0.1:0'\nworkers = 1\ncontrol_socket_disable = True\n")
    return config


def test_gunicorn_logs_through_the_same_setup(tmp_path):
    """The real server: its own lines, the access line and the app's refusal all in one format,
    with the request id, and no query string."""
    log_file = tmp_path / "gunicorn.log"
    database = tmp_path / "minyi.sqlite3"
    env = {**os.environ, "MINYI_DATABASE_URL": f"sqlite:///{database}", "MINYI_REDIS_URL": "",
           "MINYI_WECHAT_TOKEN": TOKEN, "MINYI_WECHAT_APPID": APPID, "MINYI_WECHAT_SECRET": "s",
           "MINYI_WECHAT_AES_KEY": "", "MINYI_SECRET_KEY": "k"}
    env.pop("MINYI_CONFIG", None)
    with open(log_file, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(_gunicorn_config(tmp_path)), "bot:create_app()"],
            env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parent.parent)
    try:
        port = None
        deadline = time.monotonic() + 20
        while port is None and time.monotonic() < deadline and process.poll() is None:
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log_file.read_text())
            port = int(found[1]) if found else time.sleep(0.1)
        assert port, log_file.read_text()
        while time.monotonic() < deadline + 20:  # the worker loads the app after "Listening"
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        query = {**_signed(time), "signature": "e" * 40}  # the server's clock is the real one
        response = requests.post(f"http://127.0.0.1:{port}/wechat", params=query, data=b"<xml/>",
                                 headers={"X-Request-Id": "proxy-1234"}, timeout=5)
        assert response.status_code == 403 and response.headers["X-Request-Id"] == "proxy-1234"
        deadline = time.monotonic() + 5
        while '"POST /wechat' not in log_file.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=10)
    buffer = io.StringIO(log_file.read_text())
    entries = _assert_safe(buffer, "e" * 40, OPENID, "nonce=")
    assert any(" gunicorn.error " in entry and "Listening at" in entry for entry in entries)
    [refusal] = [entry for entry in entries if "refused POST /wechat with 403" in entry]
    [access] = [entry for entry in entries if " gunicorn.access " in entry and "POST" in entry]
    assert LINE.match(refusal)["request_id"] == LINE.match(access)["request_id"] == "proxy-1234"
    assert '"POST /wechat HTTP/1.1" 403' in access
