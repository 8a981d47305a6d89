"""Intake.from_json refuses bad input naming the JSON path, and to_json round-trips the snapshot."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from ketaflow.domain.errors import InputError
from ketaflow.domain.screening import (
    ClinicalStatus,
    Indication,
    Intake,
    KetamineRoute,
    ManiaInstrument,
    Severity,
)
from tests.unit.screening.builders import JsonDoc, baseline_intake

Edit = Callable[[JsonDoc], object]


def _parent(document: JsonDoc, path: str) -> tuple[Any, str]:
    """The container holding a dotted path's last part (list indices written as numbers)."""
    *parents, last = path.split(".")
    # Any: a walk through parsed JSON, where each level may be a dict or a list.
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, last


def _set(path: str, value: object) -> Edit:
    """An edit that sets a dotted path in an intake document."""

    def edit(document: JsonDoc) -> None:
        node, last = _parent(document, path)
        node[int(last) if isinstance(node, list) else last] = value

    return edit


def _delete(path: str) -> Edit:
    def edit(document: JsonDoc) -> None:
        node, last = _parent(document, path)
        del node[last]

    return edit


def _add_condition(**condition: object) -> Edit:
    return lambda document: document["conditions"].append(condition)


INVALID_INPUTS = [
    ("negative weight", _set("patient.weight_kg", -70), "patient.weight_kg", "a number from 0.5 to 650"),
    ("weight as text", _set("patient.weight_kg", "seventy"), "patient.weight_kg", "a number"),
    ("weight as boolean", _set("patient.weight_kg", True), "patient.weight_kg", "a number"),
    ("weight not finite", _set("patient.weight_kg", math.inf), "patient.weight_kg", "a number"),
    ("systolic as text", _set("vitals.systolic_mmhg", "high"), "vitals.systolic_mmhg", "a number"),
    ("systolic typed 1300", _set("vitals.systolic_mmhg", 1300), "vitals.systolic_mmhg", "from 40 to 300"),
    (
        "diastolic above systolic",
        _set("vitals.diastolic_mmhg", 130),
        "vitals.diastolic_mmhg",
        "below systolic",
    ),
    (
        "unknown indication",
        _set("indication", "insomnia"),
        "indication",
        "one of treatment_resistant_depression",
    ),
    ("fractional age", _set("patient.age_years", 42.5), "patient.age_years", "a whole number"),
    ("unknown sex", _set("patient.sex", "f"), "patient.sex", "one of female"),
    ("missing patient", _delete("patient"), "patient", "a JSON object"),
    ("patient not an object", _set("patient", [1]), "patient", "a JSON object"),
    (
        "misspelt optional field",
        _set("patient.pregant", True),
        "patient.pregant",
        "a known field (one of: age_years",
    ),
    ("unknown top-level field", _set("allergy", []), "allergy", "a known field"),
    ("pregnant as text", _set("patient.pregnant", "no"), "patient.pregnant", "true or false"),
    ("code that is a word", _set("conditions.0.code", "depression"), "conditions[0].code", "ICD-10-CM code"),
    ("code without its letter", _set("conditions.0.code", "33.2"), "conditions[0].code", "ICD-10-CM code"),
    ("code too short", _set("conditions.0.code", "F3"), "conditions[0].code", "ICD-10-CM code"),
    ("code as a number", _set("conditions.0.code", 332), "conditions[0].code", "ICD-10-CM code"),
    (
        "second condition's code",
        _add_condition(code="hypertension", clinical_status="active"),
        "conditions[1].code",
        "ICD-10-CM code",
    ),
    (
        "non-FHIR status",
        _set("conditions.0.clinical_status", "chronic"),
        "conditions[0].clinical_status",
        "one of",
    ),
    ("other code system", _set("conditions.0.system", "SNOMED-CT"), "conditions[0].system", "ICD-10-CM"),
    (
        "severity outside the scale",
        _set("conditions.0.severity", "critical"),
        "conditions[0].severity",
        "one of",
    ),
    ("conditions not a list", _set("conditions", {"code": "F33.2"}), "conditions", "a list"),
    ("condition not an object", _set("conditions", ["F33.2"]), "conditions[0]", "a JSON object"),
    (
        "negative daily dose",
        _set("medications.0.daily_dose_mg", -5),
        "medications[0].daily_dose_mg",
        "a number",
    ),
    ("empty medicine name", _set("medications.0.name", " "), "medications[0].name", "a non-empty string"),
    (
        "trial outcome unknown word",
        _set("antidepressant_trials.0.outcome", "failed"),
        "antidepressant_trials[0].outcome",
        "one of",
    ),
    (
        "trial adequacy as text",
        _set("antidepressant_trials.0.adequate", "yes"),
        "antidepressant_trials[0].adequate",
        "true or false",
    ),
    (
        "naive measurement time",
        _set("vitals.measured_at", "2026-11-23T09:00:00"),
        "vitals.measured_at",
        "time zone",
    ),
    (
        "unparsable measurement time",
        _set("vitals.measured_at", "this morning"),
        "vitals.measured_at",
        "ISO 8601",
    ),
    ("measurement time as number", _set("vitals.measured_at", 1763888400), "vitals.measured_at", "ISO 8601"),
    ("SpO2 above 100", _set("vitals.spo2_pct", 101), "vitals.spo2_pct", "from 40 to 100"),
    ("ALT negative", _set("labs.alt_u_per_l", -1), "labs.alt_u_per_l", "a number"),
    ("unknown ketamine route", _set("ketamine_route", "rectal"), "ketamine_route", "one of intravenous"),
    (
        "substance status outside FHIR",
        _set("substance_use", [{"substance": "alcohol", "status": "sober"}]),
        "substance_use[0].status",
        "one of",
    ),
    (
        "allergy without substance",
        _set("allergies", [{"reaction": "rash"}]),
        "allergies[0].substance",
        "non-empty",
    ),
]


@pytest.mark.parametrize(
    ("edit", "field", "expected"), [row[1:] for row in INVALID_INPUTS], ids=[row[0] for row in INVALID_INPUTS]
)
def test_invalid_intake_is_refused_naming_the_field(edit: Edit, field: str, expected: str) -> None:
    document = baseline_intake()
    edit(document)

    with pytest.raises(InputError) as caught:
        Intake.from_json(document)

    assert caught.value.field == field
    assert expected in str(caught.value)


def test_intake_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        Intake.from_json([baseline_intake()])  # type: ignore[arg-type]  # the contract under test

    assert caught.value.field == "(top level)"


CSSRS_INVALID = [
    (
        "items 3-5 answered yes after q2 no",
        {"q1": True, "q2": False, "q3": True, "q6_lifetime": False},
        "assessments.cssrs_screener.q3",
    ),
    (
        "q2 yes without q4",
        {"q1": True, "q2": True, "q3": False, "q5": False, "q6_lifetime": False},
        "assessments.cssrs_screener.q4",
    ),
    (
        "past-3-month behaviour without lifetime behaviour",
        {"q1": False, "q2": False, "q6_lifetime": False, "q6_past_3_months": True},
        "assessments.cssrs_screener.q6_past_3_months",
    ),
    (
        "lifetime behaviour without the 3-month answer",
        {"q1": False, "q2": False, "q6_lifetime": True},
        "assessments.cssrs_screener.q6_past_3_months",
    ),
    ("q1 missing", {"q2": False, "q6_lifetime": False}, "assessments.cssrs_screener.q1"),
    (
        "unknown item",
        {"q1": False, "q2": False, "q6_lifetime": False, "q7": True},
        "assessments.cssrs_screener.q7",
    ),
]


@pytest.mark.parametrize(
    ("answers", "field"), [row[1:] for row in CSSRS_INVALID], ids=[row[0] for row in CSSRS_INVALID]
)
def test_cssrs_answers_must_follow_the_screener_skip_logic(answers: JsonDoc, field: str) -> None:
    document = baseline_intake()
    document["assessments"]["cssrs_screener"] = answers

    with pytest.raises(InputError) as caught:
        Intake.from_json(document)

    assert caught.value.field == field


MANIA_INVALID = [
    ("YMRS without a total", {"instrument": "ymrs"}, "assessments.mania_screen.ymrs_total"),
    ("YMRS total above 60", {"instrument": "ymrs", "ymrs_total": 61}, "assessments.mania_screen.ymrs_total"),
    (
        "YMRS with a verdict",
        {"instrument": "ymrs", "ymrs_total": 3, "positive": False},
        "assessments.mania_screen.positive",
    ),
    (
        "interview without a verdict",
        {"instrument": "clinical_interview"},
        "assessments.mania_screen.positive",
    ),
    (
        "interview with a YMRS total",
        {"instrument": "clinical_interview", "positive": False, "ymrs_total": 4},
        "assessments.mania_screen.ymrs_total",
    ),
    ("unknown instrument", {"instrument": "mdq", "positive": True}, "assessments.mania_screen.instrument"),
]


@pytest.mark.parametrize(("screen", "field"), [row[1:] for row in MANIA_INVALID], ids=[row[0] for row in MANIA_INVALID])
def test_mania_screen_carries_either_a_ymrs_total_or_a_verdict(screen: JsonDoc, field: str) -> None:
    document = baseline_intake()
    document["assessments"]["mania_screen"] = screen

    with pytest.raises(InputError) as caught:
        Intake.from_json(document)

    assert caught.value.field == field


def test_codes_are_normalised_to_upper_case_with_a_dot() -> None:
    document = baseline_intake()
    document["conditions"][0]["code"] = " f332 "
    document["conditions"][0]["system"] = "http://hl7.org/fhir/sid/icd-10-cm"

    intake = Intake.from_json(document)

    assert intake.conditions[0].code == "F33.2"


def test_parsed_intake_holds_typed_values_in_utc() -> None:
    document = baseline_intake()
    document["vitals"]["measured_at"] = "2026-11-23T10:00:00+01:00"
    document["conditions"][0].update({"severity": "severe", "controlled": False})
    document["medications"][0]["name"] = "  Sertraline "
    document["assessments"]["mania_screen"] = {"instrument": "ymrs", "ymrs_total": 4}

    intake = Intake.from_json(document)

    assert intake.vitals is not None
    assert intake.vitals.measured_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert intake.conditions[0].clinical_status is ClinicalStatus.ACTIVE
    assert intake.conditions[0].severity is Severity.SEVERE
    assert intake.medications[0].name == "sertraline"
    assert intake.indication is Indication.TREATMENT_RESISTANT_DEPRESSION
    assert intake.ketamine_route is KetamineRoute.INTRAVENOUS
    assert intake.assessments.mania_screen is not None
    assert intake.assessments.mania_screen.instrument is ManiaInstrument.YMRS
    assert intake.patient.bmi_kg_per_m2 == pytest.approx(70.0 / 1.68**2, rel=1e-12)


def test_optional_sections_may_be_absent() -> None:
    document = {"patient": {"age_years": 50, "sex": "male", "weight_kg": 80}, "indication": "crps"}

    intake = Intake.from_json(document)

    assert (intake.vitals, intake.labs, intake.conditions, intake.assessments.cssrs_screener) == (
        None,
        None,
        (),
        None,
    )
    assert intake.patient.bmi_kg_per_m2 is None


def test_to_json_round_trips_a_full_intake() -> None:
    document = baseline_intake()
    document["ketamine_route"] = "oral"
    document["allergies"] = [{"substance": "Penicillin", "reaction": "rash"}]
    document["substance_use"] = [{"substance": "alcohol", "status": "remission"}]
    document["labs"].update({"alt_uln_u_per_l": 40, "ast_uln_u_per_l": 40, "bilirubin_uln_mg_per_dl": 1.2})
    document["assessments"] = {
        "cssrs_screener": {
            "q1": True,
            "q2": True,
            "q3": False,
            "q4": False,
            "q5": False,
            "q6_lifetime": True,
            "q6_past_3_months": False,
        },
        "mania_screen": {"instrument": "clinical_interview", "positive": False},
    }
    intake = Intake.from_json(document)

    snapshot = intake.to_json()

    assert Intake.from_json(snapshot) == intake
    assert json.loads(json.dumps(snapshot))["vitals"]["measured_at"] == "2026-11-23T09:00:00Z"


def test_to_json_round_trips_a_minimal_intake() -> None:
    intake = Intake.from_json({"patient": {"age_years": 30, "sex": "unknown", "weight_kg": 60}, "indication": "ocd"})

    assert Intake.from_json(intake.to_json()) == intake
