"""The `ketaflow` command line, end to end in a subprocess, as clinic IT runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ketaflow.bootstrap import CliRuntime
from ketaflow.cli.app import build_cli
from ketaflow.storage.database import create_database_engine
from ketaflow.storage.migrate import alembic_config

KETAFLOW = shutil.which("ketaflow", path=str(Path(sys.executable).parent))


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_process(db: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """The installed console script in its own process: exactly what clinic IT runs."""
    assert KETAFLOW is not None, "the ketaflow console script is installed with the package"
    full_env = {**os.environ, "KETAFLOW_DATABASE_URL": f"sqlite:///{db}", "COLUMNS": "200", **(env or {})}
    done = subprocess.run([KETAFLOW, *args], env=full_env, capture_output=True, text=True, timeout=60)
    return Result(done.returncode, done.stdout, done.stderr)


def run(db: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    """The same command tree in this process (fast), with the environment set as the shell would."""
    full_env = {"KETAFLOW_DATABASE_URL": f"sqlite:///{db}", "COLUMNS": "200", **(env or {})}
    done = CliRunner().invoke(build_cli(CliRuntime), list(args), env=full_env, input=stdin)
    return Result(done.exit_code, done.stdout, done.stderr)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.db"
    assert run(path, "db", "upgrade").returncode == 0
    return path


def test_upgrade_is_repeatable_and_reports_the_revision(db: Path) -> None:
    again = run(db, "db", "upgrade")

    assert again.returncode == 0
    head = ScriptDirectory.from_config(alembic_config(create_database_engine(f"sqlite:///{db}"))).get_current_head()
    assert again.stdout.strip() == f"database at revision {head}"


def test_serve_refuses_a_database_that_was_never_migrated(tmp_path: Path) -> None:
    result = run_process(tmp_path / "empty.db", "serve", "--port", "8799")

    assert result.returncode == 2
    assert "run `ketaflow db upgrade`" in result.stderr


def test_demo_seeds_once_and_prints_the_sign_ins(db: Path) -> None:
    first = run(db, "demo", "--no-history")
    second = run(db, "demo", "--no-history")

    assert "Seeded the demo clinic: 6 users, 6 fictional patients." in first.stdout
    assert "ketamine-demo-2026" in first.stdout
    assert "nothing was seeded" in second.stdout


def test_demo_is_never_seeded_in_production(db: Path) -> None:
    result = run(db, "demo", env={"KETAFLOW_ENVIRONMENT": "production", "KETAFLOW_SECRET_KEY": "p" * 48})

    assert result.returncode == 1
    assert "never seeded in production" in result.stderr


def test_production_with_the_placeholder_secret_stops_with_a_clear_message(db: Path) -> None:
    result = run_process(db, "users", "list", env={"KETAFLOW_ENVIRONMENT": "production"})

    assert result.returncode == 2
    assert "KETAFLOW_SECRET_KEY is missing or a placeholder" in result.stderr


def test_users_create_list_disable_and_reset_password(db: Path) -> None:
    created = run(
        db,
        "users",
        "create",
        "--username",
        "j.doe",
        "--display-name",
        "Jo Doe",
        "--role",
        "nurse",
        "--password",
        "a-temporary-passphrase",
    )
    listed = json.loads(run(db, "users", "list", "--json").stdout)
    disabled = run(db, "users", "disable", "j.doe")
    reset = run(db, "users", "reset-password", "j.doe", "--password", "another-temporary-one")
    after = json.loads(run(db, "users", "list", "--json").stdout)

    assert created.returncode == 0 and disabled.returncode == 0 and reset.returncode == 0
    assert listed == [
        {"username": "j.doe", "display_name": "Jo Doe", "role": "nurse", "disabled": False, "second_factor": False}
    ]
    assert after[0]["disabled"] is True


def test_users_create_prompts_for_the_password_when_not_given(db: Path) -> None:
    result = run(
        db,
        "users",
        "create",
        "--username",
        "sam",
        "--display-name",
        "Sam",
        "--role",
        "auditor",
        stdin="prompted-passphrase-1\nprompted-passphrase-1\n",
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "surgeon"], "role: expected one of admin"),
        (["--password", "short"], "password: expected 12-128 characters"),
    ],
)
def test_users_create_refuses_bad_input_naming_the_field(db: Path, args: list[str], message: str) -> None:
    base = {"--username": "kim", "--display-name": "Kim", "--role": "nurse", "--password": "a-good-long-password"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))

    result = run(db, "users", "create", *[x for kv in base.items() for x in kv])

    assert result.returncode == 2
    assert message in result.stderr
    assert json.loads(run(db, "users", "list", "--json").stdout) == []


def test_audit_verify_passes_then_names_a_tampered_event(db: Path) -> None:
    run_process(db, "demo", "--no-history")
    clean = run_process(db, "audit", "verify", "--json")
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("UPDATE audit_events SET detail = 'nothing to see' WHERE seq = 5"))
    engine.dispose()

    tampered = run_process(db, "audit", "verify", "--json")

    assert clean.returncode == 0 and json.loads(clean.stdout)["ok"] is True
    assert tampered.returncode == 1
    report = json.loads(tampered.stdout)
    assert [p["seq"] for p in report["problems"]] == [5]


def test_audit_verify_catches_truncation_against_a_recorded_head(db: Path) -> None:
    run(db, "demo", "--no-history")
    anchor = json.loads(run(db, "audit", "verify", "--json").stdout)["head"]
    run(db, "users", "list")  # the chain grows after the anchor was recorded: still fine
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        conn.execute(text("DELETE FROM audit_events WHERE seq >= :seq"), {"seq": int(anchor.split(":")[0])})
    engine.dispose()

    result = run(db, "audit", "verify", "--anchor", anchor)

    assert result.returncode == 1
    assert "anchor event is gone" in result.stdout
