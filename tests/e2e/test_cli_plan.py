"""`ketaflow plan` and `ketaflow protocols list`: the dosing engine's JSON contracts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from ketaflow.bootstrap import CliRuntime
from ketaflow.cli.app import build_cli

PATIENT = {"weight_kg": 70, "height_cm": 175, "sex": "male", "age_years": 40}
PREPARATION = {"drug_mg": 100, "volume_ml": 100}


def run(*args: str, document: Any = None) -> tuple[int, Any, str]:
    text = None if document is None else json.dumps(document)
    result = CliRunner().invoke(build_cli(CliRuntime), list(args), input=text)
    body = json.loads(result.stdout) if result.exit_code == 0 and result.stdout.strip().startswith(("{", "[")) else None
    return result.exit_code, body if body is not None else result.stdout, result.stderr


def plan(**changes: Any) -> dict[str, Any]:
    return {"patient": PATIENT, "protocol": "depression_standard", "preparation": PREPARATION} | changes


def test_plan_prints_the_standard_dose_and_pump_programming() -> None:
    code, out, _ = run("plan", "-", document=plan())

    assert code == 0
    assert out["decision"] == "proceed"
    assert (out["dosing_weight_kg"], out["dosing_weight_basis"]) == (70.0, "actual")
    assert (out["dose_mg"], out["duration_min"], out["rate_mg_per_h"]) == (35.0, 40.0, 52.5)
    assert (out["concentration_mg_per_ml"], out["rate_ml_per_h"], out["vtbi_ml"]) == (1.0, 52.5, 35.0)
    assert out["findings"] == [] and out["protocol"] == {"id": "depression_standard", "version": "2026.11.0"}


def test_plan_reads_a_file(tmp_path: Any) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan()), encoding="utf-8")

    code, out, _ = run("plan", str(path))

    assert code == 0 and out["dose_mg"] == 35.0


def test_a_10x_slip_blocks_with_the_finding_and_its_source() -> None:
    code, out, _ = run("plan", "-", document=plan(dose_mg_per_kg=5))

    assert code == 0  # a block is an answer, not an error
    assert out["decision"] == "block"
    assert set(out["findings"][0]) == {"rule_id", "effect", "message", "inputs", "source"}
    assert out["findings"][0]["rule_id"] == "depression_standard.hard.dose"


def test_ideal_weight_basis_is_shown_with_its_formula() -> None:
    document = plan(patient=PATIENT | {"weight_kg": 120}, dosing_weight="ideal")

    _, out, _ = run("plan", "-", document=document)

    assert (out["dosing_weight_basis"], out["dosing_weight_formula"]) == ("ideal", "devine")
    assert out["dosing_weight_kg"] == pytest.approx(70.464567)


def test_fixed_rate_protocol_doses_rate_times_hours() -> None:
    document = plan(protocol="crps_fixed_rate", preparation={"drug_mg": 2500, "volume_ml": 250})

    _, out, _ = run("plan", "-", document=document)

    assert (out["rate_mg_per_h"], out["dose_mg"], out["dosing_weight_basis"]) == (22.0, 2112.0, "not_weight_based")


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (plan(protocol="nope"), "protocol"),
        (plan(patient=PATIENT | {"weight_kg": -70}), "patient.weight_kg"),
        (plan(patient={k: v for k, v in PATIENT.items() if k != "height_cm"}), "patient.height_cm"),
        (plan(patient=PATIENT | {"sex": "x"}), "patient.sex"),
        (plan(patient=PATIENT | {"age_years": "forty"}), "patient.age_years"),
        (plan(preparation={"drug_mg": 100}), "preparation.volume_ml"),
        (plan(dose_mg_per_kg="0.5"), "dose_mg_per_kg"),
        (plan(duration_min=0), "duration_min"),
        (plan(dosing_weight="lean"), "dosing_weight"),
        (plan(protocol="crps_weight_based", dose_mg_per_kg=0.35), "dose_mg_per_kg"),
        (plan(dose_mg_per_kilo=0.5), "dose_mg_per_kilo"),
        ([1, 2], "FILE"),
    ],
    ids=["unknown-protocol", "negative-weight", "missing-height", "unknown-sex", "age-as-text", "missing-volume",
         "dose-as-text", "zero-duration", "unknown-basis", "mg-per-kg-on-rate-protocol", "typo", "not-an-object"],
)  # fmt: skip
def test_invalid_input_exits_2_naming_the_field(document: Any, field: str) -> None:
    code, _, err = run("plan", "-", document=document)

    assert code == 2
    assert f"error: {field}" in err


def test_protocols_list_prints_id_version_and_title() -> None:
    code, out, _ = run("protocols", "list")

    assert code == 0
    assert "depression_standard\t2026.11.0\tDepression: 0.5 mg/kg over 40 min (standard)" in out.splitlines()


def test_protocols_list_json_shows_the_full_cited_data() -> None:
    code, out, _ = run("protocols", "list", "--json")

    assert code == 0
    standard = next(p for p in out if p["id"] == "depression_standard")
    assert standard["regimen"]["dose_mg_per_kg"] == 0.5 and "fava_2020" in standard["sources"]
