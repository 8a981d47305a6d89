"""When the next reading is due, and when an unacknowledged alert is escalated.

The interval of the current phase (rule data: BP every 10 min while infusing, every 15 min in recovery)
counts from the last reading, in whichever phase it was taken; with no reading yet, from the start of the
phase. A reading is due from that time (inclusive) and overdue once the grace period has also passed
(exclusive: at due + grace it is still only due). An alert is escalated once the escalation delay has passed
since it was raised (inclusive).
"""

from __future__ import annotations

from dataclasses import dataclass

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.errors import InputError
from ketaflow.domain.monitoring.actions import MonitoringFinding, Phase
from ketaflow.domain.monitoring.rules import MonitoringRules
from ketaflow.domain.ruledata.rulebasis import format_number


@dataclass(frozen=True, slots=True)
class ReadingDue:
    """The next reading's due time and whether it is due or overdue now (with the reminder finding, if any)."""

    due_at_min: float
    is_due: bool
    is_overdue: bool
    finding: MonitoringFinding | None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "due_at_min": self.due_at_min,
            "is_due": self.is_due,
            "is_overdue": self.is_overdue,
            "finding": None if self.finding is None else self.finding.to_json(),
        }


def evaluate_reading_schedule(
    rules: MonitoringRules,
    *,
    phase: Phase,
    phase_started_min: float,
    last_reading_min: float | None,
    now_min: float,
) -> ReadingDue:
    """When the next reading is due (minutes since the infusion started) and whether it is due or overdue now."""
    if now_min < phase_started_min:
        raise InputError(
            "now_min", f"a time at or after the start of the phase ({format_number(phase_started_min)})", now_min
        )
    if last_reading_min is not None and last_reading_min > now_min:
        raise InputError("last_reading_min", f"a time at or before now ({format_number(now_min)})", last_reading_min)
    interval_min = rules.reading_interval_min(phase)
    due_at_min = (phase_started_min if last_reading_min is None else last_reading_min) + interval_min
    is_due = now_min >= due_at_min
    is_overdue = now_min > due_at_min + rules.overdue_grace_min
    if not is_due:
        return ReadingDue(due_at_min, is_due=False, is_overdue=False, finding=None)
    values = {
        "phase": phase.value,
        "interval_min": format_number(interval_min),
        "due_at_min": format_number(due_at_min),
        "now_min": format_number(now_min),
        "last_reading_min": "none" if last_reading_min is None else format_number(last_reading_min),
        "overdue_by_min": format_number(max(now_min - due_at_min, 0.0)),
        "grace_min": format_number(rules.overdue_grace_min),
    }
    inputs: dict[str, JsonValue] = {
        "phase": phase.value,
        "phase_started_min": phase_started_min,
        "last_reading_min": last_reading_min,
        "now_min": now_min,
        "interval_min": interval_min,
        "grace_min": rules.overdue_grace_min,
    }
    rule = rules.reading_overdue if is_overdue else rules.reading_due
    return ReadingDue(due_at_min, is_due=True, is_overdue=is_overdue, finding=rule.make_finding(values, inputs))


def is_escalation_due(rules: MonitoringRules, *, raised_at_min: float, now_min: float) -> bool:
    """Whether an alert raised at ``raised_at_min`` and still unacknowledged at ``now_min`` is escalated now."""
    return now_min - raised_at_min >= rules.escalation_after_min
