"""`ketaflow demo --patients N`: the demo clinic with a synthetic history, stated as synthetic."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from ketaflow.bootstrap import CliRuntime
from ketaflow.cli.app import build_cli


def run(db: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    full_env = {"KETAFLOW_DATABASE_URL": f"sqlite:///{db}", "COLUMNS": "200", **(env or {})}
    return CliRunner().invoke(build_cli(CliRuntime), list(args), env=full_env)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.db"
    assert run(path, "db", "upgrade").exit_code == 0
    return path


def _count(db: Path, sql: str) -> int:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value)


def test_demo_generates_a_synthetic_history_and_says_it_is_synthetic(db: Path) -> None:
    result = run(db, "demo", "--patients", "5")

    assert result.exit_code == 0, result.stderr
    assert "Generated a SYNTHETIC clinic history" in result.stdout
    assert "5 patients" in result.stdout
    assert _count(db, "SELECT count(*) FROM synthetic_patients") == 5
    assert _count(db, "SELECT count(*) FROM patients WHERE mrn LIKE 'SYN-%'") >= 5


def test_demo_without_history_seeds_only_the_demo_clinic(db: Path) -> None:
    result = run(db, "demo", "--no-history")

    assert result.exit_code == 0
    assert "SYNTHETIC" not in result.stdout
    assert _count(db, "SELECT count(*) FROM synthetic_patients") == 0


def test_a_second_demo_run_generates_nothing_more(db: Path) -> None:
    run(db, "demo", "--patients", "2")

    again = run(db, "demo", "--patients", "2")

    assert "nothing was seeded" in again.stdout
    assert _count(db, "SELECT count(*) FROM synthetic_patients") == 2


def test_a_negative_patient_count_is_refused_naming_the_option(db: Path) -> None:
    result = run(db, "demo", "--patients", "-1")

    assert result.exit_code == 2
    assert "patients: expected a number of patients from 0 to" in result.stderr
