"""Invariants over generated intakes: a contraindication never relaxes a decision; decision is decide()."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaflow.domain.basis import Decision, Effect, decide
from ketaflow.domain.screening import Intake, ScreeningRuleSet
from tests.unit.screening.builders import NOW_UTC, JsonDoc, load_rule_data, screen

RULES = ScreeningRuleSet.from_dict(load_rule_data())
_DECISION_ORDER = [Decision.PROCEED, Decision.PROCEED_WITH_WARNINGS, Decision.HOLD, Decision.BLOCK]
_STATUSES = ["active", "recurrence", "relapse", "inactive", "remission", "resolved"]

# Codes drawn from (and around) the value sets, so generated intakes exercise the condition rows.
_CODES = [
    "F33.2",
    "F32.A",
    "I10",
    "I48.91",
    "I50.22",
    "I21.4",
    "I25.2",
    "G45.9",
    "G45.4",
    "I61.9",
    "I67.1",
    "F20.0",
    "F31.81",
    "F31.0",
    "F10.20",
    "F10.21",
    "F17.210",
    "Z33.1",
    "G91.9",
    "H40.11X1",
    "K74.60",
    "K72.10",
    "E05.90",
    "Z88.4",
    "E80.21",
    "G40.909",
    "J02.9",
    "M54.50",
]
# Conditions that block on their own whatever else is recorded (contraindications in the rule data).
CONTRAINDICATIONS = [
    {"code": "I61.9", "clinical_status": "resolved"},
    {"code": "I67.1", "clinical_status": "active"},
    {"code": "F20.0", "clinical_status": "active"},
    {"code": "O14.03", "clinical_status": "active"},
    {"code": "I50.22", "clinical_status": "active", "controlled": False},
    {"code": "E05.00", "clinical_status": "active", "controlled": False},
    {"code": "K74.60", "clinical_status": "active", "severity": "severe"},
    {"code": "F10.20", "clinical_status": "active"},
]
_MEDICINES = [
    "sertraline",
    "lorazepam",
    "diazepam",
    "phenelzine",
    "lithium",
    "lamotrigine",
    "clarithromycin",
    "rifampicin",
    "oxycodone",
    "methylphenidate",
    "levothyroxine",
]

conditions = st.fixed_dictionaries(
    {"code": st.sampled_from(_CODES), "clinical_status": st.sampled_from(_STATUSES)},
    optional={
        "controlled": st.none() | st.booleans(),
        "severity": st.none() | st.sampled_from(["mild", "moderate", "severe"]),
    },
)
medications = st.fixed_dictionaries(
    {"name": st.sampled_from(_MEDICINES)},
    optional={"daily_dose_mg": st.none() | st.floats(min_value=0.1, max_value=40, allow_nan=False)},
)
cssrs = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "q1": st.booleans(),
            "q2": st.just(False),
            "q6_lifetime": st.just(False),
            "q6_past_3_months": st.just(False),
        }
    ),
    st.fixed_dictionaries(
        {
            "q1": st.booleans(),
            "q2": st.just(True),
            "q3": st.booleans(),
            "q4": st.booleans(),
            "q5": st.booleans(),
            "q6_lifetime": st.just(True),
            "q6_past_3_months": st.booleans(),
        }
    ),
)


@st.composite
def intakes(draw: st.DrawFn) -> JsonDoc:
    document: JsonDoc = {
        "patient": {
            "age_years": draw(st.integers(min_value=16, max_value=85)),
            "sex": draw(st.sampled_from(["female", "male", "other", "unknown"])),
            "weight_kg": draw(st.floats(min_value=40, max_value=160, allow_nan=False)),
            "height_cm": draw(st.none() | st.floats(min_value=140, max_value=200, allow_nan=False)),
            "pregnant": draw(st.none() | st.booleans()),
            "breastfeeding": draw(st.none() | st.booleans()),
        },
        "indication": draw(
            st.sampled_from(["treatment_resistant_depression", "bipolar_depression", "ptsd", "chronic_pain"])
        ),
        "ketamine_route": draw(st.sampled_from(["intravenous", "oral"])),
        "conditions": draw(st.lists(conditions, max_size=4)),
        "medications": draw(st.lists(medications, max_size=4)),
        "antidepressant_trials": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "drug": st.just("sertraline"),
                        "adequate": st.booleans(),
                        "outcome": st.sampled_from(["no_response", "partial_response", "response", "intolerance"]),
                    }
                ),
                max_size=3,
            )
        ),
        "assessments": {"cssrs_screener": draw(cssrs)},
    }
    if draw(st.booleans()):
        systolic = draw(st.integers(min_value=95, max_value=230))
        document["vitals"] = {
            "systolic_mmhg": systolic,
            # Within the intake's accepted range (diastolic at most 200 mmHg).
            "diastolic_mmhg": draw(st.integers(min_value=50, max_value=min(systolic - 20, 200))),
            "spo2_pct": draw(st.none() | st.integers(min_value=85, max_value=100)),
            "measured_at": (NOW_UTC.replace(minute=draw(st.integers(min_value=0, max_value=35)))).isoformat(),
        }
    if draw(st.booleans()):
        document["labs"] = {"alt_u_per_l": draw(st.floats(min_value=5, max_value=400, allow_nan=False))}
    return document


_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(document=intakes(), contraindication=st.sampled_from(CONTRAINDICATIONS))
def test_adding_a_contraindication_never_makes_the_decision_less_strict(
    document: JsonDoc, contraindication: JsonDoc
) -> None:
    before = screen(document, RULES)
    document["conditions"].append(contraindication)

    after = screen(document, RULES)

    assert after.decision is Decision.BLOCK
    assert _DECISION_ORDER.index(after.decision) >= _DECISION_ORDER.index(before.decision)


@_SETTINGS
@given(document=intakes(), extra=conditions)
def test_recording_another_diagnosis_never_relaxes_the_decision(document: JsonDoc, extra: JsonDoc) -> None:
    before = screen(document, RULES)
    document["conditions"].append(extra)

    after = screen(document, RULES)

    assert _DECISION_ORDER.index(after.decision) >= _DECISION_ORDER.index(before.decision)
    assert {f.rule_id for f in before.findings} <= {f.rule_id for f in after.findings}


@_SETTINGS
@given(document=intakes())
def test_decision_equals_decide_of_the_findings_sorted_strongest_first(document: JsonDoc) -> None:
    result = screen(document, RULES)

    ranks = [list(Effect).index(f.effect) for f in result.findings]
    assert result.decision is decide(result.findings)
    assert ranks == sorted(ranks, reverse=True)
    assert result.urgent_safety_referral is any(f.rule_id == "cssrs.high_risk" for f in result.findings)
    if result.urgent_safety_referral:
        assert result.findings[0].rule_id == "cssrs.high_risk"


@_SETTINGS
@given(document=intakes())
def test_intake_snapshot_round_trips(document: JsonDoc) -> None:
    intake = Intake.from_json(document)

    assert Intake.from_json(intake.to_json()) == intake
