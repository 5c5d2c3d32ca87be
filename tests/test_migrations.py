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
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert differences == []
        names = set(inspect(engine).get_table_names())
        assert {"cases", "case_events", "inbound_messages", "residents", "representatives"} <= names
        indexes = {ix["name"] for ix in inspect(engine).get_indexes("cases")}
        assert {"ix_cases_sub_district_status", "ix_cases_representative_status", "ix_cases_created_at"} <= indexes
        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
