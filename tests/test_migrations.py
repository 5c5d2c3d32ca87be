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
