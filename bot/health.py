"""``/healthz``: can this worker reach its database and Redis right now?

200 ``{"status": "ok", "checks": {...}}`` when both answer, 503 ``{"status": "fail", "failed":
["database"], ...}`` naming what did not. Cheap and bounded: the database is asked ``SELECT 1``
on a connection of its own (never one of the pool the webhook needs, so a slow database cannot
exhaust it), opened with a connect timeout and a statement timeout; Redis gets a PING with the
client's short timeouts. The in-process Redis stand-in counts as up. No traceback is logged or
returned: a line naming the failure is.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import redis
from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bot.services import services

log = logging.getLogger(__name__)

EXTENSION = "minyi.health"
CONNECT_TIMEOUT_SECONDS = 2  # libpq's smallest useful value
STATEMENT_TIMEOUT_MS = 1000

bp = Blueprint("health", __name__)


def probe_engine(url: str) -> Engine:
    """An engine for the health check alone: a new connection per check (no pool to exhaust or
    dispose), bounded in time. A SQLite file is opened read-write without being created, so a
    missing database is reported rather than replaced by an empty one."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.query.get("uri"):
            uri = Path(parsed.database).absolute().as_uri() + "?mode=rw"
            return create_engine("sqlite://", poolclass=NullPool, creator=lambda: sqlite3.connect(
                uri, uri=True, timeout=1, check_same_thread=False))
        return create_engine(url, poolclass=NullPool)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, poolclass=NullPool, hide_parameters=True, connect_args={
        "connect_timeout": CONNECT_TIMEOUT_SECONDS, "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"})


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = probe_engine(services(app).settings.database_url)
    app.register_blueprint(bp)


def check_database(engine: Engine) -> str:
    # On SQLite "SELECT 1" never touches the file; the schema's first page does.
    query = "SELECT count(*) FROM sqlite_master" if engine.dialect.name == "sqlite" else "SELECT 1"
    with engine.connect() as conn:
        conn.execute(text(query)).scalar()
    return "ok"


def check_redis(client: redis.Redis, shared: bool) -> str:
    if not shared:
        return "in-process"
    client.ping()
    return "ok"


@bp.get("/healthz")
def healthz():
    svc = services()
    probes = {
        "database": lambda: check_database(current_app.extensions[EXTENSION]),
        "redis": lambda: check_redis(svc.redis, svc.redis_shared),
    }
    checks: dict[str, str] = {}
    for name, probe in probes.items():
        try:
            checks[name] = probe()
        except Exception as error:  # noqa: BLE001 - any failure means "not healthy", never a 500
            checks[name] = "fail"
            log.warning("healthz: %s unreachable: %s", name, _reason(error))
    failed = [name for name, state in checks.items() if state == "fail"]
    body: dict[str, object] = {"status": "fail" if failed else "ok", "checks": checks}
    if failed:
        body["failed"] = failed
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def _reason(error: Exception) -> str:
    """The error's kind and first line: enough to act on, no traceback, no SQL."""
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {detail[0][:200]}" if detail else type(error).__name__
