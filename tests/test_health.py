"""``/healthz`` tells the truth: 503 naming what is down (database, Redis), 200 when both answer,
quickly, with no traceback."""

from __future__ import annotations

import shutil
import time

import pytest

from bot import create_app
from bot.services import services
from models import Base

CLOSED_POSTGRES = "postgresql+psycopg://minyi@127.0.0.1:1/minyi"  # nothing listens on port 1
CLOSED_REDIS = "redis://127.0.0.1:1/0"


def _health(app):
    started = time.monotonic()
    response = app.test_client().get("/healthz")
    elapsed = time.monotonic() - started
    assert "Traceback" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json(), elapsed


@pytest.fixture
def make_app(settings_overrides):
    apps = []

    def make(**changes):
        app = create_app({**settings_overrides, **changes})
        apps.append(app)
        if "database_url" not in changes:
            Base.metadata.create_all(services(app).engine)  # the test's own database, reachable
        return app

    yield make
    for app in apps:
        services(app).dispose()


def test_healthy_when_the_database_and_redis_answer(app):
    status, body, _ = _health(app)
    assert status == 200 and body["status"] == "ok" and "failed" not in body
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] in ("ok", "in-process")


def test_postgresql_unreachable_is_503_naming_the_database(make_app):
    status, body, elapsed = _health(make_app(database_url=CLOSED_POSTGRES))
    assert (status, body["status"], body["failed"]) == (503, "fail", ["database"])
    assert elapsed < 3


def test_a_sqlite_database_gone_is_503_and_is_not_recreated(make_app, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    app = make_app(database_url=f"sqlite:///{folder / 'minyi.sqlite3'}")
    Base.metadata.create_all(services(app).engine)
    assert _health(app)[0] == 200
    services(app).dispose()
    shutil.rmtree(folder)
    status, body, _ = _health(app)
    assert (status, body["failed"]) == (503, ["database"])
    assert not folder.exists()
    folder.mkdir()  # the folder is back, the file is not: still down, and no empty database appears
    assert _health(app)[1]["failed"] == ["database"]
    assert list(folder.iterdir()) == []


def test_redis_unreachable_is_503_naming_redis(make_app):
    status, body, elapsed = _health(make_app(redis_url=CLOSED_REDIS))
    assert (status, body["failed"], body["checks"]["database"]) == (503, ["redis"], "ok")
    assert elapsed < 3


def test_both_down_are_both_named(make_app, caplog):
    status, body, _ = _health(make_app(database_url=CLOSED_POSTGRES, redis_url=CLOSED_REDIS))
    assert (status, body["failed"]) == (503, ["database", "redis"])
    warnings = [record for record in caplog.records if record.name == "bot.health"]
    assert [record.levelname for record in warnings] == ["WARNING", "WARNING"]
    assert all(record.exc_info is None for record in warnings)


def test_the_in_process_redis_stand_in_counts_as_up(make_app):
    status, body, _ = _health(make_app(redis_url=""))
    assert status == 200 and body["checks"]["redis"] == "in-process"
