"""Wiring for the monitoring tests: the shipped rule set, read once."""

from __future__ import annotations

import pytest

from ketaflow.domain.monitoring import MonitoringRules
from tests.unit.monitoring.builders import load_rule_data


@pytest.fixture(scope="session")
def rules() -> MonitoringRules:
    return MonitoringRules.from_dict(load_rule_data())
