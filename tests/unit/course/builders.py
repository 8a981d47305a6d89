"""Builders for the course tests: the shipped plans and safety rules, and dates on a fixed calendar."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ketaflow.domain.course import CoursePlan, ExposureRecord, SafetyRules
from ketaflow.rules import load_rule_file

# Any: test documents are parsed-JSON shapes that each test edits freely before from_dict checks them.
JsonDoc = dict[str, Any]

THRICE_WEEKLY = "depression_induction_maintenance"
TWICE_WEEKLY = "depression_twice_weekly"
START = date(2026, 1, 5)  # a Monday


def load_plan_data(name: str) -> JsonDoc:
    return copy.deepcopy(load_rule_file("courses", name))


def load_plan(name: str) -> CoursePlan:
    return CoursePlan.from_dict(load_plan_data(name))


def load_safety_data() -> JsonDoc:
    return copy.deepcopy(load_rule_file("safety", "long_term"))


def load_safety_rules() -> SafetyRules:
    return SafetyRules.from_dict(load_safety_data())


def day(offset: int) -> date:
    """The date ``offset`` days after the course start."""
    return START + timedelta(days=offset)


def days(*offsets: int) -> list[date]:
    return [day(offset) for offset in offsets]


def exposure(offset_days: float, mg_per_kg: float = 0.5, weight_kg: float = 70.0) -> ExposureRecord:
    """An infusion ``offset_days`` after 5 January 2026 09:00 UTC."""
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC) + timedelta(days=offset_days)
    return ExposureRecord(at=at, dose_mg=mg_per_kg * weight_kg, dose_mg_per_kg=mg_per_kg)
