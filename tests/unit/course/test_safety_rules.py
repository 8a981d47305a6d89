"""The shipped long-term safety rules: every signal cites its source, defaults are labelled, bad data is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ketaflow.domain.course import SafetyRules
from ketaflow.domain.errors import RuleDataError
from ketaflow.rules import load_rule_file

from .builders import JsonDoc, load_safety_data, load_safety_rules


def test_the_rule_file_loads_through_the_package_with_its_numbers() -> None:
    rules = SafetyRules.from_dict(load_rule_file("safety", "long_term"))

    assert (rules.ref.id, rules.ref.version) == ("ketaflow.safety.long_term", "2026.11.0")
    assert (rules.escalation_at_least_pct, rules.shortening_at_most_pct, rules.reference_intervals) == (25, 50, 3)
    assert (rules.liver_tests.recurring_from_infusions, rules.liver_tests.every_months) == (7, 6)
    assert (rules.cognitive_screen.recurring_from_infusions, rules.cognitive_screen.every_months) == (7, 6)
    assert [q.key for q in rules.bladder_questions] == ["frequency", "urgency", "dysuria", "nocturia", "haematuria"]
    assert rules.psychiatric_kinds == ("mania", "hypomania", "psychosis", "other_psychiatric")


def test_every_cut_off_and_interval_is_labelled_a_ketaflow_default() -> None:
    rules = load_safety_rules()

    defaults = [
        rules.exposure,
        rules.escalation,
        rules.shortening,
        rules.bladder_positive,
        rules.bladder_due,
        rules.liver_tests.basis,
        rules.cognitive_screen.basis,
    ]

    for basis in defaults:
        assert basis.source.endswith("[NF]") and "ketaflow implementation choice" in basis.source, basis.rule_id
    assert rules.psychiatric_event.source.endswith("[C]")


def test_every_source_key_is_defined() -> None:
    data = load_safety_data()

    cited = {key for row in data.values() if isinstance(row, dict) for key in row.get("sources", [])}

    assert cited <= set(data["sources"])


Mutation = Callable[[JsonDoc], object]

MALFORMED: list[tuple[str, Mutation, str]] = [
    ("unknown key", lambda d: d.update(kidney={}), "kidney"),
    ("escalation of 0 %", lambda d: d["dose_escalation"].update(increase_at_least_pct=0), "increase_at_least_pct"),
    ("shortening above 100 %", lambda d: d["shortening_interval"].update(at_most_pct_of_usual=150), "at_most"),
    ("minimum above reference", lambda d: d["shortening_interval"].update(minimum_reference_intervals=4), "minimum"),
    ("duplicate question", lambda d: d["bladder"]["questions"].append({"key": "urgency", "text": "?"}), "questions"),
    ("question key", lambda d: d["bladder"]["questions"][0].update(key="Frequency"), "key"),
    ("no event kinds", lambda d: d["psychiatric_events"].update(kinds=[]), "kinds"),
    ("months of 0", lambda d: d["liver_tests"].update(every_months=0), "every_months"),
    ("unknown placeholder", lambda d: d["exposure"].update(message="{weight_kg}"), "message"),
    ("missing bladder row", lambda d: d["bladder"].pop("positive"), "positive"),
]


@pytest.mark.parametrize(("mutation", "field"), [(m, f) for _, m, f in MALFORMED], ids=[n for n, _, _ in MALFORMED])
def test_malformed_safety_rules_are_refused_naming_the_field(mutation: Mutation, field: str) -> None:
    data = load_safety_data()
    mutation(data)

    with pytest.raises(RuleDataError, match=field):
        SafetyRules.from_dict(data)
