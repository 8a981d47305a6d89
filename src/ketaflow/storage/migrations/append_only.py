"""Database triggers that refuse UPDATE and DELETE on append-only tables, on SQLite and PostgreSQL.

Triggers hold for every database role, including the one the app connects as; a DBA who disables
them leaves a gap that `ketaflow audit verify` still detects through the hash chain.
"""

from __future__ import annotations

from collections.abc import Iterable

from alembic import op

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ketaflow_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ketaflow: % on % refused: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def forbid_changes(tables: Iterable[str]) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(_PG_FUNCTION)
    for table in tables:
        if dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ketaflow_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ketaflow_refuse_change()"
            )
        else:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'ketaflow: {verb} on {table} refused: the table is append-only'); END"
                )


def allow_changes(tables: Iterable[str]) -> None:
    dialect = op.get_bind().dialect.name
    for table in tables:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
