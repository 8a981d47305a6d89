"""The shipped outcome definitions: every definition cites its source, and malformed rule data is refused on load."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ketaflow.domain.errors import RuleDataError
from ketaflow.domain.outcomes import Comparison, OutcomeDefinitions
from ketaflow.rules import load_rule_file

from .builders import JsonDoc, load_definitions_data, shipped_definitions


def _walk(node: object) -> Iterator[JsonDoc]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_the_rule_file_loads_through_the_package() -> None:
    definitions = OutcomeDefinitions.from_dict(load_rule_file("outcomes", "definitions"))

    assert (definitions.ref.id, definitions.ref.version) == ("ketaflow.outcomes", "2026.11.0")
    assert definitions.instruments == ("phq9", "madrs", "qids_sr16")


def test_every_rule_row_cites_known_sources_with_a_confidence_tag() -> None:
    data = load_definitions_data()

    rows = [node for node in _walk(data) if "sources" in node and node is not data]

    assert len(rows) > 15
    for row in rows:
        assert row["sources"] and all(key in data["sources"] for key in row["sources"]), row
        assert row["confidence"] in {"C", "S", "NF"}, row
        if "ketaflow_default" in row["sources"]:
            assert row["confidence"] == "NF", row


def test_the_numbers_are_the_cited_ones() -> None:
    definitions = shipped_definitions()

    by = definitions.by_instrument
    assert {key: by[key].response.reduction_at_least_pct for key in by} == {"phq9": 50, "madrs": 50, "qids_sr16": 50}
    assert [(k, by[k].remission.comparison, by[k].remission.limit) for k in by] == [
        ("phq9", Comparison.BELOW, 5),
        ("madrs", Comparison.BELOW, 10),
        ("qids_sr16", Comparison.AT_OR_BELOW, 5),
    ]
    assert (by["phq9"].total_max, by["madrs"].total_max, by["qids_sr16"].total_max) == (27, 60, 27)
    assert (definitions.relapse.reduction_below_pct, definitions.relapse.consecutive) == (50, 2)
    assert definitions.baseline_window_days == 14
    assert definitions.relapse.basis.source.endswith("[NF]")  # the relapse definition is a ketaflow default


def test_both_madrs_remission_choices_are_explicit_with_their_sources() -> None:
    madrs = shipped_definitions().by_instrument["madrs"]

    options = {name: (rule.comparison.value, rule.limit) for name, rule in madrs.remission_options.items()}

    assert options == {"hawley_below_10": ("<", 10), "trials_at_or_below_10": ("<=", 10)}
    assert madrs.remission.option == "hawley_below_10"
    assert "Hawley" in madrs.remission.basis.source


Mutation = Callable[[JsonDoc], object]

MALFORMED: list[tuple[str, Mutation, str]] = [
    ("unknown top-level key", lambda d: d.update(instrumnets={}), "instrumnets"),
    ("no sources", lambda d: d.pop("sources"), "sources"),
    (
        "remission selects a missing option",
        lambda d: d["instruments"]["madrs"]["remission"].update(selected="x"),
        "selected",
    ),
    (
        "remission as a high score",
        lambda d: d["instruments"]["phq9"]["remission"]["options"]["below_5"].update(comparison=">="),
        "comparison",
    ),
    ("response of 0 %", lambda d: d["instruments"]["phq9"]["response"].update(reduction_at_least_pct=0), "reduction"),
    ("relapse above response", lambda d: d["relapse"].update(reduction_below_pct=60), "reduction_below_pct"),
    ("range upside down", lambda d: d["instruments"]["phq9"].update(total_max=0), "total_max"),
    ("target outside window", lambda d: d["endpoints"]["series"].update(target_hours=200), "target_hours"),
    ("instrument key", lambda d: d["instruments"].update({"PHQ9": d["instruments"]["phq9"]}), "PHQ9"),
    ("no instruments", lambda d: d.update(instruments={}), "instruments"),
    ("no remission option", lambda d: d["instruments"]["phq9"]["remission"].update(options={}), "options"),
    ("unknown placeholder", lambda d: d["relapse"].update(message="{patient}"), "message"),
    ("unknown source key", lambda d: d["baseline"].update(sources=["nobody_2030"]), "sources"),
    ("missing row", lambda d: d["not_evaluable"].pop("no_endpoint"), "no_endpoint"),
    ("bad version", lambda d: d.update(version="latest"), "version"),
]


@pytest.mark.parametrize(("mutation", "field"), [(m, f) for _, m, f in MALFORMED], ids=[n for n, _, _ in MALFORMED])
def test_malformed_definitions_are_refused_naming_the_field(mutation: Mutation, field: str) -> None:
    data = load_definitions_data()
    mutation(data)

    with pytest.raises(RuleDataError, match=field):
        OutcomeDefinitions.from_dict(data)
