"""One statement on PostgreSQL's driver connection, as its own transaction when none is open.

The webhook's hot path pays for every round trip: a statement run through SQLAlchemy inside the
delivery's transaction costs a BEGIN and a COMMIT around it. A read or a filing that is complete
in itself runs here instead, in autocommit, when the delivery has not written anything yet; once
it has, the statement joins the delivery's transaction."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


def run_alone(conn: Connection, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Execute ``sql`` (psycopg's %(name)s style) on ``conn``'s driver and return its rows."""
    driver = conn.connection.driver_connection
    own_transaction = driver.info.transaction_status == TransactionStatus.IDLE
    if own_transaction:
        driver.autocommit = True
    try:
        with driver.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    except psycopg.Error as error:  # as SQLAlchemy would report it (IntegrityError, 40001…)
        raise DBAPIError.instance(sql, params, error, psycopg.Error, hide_parameters=True) from error
    finally:
        if own_transaction:
            driver.autocommit = False
