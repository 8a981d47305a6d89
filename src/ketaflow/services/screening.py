"""Eligibility screening: check an intake against the versioned rule set, and keep what was decided."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache

from ketaflow.domain.errors import InputError
from ketaflow.domain.screening import Intake, ScreeningResult, ScreeningRuleSet, screen_patient
from ketaflow.rules import load_rule_file
from ketaflow.services.ports import CodeSystem

DEFAULT_RULESET = "default"


@cache
def load_screening_rules(name: str = DEFAULT_RULESET) -> ScreeningRuleSet:
    """The shipped screening rule set, parsed and checked once per process."""
    return ScreeningRuleSet.from_dict(load_rule_file("screening", name))


def check_intake(data: Mapping[str, object], codes: CodeSystem) -> Intake:
    """Parse an intake document and confirm every condition code exists in the official code set."""
    intake = Intake.from_json(data)
    for i, condition in enumerate(intake.conditions):
        if not codes.exists(condition.code):
            raise InputError(f"conditions[{i}].code", f"a code that exists in {codes.name}", condition.code)
    return intake


def screen_intake(
    data: Mapping[str, object], *, codes: CodeSystem, now_utc: datetime, rules: ScreeningRuleSet | None = None
) -> ScreeningResult:
    """Screen one intake document (the `ketaflow screen` contract); raises InputError naming a bad field."""
    return screen_patient(check_intake(data, codes), rules or load_screening_rules(), now_utc=now_utc)
