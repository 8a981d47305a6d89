"""Reading reminders (BP every 10 min infusing, every 15 min in recovery; 5 min grace) and alert escalation."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Effect
from ketaflow.domain.errors import InputError
from ketaflow.domain.monitoring import (
    Action,
    MonitoringRules,
    Phase,
    evaluate_reading_schedule,
    is_escalation_due,
)


def test_the_rule_file_gives_the_published_intervals(rules: MonitoringRules) -> None:
    intervals = (rules.reading_interval_min(Phase.INFUSING), rules.reading_interval_min(Phase.RECOVERY))

    assert intervals == (10.0, 15.0)
    assert (rules.overdue_grace_min, rules.escalation_after_min) == (5.0, 5.0)


SCHEDULE_CASES = [
    (9.9, False, False, None),
    (10, True, False, "schedule.reading_due"),
    (15, True, False, "schedule.reading_due"),
    (15.1, True, True, "schedule.reading_overdue"),
]


@pytest.mark.parametrize(
    ("now_min", "is_due", "is_overdue", "rule_id"), SCHEDULE_CASES, ids=[str(c[0]) for c in SCHEDULE_CASES]
)
def test_the_first_reading_of_the_infusion_is_due_one_interval_after_the_start(
    rules: MonitoringRules, now_min: float, is_due: bool, is_overdue: bool, rule_id: str | None
) -> None:
    due = evaluate_reading_schedule(
        rules, phase=Phase.INFUSING, phase_started_min=0, last_reading_min=None, now_min=now_min
    )

    assert (due.due_at_min, due.is_due, due.is_overdue) == (10, is_due, is_overdue)
    assert (None if due.finding is None else due.finding.finding.rule_id) == rule_id


def test_the_interval_counts_from_the_last_reading(rules: MonitoringRules) -> None:
    due = evaluate_reading_schedule(rules, phase=Phase.INFUSING, phase_started_min=0, last_reading_min=22, now_min=30)

    assert (due.due_at_min, due.is_due) == (32, False)


def test_in_recovery_the_interval_is_15_minutes_from_the_last_reading(rules: MonitoringRules) -> None:
    due = evaluate_reading_schedule(rules, phase=Phase.RECOVERY, phase_started_min=40, last_reading_min=38, now_min=53)

    assert (due.due_at_min, due.is_due, due.is_overdue) == (53, True, False)


def test_an_overdue_reading_is_a_warning_naming_how_late_it_is(rules: MonitoringRules) -> None:
    due = evaluate_reading_schedule(rules, phase=Phase.RECOVERY, phase_started_min=40, last_reading_min=45, now_min=67)

    assert due.finding is not None
    assert (due.finding.finding.effect, due.finding.action) == (Effect.WARN, Action.RECHECK)
    assert "overdue by 7 min" in due.finding.finding.message
    assert due.finding.finding.inputs["last_reading_min"] == 45
    assert due.to_json()["is_overdue"] is True


@pytest.mark.parametrize(
    ("phase_started_min", "last_reading_min", "now_min", "field"),
    [(40, None, 39, "now_min"), (0, 31, 30, "last_reading_min")],
    ids=["now-before-phase", "reading-in-the-future"],
)
def test_impossible_times_are_refused(
    rules: MonitoringRules, phase_started_min: float, last_reading_min: float | None, now_min: float, field: str
) -> None:
    with pytest.raises(InputError) as caught:
        evaluate_reading_schedule(
            rules,
            phase=Phase.INFUSING,
            phase_started_min=phase_started_min,
            last_reading_min=last_reading_min,
            now_min=now_min,
        )

    assert caught.value.field == field


@pytest.mark.parametrize(("now_min", "expected"), [(14.9, False), (15, True), (30, True)], ids=["4.9", "5", "20"])
def test_an_unacknowledged_alert_escalates_after_the_rule_files_delay(
    rules: MonitoringRules, now_min: float, expected: bool
) -> None:
    escalate = is_escalation_due(rules, raised_at_min=10, now_min=now_min)

    assert escalate is expected
