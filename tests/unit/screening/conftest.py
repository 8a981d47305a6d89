"""Wiring for the screening tests: the shipped rule set, read once."""

from __future__ import annotations

import pytest

from ketaflow.domain.screening import ScreeningRuleSet
from tests.unit.screening.builders import load_rule_data


@pytest.fixture(scope="session")
def rules() -> ScreeningRuleSet:
    return ScreeningRuleSet.from_dict(load_rule_data())
