"""`ketaflow reminders send`: the questionnaire reminders a clinic's cron job sends, one JSON line each."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ketaflow.bootstrap import CliRuntime, build_app_services
from ketaflow.cli.app import build_cli
from ketaflow.services import courses, patients
from ketaflow.services.context import Actor
from ketaflow.storage.database import create_database_engine
from ketaflow.storage.migrate import upgrade_to_head
from tests.conftest import make_settings
from tests.fakes import FakeClock

CONSOLE = Actor.system("test")
BASE_URL = "https://clinic.example.org"


@dataclass
class Result:
    returncode: int
    lines: list[dict[str, Any]]
    stderr: str


def reminders(db: Path, *args: str) -> Result:
    done = CliRunner().invoke(
        build_cli(CliRuntime), ["reminders", "send", *args], env={"KETAFLOW_DATABASE_URL": f"sqlite:///{db}"}
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return Result(done.exit_code, lines, done.stderr)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.db"
    upgrade_to_head(create_database_engine(f"sqlite:///{path}"))
    return path


def _course_starting(db: Path, start_date: str, *, email: str = "ana@example.org") -> UUID:
    """A patient with a course starting on ``start_date`` (due: a PHQ-9 before the first infusion that day)."""
    url = f"sqlite:///{db}"
    svc = build_app_services(make_settings(url), create_database_engine(url), clock=FakeClock(), fast_hashing=True)
    details = {"family_name": "Rivera", "given_names": "Ana", "date_of_birth": "1984-03-02", "sex": "female"}
    mrn = f"KF-{uuid4().hex[:8]}"
    patient_id = patients.register_patient(svc, CONSOLE, mrn, {**details, "email": email}).patient_id
    courses.start_course(svc, CONSOLE, patient_id, "depression_induction_maintenance", start_date, "depression")
    return patient_id


def _sent_rows(db: Path) -> int:
    engine = create_database_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT COUNT(*) FROM course_events WHERE kind = 'reminder_sent'")).scalar_one())
    engine.dispose()
    return count


def test_send_prints_one_json_line_per_reminder_sent(db: Path) -> None:
    patient_id = _course_starting(db, "2026-11-25")

    result = reminders(db, "--today", "2026-11-25", "--base-url", BASE_URL)

    assert result.returncode == 0, result.stderr
    assert [(line["patient_id"], line["instrument"], line["status"], line["channel"]) for line in result.lines] == [
        (str(patient_id), "phq9", "sent", "email")
    ]
    assert result.lines[0]["rule_ids"] == ["course.questionnaire.before_infusion"]


def test_a_second_run_the_same_day_sends_nothing_again(db: Path) -> None:
    _course_starting(db, "2026-11-25")
    reminders(db, "--today", "2026-11-25", "--base-url", BASE_URL)

    again = reminders(db, "--today", "2026-11-25", "--base-url", BASE_URL)

    assert [line["status"] for line in again.lines] == ["already_sent"]
    assert _sent_rows(db) == 1


def test_the_day_before_the_course_starts_nothing_is_due(db: Path) -> None:
    _course_starting(db, "2026-11-25")

    result = reminders(db, "--today", "2026-11-24", "--base-url", BASE_URL)

    assert (result.returncode, result.lines) == (0, [])


def test_a_dry_run_prints_what_would_be_sent_and_records_nothing(db: Path) -> None:
    _course_starting(db, "2026-11-25")

    result = reminders(db, "--today", "2026-11-25", "--dry-run")

    assert [(line["status"], line["channel"]) for line in result.lines] == [("would_send", "email")]
    assert _sent_rows(db) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--today", "25.11.2026", "--base-url", BASE_URL), "--today"),
        (("--today", "2026-11-25"), "base_url"),
    ],
    ids=["bad-date", "no-base-url"],
)
def test_bad_options_exit_2_and_name_the_option(db: Path, args: tuple[str, ...], message: str) -> None:
    _course_starting(db, "2026-11-25")

    result = reminders(db, *args)

    assert result.returncode == 2
    assert message in result.stderr
    assert _sent_rows(db) == 0
