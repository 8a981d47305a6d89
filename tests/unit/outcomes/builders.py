"""Builders for the outcome tests: the shipped definitions and a course of scores and infusions on a fixed clock."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from ketaflow.domain.outcomes import OutcomeDefinitions, ScorePoint
from ketaflow.rules import load_rule_file

# Any: test documents are parsed-JSON shapes that each test edits freely before from_dict checks them.
JsonDoc = dict[str, Any]

# Monday 5 January 2026, 09:00 UTC: the first infusion of every example course.
FIRST_INFUSION = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def load_definitions_data() -> JsonDoc:
    """A fresh parsed copy of rules/outcomes/definitions.json (tests may mutate it)."""
    return copy.deepcopy(_DATA)


def shipped_definitions() -> OutcomeDefinitions:
    return OutcomeDefinitions.from_dict(load_definitions_data())


def at_day(days: float) -> datetime:
    """A time ``days`` after the first infusion (negative: before it)."""
    return FIRST_INFUSION + timedelta(days=days)


def score(days: float, total: int) -> ScorePoint:
    return ScorePoint(at=at_day(days), total=total)


def thrice_weekly_infusions() -> list[datetime]:
    """Six infusions Mon/Wed/Fri over 12 days: days 0, 2, 4, 7, 9, 11 (the last ends the series)."""
    return [at_day(day) for day in (0, 2, 4, 7, 9, 11)]


SERIES_END = at_day(11)

_DATA: JsonDoc = load_rule_file("outcomes", "definitions")
