"""Builders for the screening tests: the shipped rule file and a baseline intake that proceeds."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ketaflow.domain.basis import Finding
from ketaflow.domain.screening import Intake, ScreeningResult, ScreeningRuleSet, screen_patient

RULE_FILE = Path(__file__).resolve().parents[3] / "src" / "ketaflow" / "rules" / "screening" / "default.json"
NOW_UTC = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

# Any: test documents are parsed-JSON shapes that each test edits freely before Intake.from_json checks them.
JsonDoc = dict[str, Any]


def load_rule_data() -> JsonDoc:
    """A fresh parsed copy of rules/screening/default.json (tests may mutate it)."""
    return copy.deepcopy(_RULE_DATA)


_RULE_DATA: JsonDoc = json.loads(RULE_FILE.read_text(encoding="utf-8"))


def baseline_intake() -> JsonDoc:
    """A 42-year-old woman with TRD, fresh normal vitals and a negative C-SSRS: screens as proceed."""
    return {
        "patient": {
            "age_years": 42,
            "sex": "female",
            "weight_kg": 70.0,
            "height_cm": 168.0,
            "pregnant": False,
            "breastfeeding": False,
        },
        "indication": "treatment_resistant_depression",
        "vitals": {
            "systolic_mmhg": 128,
            "diastolic_mmhg": 82,
            "heart_rate_bpm": 72,
            "spo2_pct": 98,
            "respiratory_rate_per_min": 14,
            "measured_at": "2026-11-23T09:00:00Z",
        },
        "conditions": [
            {
                "code": "F33.2",
                "system": "ICD-10-CM",
                "clinical_status": "active",
                "controlled": None,
                "severity": None,
            }
        ],
        "medications": [{"name": "sertraline", "daily_dose_mg": 150}],
        "antidepressant_trials": [
            {"drug": "escitalopram", "adequate": True, "outcome": "no_response"},
            {"drug": "venlafaxine", "adequate": True, "outcome": "partial_response"},
        ],
        "substance_use": [],
        "labs": {"alt_u_per_l": 24, "ast_u_per_l": 22, "bilirubin_mg_per_dl": 0.7, "egfr_ml_per_min": 96},
        "assessments": {"cssrs_screener": {"q1": False, "q2": False, "q6_lifetime": False, "q6_past_3_months": False}},
    }


def screen(document: JsonDoc, rules: ScreeningRuleSet, *, now_utc: datetime = NOW_UTC) -> ScreeningResult:
    return screen_patient(Intake.from_json(document), rules, now_utc=now_utc)


def with_condition(
    code: str, status: str = "active", *, controlled: bool | None = None, severity: str | None = None
) -> JsonDoc:
    document = baseline_intake()
    document["conditions"].append(
        {"code": code, "clinical_status": status, "controlled": controlled, "severity": severity}
    )
    return document


def find(result: ScreeningResult, rule_id: str) -> Finding:
    matches = [finding for finding in result.findings if finding.rule_id == rule_id]
    assert len(matches) == 1, f"{rule_id} found {len(matches)} times in {[f.rule_id for f in result.findings]}"
    return matches[0]


def rule_ids(result: ScreeningResult) -> list[str]:
    return [finding.rule_id for finding in result.findings]
