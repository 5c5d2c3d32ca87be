"""Layered fixtures: settings → app (fresh schema, frozen clock) → client → wechat → district.

By default the tests run on the embedded defaults (a SQLite file per test, the in-process Redis
stand-in). With MINYI_DATABASE_URL / MINYI_REDIS_URL set (as .ci/run's second pass does) they run
on that PostgreSQL and Redis: the schema is created once and every table emptied before each test.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from bot import create_app
from bot.clock import FrozenClock
from bot.services import services
from models import Base, ContactPoint, District, Representative, SubDistrict
from sandbox.world import World
from tests.support import AES_KEY, APPID, TOKEN, WeChatServer

EXTERNAL_DB = os.environ.get("MINYI_DATABASE_URL", "")
EXTERNAL_REDIS = os.environ.get("MINYI_REDIS_URL", "")
START = datetime(2026, 11, 23, 2, 0, 0)  # 10:00 Beijing time


@pytest.fixture(scope="session")
def external_schema():
    """On PostgreSQL: build the schema once per session."""
    if not EXTERNAL_DB.startswith("postgresql"):
        yield None
        return
    from bot.db import make_engine

    engine = make_engine(EXTERNAL_DB)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def settings_overrides(tmp_path, external_schema) -> dict[str, object]:
    overrides: dict[str, object] = {
        "wechat.token": TOKEN,
        "wechat.appid": APPID,
        "wechat.secret": "test-secret",
        "wechat.aes_key": AES_KEY,
        "wechat.allow_plaintext": True,  # the tests speak all three modes to one app
        "secret_key": "test-secret-key",
        "media.dir": str(tmp_path / "media"),
        "spool.dir": str(tmp_path / "spool"),
    }
    if external_schema is None:
        overrides["database_url"] = f"sqlite:///{tmp_path / 'minyi.sqlite3'}"
    return overrides


def _start(overrides: dict[str, object], external_schema):
    app = create_app(overrides)
    svc = services(app)
    if external_schema is None:
        Base.metadata.create_all(svc.engine)
    else:
        with svc.engine.begin() as conn:
            names = ", ".join(table.name for table in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    svc.redis.flushdb()
    svc.set_clock(FrozenClock(START))
    return app


def _stop(app) -> None:
    svc = services(app)
    svc.redis.flushdb()
    if EXTERNAL_REDIS:
        svc.redis.close()
    svc.dispose()


@pytest.fixture
def app(settings_overrides, external_schema):
    app = _start(settings_overrides, external_schema)
    yield app
    _stop(app)


class _LateApp:
    """A WSGI app bound after the server: the port must be known before the app is built."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture
def sandbox_app(settings_overrides, external_schema):
    """An app in sandbox mode, served on a free loopback port: its WeChat client calls the fake
    WeChat API over real HTTP, as `minyi run` does."""
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    overrides = {key: value for key, value in settings_overrides.items() if not key.startswith("wechat.")}
    overrides.update({"wechat.sandbox": True,
                      "wechat.api_base_url": f"http://127.0.0.1:{server.server_port}/sandbox/api/cgi-bin/"})
    late.app = app = _start(overrides, external_schema)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    thread.join()
    _stop(app)


@pytest.fixture
def world(sandbox_app):
    return World(services(sandbox_app).redis)


@pytest.fixture
def clock(app) -> FrozenClock:
    return services(app).clock


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def wechat(app, client) -> WeChatServer:
    return WeChatServer.for_app(app, client)


@pytest.fixture
def db(app):
    """A session for arranging and checking; its reads never hold SQLite's write lock.
    Call ``db.rollback()`` before reading what the app wrote since the last read."""
    with Session(services(app).engine.execution_options(sqlite_begin="DEFERRED")) as session:
        yield session


@pytest.fixture
def district(db):
    """One district, two sub-districts, three contact points and three representatives."""
    shi = District(code="demo", name="示例区")
    east = SubDistrict(district=shi, code="dongjie", name="东街街道", committee_name="东街街道人大工委",
                       committee_phone="027-8000 1001")
    west = SubDistrict(district=shi, code="xijie", name="西街街道", committee_name="西街街道人大工委",
                       committee_phone="027-8000 2002")
    cp_east = ContactPoint(sub_district=east, code="cp-dj-1", name="东街第一联系点", address="示例区东街1号",
                           latitude=30.5500, longitude=114.3000)
    cp_east2 = ContactPoint(sub_district=east, code="cp-dj-2", name="东街第二联系点", address="示例区东街88号",
                            latitude=30.5600, longitude=114.3100)
    cp_west = ContactPoint(sub_district=west, code="cp-xj-1", name="西街联系点", address="示例区西街5号",
                           latitude=30.5000, longitude=114.2000)
    db.add_all([shi, east, west, cp_east, cp_east2, cp_west])
    db.flush()
    reps = {
        "wang": Representative(code="wang01", name="王晓明", level="district", constituency="第3选区",
                               sub_district_id=east.id, primary_contact_point_id=cp_east.id),
        "li": Representative(code="li02", name="李芳", level="city", constituency="东街选区",
                             sub_district_id=east.id, primary_contact_point_id=cp_east2.id),
        "zhao": Representative(code="zhao03", name="赵强", level="province", constituency="",
                               sub_district_id=west.id, primary_contact_point_id=cp_west.id),
    }
    db.add_all(reps.values())
    db.commit()
    return {"sub_districts": {"east": east, "west": west},
            "contact_points": {"east": cp_east, "east2": cp_east2, "west": cp_west}, "reps": reps}
