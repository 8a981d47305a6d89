"""Engines with durable settings, and the start-up check that refuses weaker ones.

SQLite: WAL, synchronous=FULL (a nurse told "saved" must mean saved through a power cut), foreign keys,
a busy timeout, and BEGIN IMMEDIATE so that a write transaction takes its lock at the start (the
pysqlite recipe from the SQLAlchemy docs; reliability-security.md §3.1).
PostgreSQL: fsync and synchronous_commit must be on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, text

from ketaflow.domain.errors import ClinicError

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


SQLITE_REQUIRED = {"journal_mode": {"wal"}, "synchronous": {"2"}, "foreign_keys": {"1"}}
# Every synchronous_commit level but "off" flushes the commit record to local disk before reporting success
# (PostgreSQL docs, "synchronous_commit"); remote_* add standby guarantees on top.
PG_REQUIRED = {"fsync": {"on"}, "synchronous_commit": {"on", "local", "remote_write", "remote_apply"}}


class UnsafeDatabaseSettings(ClinicError):
    """The database would not keep committed clinical data safe; the app refuses to start."""


def create_database_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:  # Any: DB-API objects are untyped
    # Take transaction control away from pysqlite so that our BEGIN IMMEDIATE is the only BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:  # Any: SQLAlchemy passes its Connection
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def check_durability(engine: Engine) -> dict[str, str]:
    """Read the settings that guard committed data; raise UnsafeDatabaseSettings if any is weaker."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found = {
                "journal_mode": str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower(),
                "synchronous": str(conn.exec_driver_sql("PRAGMA synchronous").scalar()),
                "foreign_keys": str(conn.exec_driver_sql("PRAGMA foreign_keys").scalar()),
            }
            required = SQLITE_REQUIRED
        else:
            found = {
                "fsync": str(conn.execute(text("SHOW fsync")).scalar()),
                "synchronous_commit": str(conn.execute(text("SHOW synchronous_commit")).scalar()),
            }
            required = PG_REQUIRED
        conn.rollback()
    weak = {k: v for k, v in found.items() if v not in required[k]}
    if weak:
        detail = ", ".join(f"{k}={v} (need {' or '.join(sorted(required[k]))})" for k, v in weak.items())
        raise UnsafeDatabaseSettings(f"refusing to start: database settings would risk committed data: {detail}")
    return found
