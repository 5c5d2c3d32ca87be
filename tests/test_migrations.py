"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot.db import make_engine
from migrations import alembic_config
from models import Base
from models.search import not_in_model
from tests.conftest import EXTERNAL_DB


@pytest.fixture
def empty_database_url(tmp_path):
    if not EXTERNAL_DB.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    url = make_url(EXTERNAL_DB)
    scratch = url.set(database=f"{url.database}_migrations")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    yield scratch.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_matches_the_models_and_downgrade_empties(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "head")
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": not_in_model})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
        names = set(inspect(engine).get_table_names())
        assert {"cases", "case_events", "inbound_messages", "residents", "representatives"} <= names
        indexes = {ix["name"] for ix in inspect(engine).get_indexes("cases")}
        assert {"ix_cases_sub_district_status", "ix_cases_representative_status", "ix_cases_created_at"} <= indexes
        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def _ids(engine) -> tuple[list, list]:
    with engine.connect() as conn:
        messages = conn.execute(text("SELECT msg_id FROM case_messages ORDER BY id")).scalars().all()
        outbox = conn.execute(text("SELECT template_msgid FROM outbox_messages ORDER BY id")).scalars().all()
    return messages, outbox


def test_msgids_become_digits_with_their_values_kept(empty_database_url):
    """0006: MsgIds stored as BIGINT come through as the same digits, the whole unsigned 64-bit
    range fits afterwards, and a downgrade keeps what BIGINT can hold."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0005")
    engine = make_engine(empty_database_url)
    now = "2026-11-23 02:00:00"
    biggest_signed = 2**63 - 1
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO residents (id, openid, subscribed, created_at) "
                              "VALUES (1, 'o-migrated', true, :now)"), {"now": now})
            conn.execute(text("INSERT INTO cases (id, resident_id, status, summary, created_at, updated_at, "
                              "last_message_at) VALUES (1, 1, 'submitted', '', :now, :now, :now)"), {"now": now})
            for msg_id in (6054768590064713728, biggest_signed, None):
                conn.execute(text("INSERT INTO case_messages (case_id, kind, msg_id, content, created_at) "
                                  "VALUES (1, 'text', :msg_id, '', :now)"), {"msg_id": msg_id, "now": now})
            conn.execute(text("INSERT INTO outbox_messages (idempotency_key, openid, purpose, text, template, "
                              "template_data, status, channel, attempts, next_attempt_at, created_at, template_msgid) "
                              "VALUES ('k1', 'o-migrated', 'reply', 't', 'case_progress', '{}', 'sent', 'template', "
                              "0, :now, :now, 200163836)"), {"now": now})
        engine.dispose()
        command.upgrade(config, "0006")
        assert _ids(engine) == (["6054768590064713728", str(biggest_signed), None], ["200163836"])

        with engine.begin() as conn:  # now beyond BIGINT
            conn.execute(text("INSERT INTO case_messages (case_id, kind, msg_id, content, created_at) "
                              "VALUES (1, 'text', :msg_id, '', :now)"), {"msg_id": str(2**64 - 1), "now": now})
        assert _ids(engine)[0][-1] == "18446744073709551615"

        engine.dispose()
        command.downgrade(config, "0005")
        assert _ids(engine) == ([6054768590064713728, biggest_signed, None, None], [200163836])
    finally:
        engine.dispose()


SEARCHED_TEXTS = ("小区门口路灯坏了很久了，晚上很黑", "WiFi 信号差!!楼道（3号楼）没灯", "噪", "", "a，b。c d",
                  "“停车”难：晚上10点后…～·￥没位", "ABC—def\t路灯\n不亮")


def _search_terms(engine) -> list:
    with engine.connect() as conn:
        return [conn.execute(text("SELECT minyi_search_terms(:body)"), {"body": body}).scalar_one()
                for body in SEARCHED_TEXTS]


def _language(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT lanname FROM pg_proc JOIN pg_language ON pg_language.oid = prolang "
                                 "WHERE proname = 'minyi_search_terms'")).scalar_one()


def test_the_search_function_keeps_its_bigrams_in_plpgsql(empty_database_url):
    """0016: the bigram function becomes PL/pgSQL (its plan kept per session) and cuts every text
    exactly as 0010's SQL function did, so the stored column and its index stay valid."""
    if not empty_database_url.startswith("postgresql"):
        pytest.skip("the search index is PostgreSQL's")
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0015")
    engine = make_engine(empty_database_url)
    try:
        before = _search_terms(engine)
        assert _language(engine) == "sql"
        engine.dispose()
        command.upgrade(config, "head")
        assert _language(engine) == "plpgsql"
        assert _search_terms(engine) == before
        assert "路灯" in before[0] and "门口" in before[0] and not any("，" in term for term in before[0])
        assert before[2] == [] and before[3] == [] and before[4] == []
        engine.dispose()
        command.downgrade(config, "0015")
        assert _language(engine) == "sql" and _search_terms(engine) == before
    finally:
        engine.dispose()
