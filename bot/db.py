"""Engine and sessions. SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE so that several
workers writing at once wait their turn instead of failing with "database is locked".

A connection that only reads may ask for a deferred transaction, which never blocks a writer:
``engine.execution_options(sqlite_begin="DEFERRED")`` (other databases ignore the option)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from bot.config import DEFAULTS, ConfigError

CONNECT_TIMEOUT_SECONDS = 3
POOL_SIZE = 10  # connections per engine and process, opened as needed (deploy/README.md: the budget)


def make_engine(url: str, *, repeatable_read: bool = False) -> Engine:
    """``repeatable_read``: every transaction of this engine's PostgreSQL sessions, including a
    statement run on its own in autocommit, sees one snapshot and fails with a serialization
    error (SQLSTATE 40001) rather than act on data a concurrent transaction has changed since;
    its user retries. (SQLite serializes writers anyway.)"""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.query.get("uri"):
            _sqlite_folder(Path(parsed.database).parent)
        engine = create_engine(url, connect_args={"timeout": 15}, hide_parameters=True)
        _tune_sqlite(engine)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg")
    # Prepared statements after the second use: the intake runs the same few statements always.
    # Parameters stay out of error messages: they hold residents' openids and words.
    # Connecting and waiting for a pooled connection fail within seconds: WeChat gives a delivery 5 s
    # in all, and a database that cannot be reached in time means the delivery goes to the spool.
    connect_args: dict = {"prepare_threshold": 2, "connect_timeout": CONNECT_TIMEOUT_SECONDS}
    if repeatable_read:
        connect_args["options"] = "-c default_transaction_isolation=repeatable\\ read"
    # A fixed pool and no overflow: a gevent worker serves many requests at once, and an overflow
    # connection is opened for one request and closed after it (a PostgreSQL backend started and
    # stopped per delivery). Beyond POOL_SIZE at once, a request waits for a free connection.
    return create_engine(url, pool_size=POOL_SIZE, max_overflow=0, pool_timeout=CONNECT_TIMEOUT_SECONDS,
                         connect_args=connect_args, hide_parameters=True)


def _sqlite_folder(folder: Path) -> None:
    """The default database's folder (``instance/``, minyi's own) is made on first use. Any other
    folder must exist: a path mistyped in ``database_url`` would otherwise start a new, empty
    database in a new folder, and the data would seem lost."""
    if folder.is_dir():
        return
    if folder.resolve() == Path(make_url(DEFAULTS["database_url"]).database).parent.resolve():
        folder.mkdir(parents=True, exist_ok=True)
        return
    raise ConfigError("database_url", f"the folder {folder} does not exist; create it first, or correct the path "
                      "(only the default instance/ folder is created)")


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" hook issue BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql("BEGIN DEFERRED" if mode == "DEFERRED" else "BEGIN IMMEDIATE")
