"""Alembic environment: migrations run against the URL or connection that ketaflow passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from ketaflow.storage.database import create_database_engine
from ketaflow.storage.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_database_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("ketaflow migrations run online only: use `ketaflow db upgrade`")
run_migrations_online()
