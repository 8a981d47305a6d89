"""`ketaflow monitor check`: one charted reading in, the action and its findings out (docs/monitoring.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ketaflow.bootstrap import CliRuntime
from ketaflow.cli.app import build_cli

BASELINE = {"systolic_mmhg": 128, "diastolic_mmhg": 80, "heart_rate_bpm": 72, "spo2_pct": 98}
READING = {"systolic_mmhg": 150, "diastolic_mmhg": 92, "heart_rate_bpm": 84, "spo2_pct": 97, "moaa_s": 5}


def document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "protocol": "depression_standard",
        "phase": "infusing",
        "minutes_since_start": 40,
        "baseline": dict(BASELINE),
        "reading": dict(READING),
        "recent_readings": [{"minutes_since_start": 30, **READING}],
    }
    doc.update(changes)
    return doc


def monitor(*args: str, body: Any = None) -> tuple[int, Any, str]:
    text = None if body is None else json.dumps(body)
    result = CliRunner().invoke(build_cli(CliRuntime), ["monitor", "check", *args], input=text)
    answer = json.loads(result.stdout) if result.exit_code == 0 else result.stdout
    return result.exit_code, answer, result.stderr


def test_an_expected_rise_prints_one_json_line_with_the_contract_shape() -> None:
    code, answer, _ = monitor("-", body=document())

    assert code == 0
    assert set(answer) == {"action", "findings", "recheck_in_min", "rule_set"}
    assert answer["action"] == "continue" and answer["recheck_in_min"] is None
    assert answer["rule_set"] == {"id": "iv_ketamine_outpatient", "version": "2026.11.0"}
    assert [f["rule_id"] for f in answer["findings"]] == ["vitals.not_checked", "bp.expected_rise"]
    for finding in answer["findings"]:
        assert set(finding) == {"rule_id", "effect", "message", "inputs", "source", "action"}


def test_a_file_argument_works_like_standard_input(tmp_path: Path) -> None:
    path = tmp_path / "reading.json"
    path.write_text(json.dumps(document()), encoding="utf-8")

    code, answer, _ = monitor(str(path))

    assert code == 0 and answer["action"] == "continue"


def test_high_blood_pressure_with_chest_pain_stops_the_infusion() -> None:
    reading = {**READING, "systolic_mmhg": 186, "diastolic_mmhg": 104, "side_effects": ["chest_pain"]}

    code, answer, _ = monitor("-", body=document(reading=reading, recent_readings=[]))

    assert code == 0
    assert answer["action"] == "stop"
    assert answer["findings"][0]["rule_id"] == "bp.with_end_organ_symptoms"
    assert answer["findings"][0]["effect"] == "block"


def test_a_reading_without_blood_pressure_asks_for_a_recheck() -> None:
    reading = {"spo2_pct": 97, "moaa_s": 5}

    code, answer, _ = monitor("-", body=document(reading=reading))

    assert code == 0
    assert answer["action"] == "recheck" and answer["recheck_in_min"] == 5
    assert answer["findings"][0]["rule_id"] == "vitals.required_missing"


def test_recent_readings_are_optional_and_feed_the_trend() -> None:
    high = {**READING, "systolic_mmhg": 170, "diastolic_mmhg": 95}
    baseline = {**BASELINE, "systolic_mmhg": 150, "diastolic_mmhg": 90}

    _, alone, _ = monitor(
        "-", body={k: v for k, v in document(reading=high, baseline=baseline).items() if k != "recent_readings"}
    )
    _, twice, _ = monitor(
        "-", body=document(reading=high, baseline=baseline, recent_readings=[{"minutes_since_start": 30, **high}])
    )

    assert alone["action"] == "recheck"
    assert twice["action"] == "notify_physician"
    assert "trend.recheck_persists" in [f["rule_id"] for f in twice["findings"]]


@pytest.mark.parametrize(
    ("flags", "rule_id"), [((), "cadss.not_licensed"), (("--cadss-licensed",), "cadss.marked_dissociation")]
)
def test_cadss_is_evaluated_only_with_the_licence_flag(flags: tuple[str, ...], rule_id: str) -> None:
    reading = {**READING, "cadss_total": 60}

    code, answer, _ = monitor("-", *flags, body=document(reading=reading))

    assert code == 0
    assert rule_id in [f["rule_id"] for f in answer["findings"]]


BAD_INPUTS = [
    ("unknown-protocol", document(protocol="nope"), "protocol"),
    ("protocol-not-text", document(protocol=["depression_standard"]), "protocol"),
    ("unknown-top-level-key", document(patient={"weight_kg": 70}), "patient"),
    ("unknown-reading-key", document(reading={**READING, "pulse": 80}), "reading.pulse"),
    ("implausible-value", document(reading={**READING, "systolic_mmhg": 1500}), "reading.systolic_mmhg"),
    ("text-value", document(baseline={**BASELINE, "heart_rate_bpm": "fast"}), "baseline.heart_rate_bpm"),
    ("moaa_s-out-of-range", document(reading={**READING, "moaa_s": 6}), "reading.moaa_s"),
    ("unknown-side-effect", document(reading={**READING, "side_effects": ["hiccups"]}), "reading.side_effects[0]"),
    ("wrong-phase", document(phase="baseline"), "phase"),
    ("negative-minutes", document(minutes_since_start=-5), "minutes_since_start"),
    (
        "recent-out-of-order",
        document(recent_readings=[{"minutes_since_start": 30, **READING}, {"minutes_since_start": 20, **READING}]),
        "recent_readings[1].minutes_since_start",
    ),
    (
        "recent-after-the-reading",
        document(recent_readings=[{"minutes_since_start": 45, **READING}]),
        "recent_readings[0].minutes_since_start",
    ),
    ("recent-without-time", document(recent_readings=[dict(READING)]), "recent_readings[0].minutes_since_start"),
    ("recent-not-a-list", document(recent_readings={"minutes_since_start": 30}), "recent_readings"),
    ("empty-reading", document(reading={}), "reading"),
    ("reading-not-an-object", document(reading=[150, 92]), "reading"),
]
MISSING_FIELDS = ["protocol", "phase", "minutes_since_start", "baseline", "reading"]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in BAD_INPUTS], ids=[i for i, _, _ in BAD_INPUTS])
def test_invalid_input_exits_2_naming_the_field(body: dict[str, Any], field: str) -> None:
    code, out, err = monitor("-", body=body)

    assert code == 2 and out == ""
    assert f"error: {field}:" in " ".join(err.split())


@pytest.mark.parametrize("missing", MISSING_FIELDS)
def test_a_missing_required_field_exits_2_naming_it(missing: str) -> None:
    body = {k: v for k, v in document().items() if k != missing}

    code, _, err = monitor("-", body=body)

    assert code == 2
    assert f"error: {missing}:" in " ".join(err.split())


def test_text_that_is_not_json_exits_2() -> None:
    result = CliRunner().invoke(build_cli(CliRuntime), ["monitor", "check", "-"], input="{not json")

    assert result.exit_code == 2 and "FILE" in result.stderr
