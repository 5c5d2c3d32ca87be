"""Small helpers for the hand-tuned statements of the intake path (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(dialect_name: str, table: Table):
    """An INSERT that knows ``ON CONFLICT`` on this dialect (both spell it the same way)."""
    return (postgresql.insert if dialect_name == "postgresql" else sqlite.insert)(table)
