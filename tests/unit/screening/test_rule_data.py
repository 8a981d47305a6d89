"""The shipped rule file: every rule cites a source, and malformed rule data is refused when it is read."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator

import pytest

from ketaflow.domain.errors import RuleDataError
from ketaflow.domain.screening import ScreeningRuleSet
from ketaflow.rules import load_rule_file
from tests.unit.screening.builders import JsonDoc, load_rule_data

Mutation = Callable[[JsonDoc], object]


def _walk(node: object) -> Iterator[JsonDoc]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _rows(data: JsonDoc) -> list[JsonDoc]:
    """Every rule row in the file: an object with an id and an effect."""
    return [node for node in _walk(data["rules"]) if "id" in node and "effect" in node]


def _row(data: JsonDoc, rule_id: str) -> JsonDoc:
    return next(row for row in _rows(data) if row["id"] == rule_id)


def _medicine(data: JsonDoc, name: str) -> JsonDoc:
    return next(entry for entry in data["medicines"] if entry["name"] == name)


def test_every_rule_in_the_json_cites_a_known_source_with_a_confidence_tag() -> None:
    data = load_rule_data()

    rows = _rows(data) + list(data["value_sets"].values()) + data["medicines"]

    assert len(_rows(data)) > 80
    for row in rows:
        assert row["sources"], row
        assert all(key in data["sources"] for key in row["sources"]), row
        assert row["confidence"] in {"C", "S", "NF"}, row
    for source in data["sources"].values():
        assert source["citation"].strip()


def test_every_rule_of_the_loaded_set_carries_its_citation(rules: ScreeningRuleSet) -> None:
    bases = rules.list_bases()

    assert len({basis.rule_id for basis in bases}) == len(bases)
    for basis in bases:
        assert re.search(r"\S.* \[(C|S|NF)\]$", basis.source), basis.rule_id
        assert basis.message.strip()


def test_thresholds_the_issue_names_are_explicit_parameters_in_the_rule_data() -> None:
    data = load_rule_data()

    contraindicated = _row(data, "bp.resting_contraindicated")
    load = data["rules"]["medications"]["benzodiazepine_load"]
    assert (contraindicated["systolic_limit_mmhg"], contraindicated["diastolic_limit_mmhg"]) == (180, 100)
    assert contraindicated["comparison"] == ">" and ">180/100" in contraindicated["notes"]
    assert (load["limit_diazepam_mg_per_day"], load["comparison"]) == (8, ">")
    assert data["rules"]["treatment_resistance"]["minimum_failed_adequate_trials"] == 2


def test_the_package_ships_the_same_rule_file() -> None:
    assert load_rule_file("screening", "default") == load_rule_data()


MALFORMED = [
    ("no sources", lambda d: d.pop("sources"), "rule data sources: expected a JSON object"),
    ("empty sources", lambda d: d.update(sources={}), "at least one source"),
    ("bad source key", lambda d: d["sources"].update({"Swiss-SmPC": {"citation": "x"}}), "source key"),
    (
        "source without citation",
        lambda d: d["sources"]["yip_2022"].pop("citation"),
        "sources.yip_2022.citation",
    ),
    (
        "unknown source cited",
        lambda d: _row(d, "psychosis.active").update(sources=["nobody_2030"]),
        "keys defined in the rule set's sources",
    ),
    (
        "rule without sources",
        lambda d: _row(d, "psychosis.active").update(sources=[]),
        "at least one source key",
    ),
    (
        "confidence outside the tags",
        lambda d: _row(d, "psychosis.active").update(confidence="high"),
        "one of C, S, NF",
    ),
    (
        "unknown placeholder",
        lambda d: _row(d, "psychosis.active").update(message="{weight} kg"),
        "only the placeholders",
    ),
    (
        "malformed placeholder",
        lambda d: _row(d, "psychosis.active").update(message="BP {systolic"),
        "well-formed",
    ),
    (
        "rule id with spaces",
        lambda d: _row(d, "psychosis.active").update(id="Psychosis Active"),
        "dotted lower-case rule id",
    ),
    ("effect outside the scale", lambda d: _row(d, "psychosis.active").update(effect="stop"), "one of info"),
    (
        "duplicate rule id",
        lambda d: _row(d, "psychosis.remote").update(id="psychosis.active"),
        "used once each",
    ),
    ("version not calendar-style", lambda d: d.update(version="v1"), "a version such as 2026.11.0"),
    ("unknown top-level key", lambda d: d.update(comment="x"), "comment: expected a known field"),
    ("unknown rule family", lambda d: d["rules"].update(extras=[]), "rules.extras: expected a known field"),
    ("unknown vitals key", lambda d: d["rules"]["vitals"].update(tiers=[]), "a known field"),
    ("bad concept name", lambda d: d["value_sets"].update({"Bad-Name": {}}), "concept name"),
    (
        "value set without prefixes",
        lambda d: d["value_sets"]["epilepsy"].update(include=[]),
        "at least one ICD",
    ),
    (
        "value set with a wildcard",
        lambda d: d["value_sets"]["epilepsy"].update(include=["G4*"]),
        "ICD-10-CM code prefixes",
    ),
    (
        "value set without a description",
        lambda d: d["value_sets"]["epilepsy"].pop("description"),
        "value_sets.epilepsy.description",
    ),
    (
        "condition row on an unknown concept",
        lambda d: _row(d, "psychosis.active").update(concepts=["psychosis"]),
        "concepts defined in value_sets",
    ),
    (
        "condition row without concepts",
        lambda d: _row(d, "psychosis.active").update(concepts=[]),
        "at least one concept",
    ),
    (
        "condition row without statuses",
        lambda d: _row(d, "psychosis.active").update(statuses=[]),
        "at least one FHIR clinical status",
    ),
    (
        "controlled as text",
        lambda d: _row(d, "cardiovascular.uncontrolled").update(controlled=["no"]),
        "a list drawn from",
    ),
    (
        "controlled empty",
        lambda d: _row(d, "cardiovascular.uncontrolled").update(controlled=[]),
        "leave the key out",
    ),
    (
        "severity outside the scale",
        lambda d: _row(d, "hepatic.severe_impairment").update(severity=["critical"]),
        "a list drawn from",
    ),
    ("bad medicine class name", lambda d: d["medicine_classes"].update({"Benzo": "x"}), "class name"),
    (
        "medicine without classes",
        lambda d: _medicine(d, "lorazepam").update(classes=[]),
        "at least one medicine",
    ),
    (
        "medicine in an unknown class",
        lambda d: _medicine(d, "lorazepam").update(classes=["sedative"]),
        "classes defined in medicine_classes",
    ),
    (
        "a name listed twice",
        lambda d: _medicine(d, "diazepam").update(synonyms=["lorazepam"]),
        "listed only once",
    ),
    (
        "benzodiazepine without an equivalent",
        lambda d: _medicine(d, "lorazepam").pop("equivalent_to_diazepam_10_mg"),
        "equivalent_to_diazepam_10_mg dose for every member (lorazepam)",
    ),
    (
        "equivalent dose of zero",
        lambda d: _medicine(d, "lorazepam").update(equivalent_to_diazepam_10_mg=0),
        "a number from 0.01",
    ),
    ("medicines not a list", lambda d: d.update(medicines={"name": "x"}), "medicines: expected a list"),
    (
        "class rule on an unknown class",
        lambda d: _row(d, "medication.maoi").update(medicine_class="mao"),
        "a class defined in medicine_classes",
    ),
    (
        "route map missing a route",
        lambda d: _row(d, "medication.cyp3a4_inhibitor")["effect_by_route"].pop("oral"),
        "effect_by_route.oral",
    ),
    (
        "route map with an unknown route",
        lambda d: _row(d, "medication.cyp3a4_inhibitor")["effect_by_route"].update(rectal="warn"),
        "effect_by_route.rectal: expected a known field",
    ),
    (
        "blood-pressure tier graded downwards",
        lambda d: _row(d, "bp.resting_contraindicated").update(comparison="<"),
        "> or >=",
    ),
    (
        "blood-pressure limit not a number",
        lambda d: _row(d, "bp.resting_contraindicated").update(systolic_limit_mmhg="180"),
        "systolic_limit_mmhg: expected a number",
    ),
    (
        "age row with both limits",
        lambda d: _row(d, "age.below_adult_range").update(above_years=70),
        "exactly one of below_years",
    ),
    (
        "age row with no limit",
        lambda d: _row(d, "age.below_adult_range").pop("below_years"),
        "exactly one of below_years",
    ),
    (
        "patient flag compared with text",
        lambda d: _row(d, "pregnancy.pregnant").update(equals="yes"),
        "true, false or null",
    ),
    (
        "patient flag on an unknown field",
        lambda d: _row(d, "pregnancy.pregnant").update(flag="lactating"),
        "one of pregnant, breastfeeding",
    ),
    (
        "allergy row without substances",
        lambda d: _row(d, "hypersensitivity.ketamine").update(substances=[]),
        "at least one substance",
    ),
    (
        "substance row without statuses",
        lambda d: _row(d, "substance_use.active").update(statuses=[]),
        "at least one status",
    ),
    (
        "indication without a shortfall row",
        lambda d: _row(d, "treatment_resistance.below_minimum").update(indications=["postpartum_depression"]),
        "exactly one row for indication bipolar_depression",
    ),
    (
        "C-SSRS tier on an unknown item",
        lambda d: _row(d, "cssrs.low_risk").update(any_of=["q9"]),
        "screener items",
    ),
    (
        "C-SSRS without an urgent tier",
        lambda d: _row(d, "cssrs.high_risk").pop("urgent_safety_referral"),
        "one tier marked urgent_safety_referral",
    ),
    (
        "unknown mood stabiliser class",
        lambda d: d["rules"]["bipolar"].update(mood_stabiliser_class="stabiliser"),
        "mood_stabiliser_class: expected a class defined",
    ),
    (
        "YMRS cut-off of zero",
        lambda d: d["rules"]["bipolar"]["mania_screen"].update(ymrs_positive_at_or_above=0),
        "a whole number from 1 to 60",
    ),
    (
        "recency without a stale rule",
        lambda d: d["rules"]["vitals"]["recency"].pop("stale"),
        "rules.vitals.recency.stale: expected a JSON object (required)",
    ),
    ("recency window of zero", lambda d: d["rules"]["vitals"]["recency"].update(max_age_min=0), "from 1 to"),
    (
        "recency window not finite",
        lambda d: d["rules"]["vitals"]["recency"].update(max_age_min=math.nan),
        "from 1 to",
    ),
    (
        "ALT default missing a sex",
        lambda d: d["rules"]["liver_tests"]["default_alt_uln_u_per_l"].pop("other"),
        "default_alt_uln_u_per_l.other",
    ),
    (
        "ALT default without a source",
        lambda d: d["rules"]["liver_tests"]["default_alt_uln_u_per_l"].update(sources=[]),
        "at least one source key",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [row[1:] for row in MALFORMED], ids=[row[0] for row in MALFORMED])
def test_malformed_rule_data_is_refused_when_read(mutate: Mutation, expected: str) -> None:
    data = load_rule_data()
    mutate(data)

    with pytest.raises(RuleDataError) as caught:
        ScreeningRuleSet.from_dict(data)

    assert expected in str(caught.value)


def test_rule_data_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(RuleDataError) as caught:
        ScreeningRuleSet.from_dict([load_rule_data()])  # type: ignore[arg-type]  # the contract under test

    assert "(top level): expected a JSON object" in str(caught.value)
