"""`ketaflow pk ...`: the PK engine's JSON contracts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from ketaflow.bootstrap import CliRuntime
from ketaflow.cli.app import build_cli

PATIENT = {"weight_kg": 70, "age_years": 40, "sex": "male", "height_cm": 175}
STANDARD = [{"kind": "infusion", "start_min": 0, "duration_min": 40, "mg_per_h": 52.5}]  # 0.5 mg/kg over 40 min


def pk(*args: str, document: Any = None) -> tuple[int, Any, str]:
    text = None if document is None else json.dumps(document)
    result = CliRunner().invoke(build_cli(CliRuntime), ["pk", *args], input=text)
    body = json.loads(result.stdout) if result.exit_code == 0 and result.stdout.strip().startswith(("{", "[")) else None
    return result.exit_code, body if body is not None else result.stdout, result.stderr


def test_models_lists_every_published_model() -> None:
    code, out, _ = pk("models")

    assert code == 0
    assert out.split() == ["domino", "clements250", "hijazi", "herd", "hornik", "kamp2020", "elkomy2015"]


def test_models_json_shows_sources_and_unconfirmed_caveats() -> None:
    _, models, _ = pk("models", "--json")

    domino = next(m for m in models if m["id"] == "domino")
    assert domino["confirmation"] == "not_confirmed"
    assert "parameters not confirmed against the original paper" in domino["caveats"]


def test_simulate_reproduces_the_end_of_infusion_peak_for_the_standard_dose() -> None:
    code, out, _ = pk(
        "simulate",
        "-",
        document={"model": "domino", "patient": PATIENT, "doses": STANDARD, "times_min": [0, 20, 40, 60]},
    )

    assert code == 0
    assert set(out) >= {"model", "times_min", "plasma_ng_per_ml", "effect_ng_per_ml", "cmax_ng_per_ml", "tmax_min"}
    assert round(out["cmax_ng_per_ml"]) == 240 and out["tmax_min"] == 40  # pk.md S1, via opentiva
    assert out["plasma_ng_per_ml"][2] == pytest.approx(out["cmax_ng_per_ml"])


def test_a_model_without_ke0_has_no_effect_site_curve() -> None:
    _, out, _ = pk(
        "simulate", "-", document={"model": "elkomy2015", "patient": PATIENT, "doses": STANDARD, "times_min": [0, 40]}
    )

    assert out["effect_ng_per_ml"] is None


def test_tci_segments_never_exceed_the_pump_maximum() -> None:
    code, out, _ = pk(
        "tci",
        "-",
        document={
            "model": "domino",
            "patient": PATIENT,
            "target_ng_per_ml": 150,
            "duration_min": 20,
            "max_rate_mg_per_h": 120,
        },
    )

    assert code == 0
    assert max(s["mg_per_h"] for s in out["segments"]) <= 120 + 1e-9


def test_cohort_reports_exceedance_with_its_interval_and_bands() -> None:
    code, out, _ = pk(
        "cohort",
        "-",
        document={
            "model": "herd",
            "n_patients": 5000,
            "seed": 7,
            "threshold_ng_per_ml": 250,
            "times_min": [0, 40, 120],
            "doses": [{"kind": "weight_infusion", "start_min": 0, "duration_min": 40, "mg_per_kg_per_h": 0.75}],
        },
    )

    assert code == 0
    assert 0 < out["p_cmax_above"] < 1 and out["ci95"][0] <= out["p_cmax_above"] <= out["ci95"][1]
    assert out["percentiles"]["p5"][1] <= out["percentiles"]["p50"][1] <= out["percentiles"]["p95"][1]


@pytest.mark.parametrize(
    ("command", "document", "field"),
    [
        ("simulate", {"model": "nope", "patient": PATIENT, "doses": STANDARD, "times_min": [0]}, "model"),
        (
            "simulate",
            {
                "model": "domino",
                "patient": PATIENT,
                "doses": [{"kind": "bolus", "at_min": 0, "mg": -5}],
                "times_min": [0, 1],
            },
            "doses[0]",
        ),
        ("simulate", {"model": "domino", "patient": PATIENT, "doses": STANDARD, "times_min": [0, 20, 10]}, "times_min"),
        (
            "simulate",
            {"model": "domino", "patient": {**PATIENT, "weight_kg": "heavy"}, "doses": STANDARD, "times_min": [0]},
            "patient.weight_kg",
        ),
        ("cohort", {"model": "domino", "n_patients": 10, "threshold_ng_per_ml": 200, "doses": STANDARD}, "assumed_cv"),
    ],
    ids=["unknown-model", "negative-dose", "times-not-increasing", "text-weight", "no-sourced-variability"],
)
def test_invalid_input_exits_2_naming_the_field(command: str, document: Any, field: str) -> None:
    code, _, err = pk(command, "-", document=document)

    assert code == 2
    assert field in err


@pytest.mark.parametrize(
    ("document", "field"),
    [({"model": []}, "model"), ({"model": "domino", "patient": {}, "doses": [{"kind": ["bolus"]}]}, "patient")],
    ids=["model-is-a-list", "kind-is-a-list"],
)
def test_json_of_the_wrong_shape_is_named_not_a_crash(document: Any, field: str) -> None:
    code, _, err = pk("simulate", "-", document=document)

    assert code == 2
    assert field in err


def test_a_dose_kind_of_the_wrong_type_is_named() -> None:
    document = {"model": "domino", "patient": PATIENT, "doses": [{"kind": ["bolus"]}], "times_min": [0]}

    code, _, err = pk("simulate", "-", document=document)

    assert code == 2 and "doses[0].kind" in err
