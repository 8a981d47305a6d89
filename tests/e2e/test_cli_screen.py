"""`ketaflow screen`: the intake-in, decision-out contract that clinic integrations call."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ketaflow.bootstrap import CliRuntime
from ketaflow.cli.app import build_cli

KETAFLOW = shutil.which("ketaflow", path=str(Path(sys.executable).parent))

# The example intake from the issue, as an integration would send it.
INTAKE: dict[str, Any] = {
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
        {"code": "F33.2", "system": "ICD-10-CM", "clinical_status": "active", "controlled": None, "severity": None}
    ],
    "medications": [{"name": "sertraline", "daily_dose_mg": 150}],
    "antidepressant_trials": [
        {"drug": "escitalopram", "adequate": True, "outcome": "no_response"},
        {"drug": "venlafaxine", "adequate": True, "outcome": "no_response"},
    ],
    "substance_use": [{"substance": "alcohol", "status": "remission"}],
    "labs": {"alt_u_per_l": 24, "ast_u_per_l": 22, "bilirubin_mg_per_dl": 0.7, "egfr_ml_per_min": 96},
    "assessments": {"cssrs_screener": {"q1": False, "q2": False, "q6_lifetime": False, "q6_past_3_months": False}},
}
AT = "2026-11-23T09:20:00Z"


def screen(document: Any, *extra: str) -> tuple[int, str, str]:
    text = document if isinstance(document, str) else json.dumps(document)
    result = CliRunner().invoke(build_cli(CliRuntime), ["screen", "-", "--at", AT, *extra], input=text)
    return result.exit_code, result.stdout, result.stderr


def with_change(path: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(INTAKE)
    *parents, last = path.split(".")
    node: Any = document
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value
    return document


def test_the_example_intake_prints_decision_findings_and_ruleset() -> None:
    code, out, _ = screen(INTAKE)

    body = json.loads(out)
    assert code == 0
    assert set(body) >= {"decision", "findings", "ruleset"}
    assert body["decision"] in {"proceed", "proceed_with_warnings"}
    assert body["ruleset"]["id"] == "ketaflow.screening" and body["ruleset"]["version"]
    for finding in body["findings"]:
        assert set(finding) == {"rule_id", "effect", "message", "inputs", "source"}
        assert finding["source"]


@pytest.mark.parametrize(
    ("change", "value", "decision", "rule"),
    [
        ("vitals.systolic_mmhg", 185, "block", "bp.resting_contraindicated"),
        ("patient.pregnant", True, "block", "pregnancy.pregnant"),
        ("vitals.measured_at", "2026-11-22T09:00:00Z", "hold", "vitals.stale"),
    ],
    ids=["bp-185", "pregnant", "yesterday's-vitals"],
)
def test_a_decision_is_not_an_error_and_names_its_rule(change: str, value: Any, decision: str, rule: str) -> None:
    code, out, _ = screen(with_change(change, value))

    body = json.loads(out)
    assert code == 0
    assert body["decision"] == decision
    assert rule in [f["rule_id"] for f in body["findings"]]


def test_a_positive_high_risk_cssrs_routes_to_urgent_safety_care() -> None:
    document = with_change(
        "assessments.cssrs_screener",
        {"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6_lifetime": False, "q6_past_3_months": False},
    )

    body = json.loads(screen(document)[1])

    assert body["urgent_safety_referral"] is True
    assert body["findings"][0]["rule_id"] == "cssrs.high_risk"


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (with_change("patient.weight_kg", -70), "patient.weight_kg"),
        (with_change("vitals.heart_rate_bpm", "seventy"), "vitals.heart_rate_bpm"),
        (with_change("indication", "hiccups"), "indication"),
        (with_change("conditions.0.code", "depression"), "conditions[0].code"),
        (with_change("conditions.0.code", "F99.9"), "conditions[0].code"),  # well-formed but not in the code set
        ("{not json", "FILE"),
        ("[1, 2]", "FILE"),
    ],
    ids=["negative-weight", "text-for-number", "unknown-indication", "not-icd", "no-such-code", "bad-json", "array"],
)
def test_invalid_input_exits_2_naming_the_field(document: Any, field: str) -> None:
    code, out, err = screen(document)

    assert code == 2
    assert out == ""
    assert f"{field}:" in err


def test_a_bad_as_of_time_is_named() -> None:
    result = CliRunner().invoke(build_cli(CliRuntime), ["screen", "-", "--at", "yesterday"], input=json.dumps(INTAKE))

    assert result.exit_code == 2
    assert "--at" in result.stderr


def test_the_installed_command_reads_a_file(tmp_path: Path) -> None:
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps(INTAKE))
    assert KETAFLOW is not None

    done = subprocess.run(
        [KETAFLOW, "screen", str(intake), "--at", AT],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "KETAFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}"},
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ruleset"]["id"] == "ketaflow.screening"
