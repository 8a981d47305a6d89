"""Current medicines: benzodiazepine load as diazepam equivalents, interaction classes by route."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Decision, Effect
from ketaflow.domain.screening import ScreeningRuleSet
from tests.unit.screening.builders import baseline_intake, find, rule_ids, screen

BENZO = "medication.benzodiazepine_"

# Andrashko 2020: ">8 mg of diazepam equivalent" per day. Ashton: lorazepam 1 mg, alprazolam and clonazepam
# 0.5 mg, temazepam 20 mg each equal diazepam 10 mg.
LOAD_CASES = [
    ("diazepam 8 mg", [("diazepam", 8)], "within_threshold", Effect.INFO, "8"),
    ("diazepam 8.5 mg", [("diazepam", 8.5)], "above_threshold", Effect.WARN, "8.5"),
    ("lorazepam 0.8 mg is exactly 8 mg", [("lorazepam", 0.8)], "within_threshold", Effect.INFO, "8"),
    ("lorazepam 1 mg", [("lorazepam", 1)], "above_threshold", Effect.WARN, "10"),
    ("alprazolam 0.25 mg", [("alprazolam", 0.25)], "within_threshold", Effect.INFO, "5"),
    (
        "two benzodiazepines add up",
        [("clonazepam", 0.25), ("temazepam", 10)],
        "above_threshold",
        Effect.WARN,
        "10",
    ),
    ("clorazepate 15 mg", [("clorazepate", 15)], "above_threshold", Effect.WARN, "10"),
]


@pytest.mark.parametrize(
    ("doses", "outcome", "effect", "total_mg"),
    [row[1:] for row in LOAD_CASES],
    ids=[row[0] for row in LOAD_CASES],
)
def test_benzodiazepine_load_above_8_mg_diazepam_equivalent_warns(
    rules: ScreeningRuleSet, doses: list[tuple[str, float]], outcome: str, effect: Effect, total_mg: str
) -> None:
    document = baseline_intake()
    document["medications"] = [{"name": name, "daily_dose_mg": dose} for name, dose in doses]

    result = screen(document, rules)

    finding = find(result, BENZO + outcome)
    assert finding.effect is effect
    assert f"load {total_mg} mg/day diazepam-equivalent" in finding.message
    assert finding.inputs["total_diazepam_equivalent_mg_per_day"] == float(total_mg)


def test_benzodiazepine_without_a_dose_is_insufficient_data(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["medications"] = [{"name": "lorazepam"}, {"name": "diazepam", "daily_dose_mg": 2}]

    result = screen(document, rules)

    assert find(result, BENZO + "dose_unknown").effect is Effect.INSUFFICIENT_DATA
    assert result.decision is Decision.HOLD


def test_benzodiazepine_threshold_applies_to_depression_only(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["indication"] = "chronic_pain"
    document["medications"] = [{"name": "lorazepam", "daily_dose_mg": 4}]

    result = screen(document, rules)

    assert [r for r in rule_ids(result) if r.startswith(BENZO)] == [BENZO + "sedation"]
    assert "not to chronic pain" in find(result, BENZO + "sedation").message


CLASS_CASES = [
    ("MAOI", "phenelzine", "intravenous", "medication.maoi", Effect.HOLD),
    ("psychostimulant", "lisdexamfetamine", "intravenous", "medication.psychostimulant", Effect.WARN),
    ("amphetamine by its USAN name", "Amphetamine", "intravenous", "medication.psychostimulant", Effect.WARN),
    ("Z-drug", "zolpidem", "intravenous", "medication.sedative_hypnotic", Effect.INFO),
    ("opioid", "oxycodone", "intravenous", "medication.opioid", Effect.WARN),
    (
        "CYP3A4 inhibitor with IV ketamine",
        "clarithromycin",
        "intravenous",
        "medication.cyp3a4_inhibitor",
        Effect.INFO,
    ),
    (
        "CYP3A4 inhibitor with oral ketamine",
        "clarithromycin",
        "oral",
        "medication.cyp3a4_inhibitor",
        Effect.WARN,
    ),
    ("CYP3A4 inducer with IV ketamine", "rifampin", "intravenous", "medication.cyp3a4_inducer", Effect.INFO),
    (
        "CYP3A4 inducer with sublingual ketamine",
        "rifampicin",
        "sublingual",
        "medication.cyp3a4_inducer",
        Effect.WARN,
    ),
    (
        "CYP2B6 inhibitor with IV ketamine",
        "ticlopidine",
        "intravenous",
        "medication.cyp2b6_inhibitor",
        Effect.INFO,
    ),
    (
        "CYP2B6 inhibitor with oral ketamine",
        "ticlopidine",
        "oral",
        "medication.cyp2b6_inhibitor",
        Effect.WARN,
    ),
    (
        "CYP2B6 inducer with intranasal ketamine",
        "efavirenz",
        "intranasal",
        "medication.cyp2b6_inducer",
        Effect.WARN,
    ),
    ("theophylline", "theophylline", "intravenous", "medication.methylxanthine", Effect.WARN),
    ("SSRI", "escitalopram", "intravenous", "medication.ssri", Effect.INFO),
]


@pytest.mark.parametrize(
    ("name", "route", "rule_id", "effect"),
    [row[1:] for row in CLASS_CASES],
    ids=[row[0] for row in CLASS_CASES],
)
def test_interacting_medicine_classes_follow_the_rule_data(
    rules: ScreeningRuleSet, name: str, route: str, rule_id: str, effect: Effect
) -> None:
    document = baseline_intake()
    document["ketamine_route"] = route
    document["medications"].append({"name": name, "daily_dose_mg": 10})

    result = screen(document, rules)

    finding = find(result, rule_id)
    assert finding.effect is effect
    assert name.lower() in finding.message
    assert finding.inputs["medications[1].name"] == name.lower()


def test_route_dependent_findings_record_the_route(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["medications"].append({"name": "carbamazepine", "daily_dose_mg": 400})

    result = screen(document, rules)

    for rule_id in ("medication.cyp3a4_inducer", "medication.cyp2b6_inducer"):
        finding = find(result, rule_id)
        assert finding.inputs["ketamine_route"] == "intravenous"
        assert "with intravenous ketamine" in finding.message


def test_lamotrigine_is_not_said_to_reduce_efficacy(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["medications"].append({"name": "lamotrigine", "daily_dose_mg": 200})

    result = screen(document, rules)

    finding = find(result, "medication.lamotrigine")
    message = finding.message.lower()
    assert finding.effect is Effect.INFO
    assert "may reduce the risk of ketamine-induced adverse effects" in message
    assert "antidepressant action is not known" in message
    for claim in (
        "reduces efficacy",
        "reduce efficacy",
        "reduces the efficacy",
        "less effective",
        "diminish",
        "blunt",
    ):
        assert claim not in message
    assert "Andrade C" in finding.source


def test_medicines_not_in_the_table_are_named(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["medications"].append({"name": "Levothyroxine", "daily_dose_mg": 0.1})

    result = screen(document, rules)

    finding = find(result, "medication.not_in_table")
    assert "levothyroxine 0.1 mg/day" in finding.message
    assert finding.effect is Effect.INFO


def test_recognised_medicines_without_a_rule_add_no_finding(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["medications"] = [{"name": "bupropion", "daily_dose_mg": 300}, {"name": "quetiapine"}]

    result = screen(document, rules)

    assert not [r for r in rule_ids(result) if r.startswith("medication.")]
