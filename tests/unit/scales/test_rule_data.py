"""The shipped scale files load, cite every band and flag, respect their licences; malformed files fail on load."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from ketaflow.domain.errors import RuleDataError
from ketaflow.domain.scales import ItemTextPolicy, Respondent, Scale, ScaleLibrary, ScoringMethod

from .builders import JsonDoc, load_library, load_scale, load_scale_data

CONFIDENCE_TAG = re.compile(r" \[(C|S|NF)\]$")


def test_the_library_holds_the_five_instruments_at_the_november_version() -> None:
    library = load_library()

    assert library.ids == ("cssrs_screener", "gad7", "madrs", "phq9", "qids_sr16")
    assert {scale.ref.version for scale in library.scales} == {"2026.11.0"}


@pytest.mark.parametrize(
    ("instrument", "items", "respondent", "method"),
    [
        ("phq9", 9, Respondent.PATIENT, ScoringMethod.SUM),
        ("gad7", 7, Respondent.PATIENT, ScoringMethod.SUM),
        ("qids_sr16", 16, Respondent.PATIENT, ScoringMethod.DOMAINS),
        ("madrs", 10, Respondent.CLINICIAN, ScoringMethod.SUM),
        ("cssrs_screener", 7, Respondent.CLINICIAN, ScoringMethod.TRIAGE),
    ],
    ids=str,
)
def test_each_instrument_has_its_published_structure(
    instrument: str, items: int, respondent: Respondent, method: ScoringMethod
) -> None:
    scale = load_scale(instrument)

    assert (len(scale.items), scale.respondent, scale.scoring.method) == (items, respondent, method)


@pytest.mark.parametrize("instrument", ["phq9", "gad7"])
def test_phq9_and_gad7_embed_their_wording_with_pfizer_attribution(instrument: str) -> None:
    scale = load_scale(instrument)

    assert scale.licence.item_text is ItemTextPolicy.EMBEDDED
    assert all(item.text_is_licensed_wording for item in scale.items)
    assert "educational grant from Pfizer Inc." in scale.attribution
    assert "without copyright restriction and at no charge" in scale.licence.source
    assert scale.licence.source.endswith("[C]")


@pytest.mark.parametrize("instrument", ["qids_sr16", "madrs", "cssrs_screener"])
def test_licensed_instruments_ship_identifiers_and_neutral_labels_only(instrument: str) -> None:
    scale = load_scale(instrument)

    assert scale.licence.item_text is ItemTextPolicy.IDENTIFIERS_ONLY
    assert not any(item.text_is_licensed_wording for item in scale.items)
    assert scale.licence.source.endswith("[NF]")
    assert all("text" not in row for row in load_scale_data(instrument)["items"])


def test_phq9_ships_the_full_item_text() -> None:
    scale = load_scale("phq9")

    assert scale.items[8].text == "Thoughts that you would be better off dead or of hurting yourself in some way"
    assert [o.label for o in scale.items[0].answers] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]


def test_every_band_flag_and_scoring_rule_carries_a_confidence_tag() -> None:
    library = load_library()

    sources = [
        *(s.scoring.source for s in library.scales),
        *(b.source for s in library.scales for b in s.scoring.bands),
        *(t.source for s in library.scales for t in s.scoring.triage),
        *(f.basis.source for s in library.scales for f in s.flags),
    ]

    assert sources and all(CONFIDENCE_TAG.search(source) for source in sources)


def test_a_ketaflow_default_is_always_tagged_not_found() -> None:
    library = load_library()

    defaults = [f.basis for s in library.scales for f in s.flags if "ketaflow implementation choice" in f.basis.source]

    assert [b.rule_id for b in defaults] == ["phq9.item9_positive"]
    assert all(b.source.endswith("[NF]") for b in defaults)


# --- malformed files ----------------------------------------------------------------------------------------

Edit = Callable[[JsonDoc], Any]


def _set(path: list[Any], value: Any) -> Edit:
    def edit(doc: JsonDoc) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def _delete(path: list[Any]) -> Edit:
    def edit(doc: JsonDoc) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return edit


MALFORMED: list[tuple[str, Edit, str]] = [
    ("phq9", _set(["bands", 1, "min_total"], 6), r"bands\[1\]\.min_total: expected 5 \(bands in order"),
    ("phq9", _set(["bands", 1, "min_total"], 4), r"bands\[1\]\.min_total: expected 5"),
    ("phq9", _set(["bands", 4, "max_total"], 26), r"bands: expected bands that reach the maximum total 27"),
    ("phq9", _set(["bands", 4, "max_total"], 28), r"bands\[4\]\.max_total: expected a whole number from 20 to 27"),
    ("phq9", _set(["bands", 1, "id"], "minimal"), r"bands: expected ids used once each, got 'minimal'"),
    ("phq9", _set(["scoring", "max_total"], 30), r"scoring\.max_total: expected 27, the highest total"),
    ("phq9", _set(["scoring", "domains"], []), r"scoring\.domains: expected no domains for a plain sum"),
    ("phq9", _set(["items", 0, "label"], "x"), r"items\[0\]\.label: expected no label \(the licence allows"),
    ("madrs", _set(["items", 0, "text"], "x"), r"items\[0\]\.text: expected no text \(the licence does not allow"),
    ("phq9", _set(["items", 1, "id"], "q1"), r"items\[1\]\.id: expected an item id used once"),
    ("phq9", _set(["items", 1, "answers"], "often"), r"items\[1\]\.answers: expected the name of an answer set"),
    ("phq9", _set(["items"], []), r"items: expected at least one item"),
    ("phq9", _set(["answer_sets", "frequency", 1, "value"], 0), r"value: expected a value used once"),
    ("phq9", _set(["answer_sets", "frequency", 1, "value"], True), r"value: expected the same JSON type"),
    ("phq9", _set(["answer_sets", "frequency", 1, "value"], "1"), r"value: expected a whole number"),
    ("phq9", _set(["answer_sets", "frequency"], [{"value": 0, "label": "x", "points": 0}]), r"at least two answers"),
    ("phq9", _set(["answer_sets"], {}), r"answer_sets: expected at least one answer set"),
    ("phq9", _set(["answer_sets"], {"Freq": []}), r"answer_sets\.Freq: expected an answer-set name"),
    ("phq9", _set(["flags", 0, "item"], "q10"), r"flags\[0\]\.item: expected an item id of this scale"),
    ("phq9", _set(["flags", 0, "points_at_least"], 4), r"points_at_least: expected a whole number from 1 to 3"),
    ("phq9", _delete(["flags", 0, "item"]), r"flags\[0\]\.points_at_least: expected no value without an item"),
    ("phq9", _set(["flags", 0, "bands"], ["dire"]), r"flags\[0\]\.bands: expected band ids of this scale"),
    ("phq9", _set(["flags", 0, "any_yes"], ["q1"]), r"flags\[0\]\.any_yes: expected ids of this scale's yes/no"),
    ("phq9", _set(["flags", 0, "message"], "{instrument}"), r"message: expected only the placeholders"),
    ("phq9", _set(["flags", 0, "severity"], "x"), r"flags\[0\]\.severity: expected a known field"),
    ("phq9", _set(["version"], "v1"), r"version: expected a version such as 2026\.11\.0"),
    ("phq9", _set(["extra"], 1), r"extra: expected a known field"),
    ("phq9", _set(["licence", "item_text"], "some"), r"licence\.item_text: expected one of embedded"),
    ("qids_sr16", _set(["scoring", "domains", 0, "items"], ["q1", "q2", "q3"]), r"expected every item in a domain"),
    ("qids_sr16", _set(["scoring", "domains", 1, "items"], ["q1"]), r"expected each item in one domain only"),
    ("qids_sr16", _set(["scoring", "domains", 1, "items"], ["q99"]), r"expected item ids of this scale"),
    ("qids_sr16", _set(["scoring", "domains", 1, "items"], []), r"domains\[1\]\.items: expected at least one item"),
    ("qids_sr16", _set(["scoring", "domains", 1, "id"], "sleep"), r"scoring: expected ids used once each"),
    ("qids_sr16", _set(["scoring", "domains", 0, "combine"], "mean"), r"combine: expected one of max, sum"),
    ("cssrs_screener", _set(["scoring", "max_total"], 1), r"scoring\.method: expected no max_total or domains"),
    ("cssrs_screener", _delete(["bands", 2, "otherwise"]), r"bands\[2\]\.otherwise: expected true on the last"),
    ("cssrs_screener", _set(["bands", 2, "any_yes"], ["q1"]), r"bands\[2\]\.otherwise: expected true on the last"),
    ("cssrs_screener", _set(["bands", 1, "otherwise"], True), r"bands\[1\]\.otherwise: expected only on the last"),
    ("cssrs_screener", _set(["bands", 0, "any_yes"], []), r"bands\[0\]\.any_yes: expected at least one yes/no item"),
    ("cssrs_screener", _set(["bands", 0, "any_yes"], ["q9"]), r"bands\[0\]\.any_yes: expected ids of this scale's"),
    ("cssrs_screener", _set(["bands"], []), r"bands: expected at least two triage levels"),
    ("cssrs_screener", _set(["items", 2, "asked_when", "item"], "q5"), r"asked_when\.item: expected an item listed"),
    ("cssrs_screener", _set(["items", 2, "asked_when", "answer"], 1), r"asked_when\.answer: expected one of"),
    ("cssrs_screener", _set(["flags", 2, "id"], "cssrs_screener.high_risk"), r"flags: expected rule ids used once"),
]


@pytest.mark.parametrize(("instrument", "edit", "message"), MALFORMED, ids=[m[2][:60] for m in MALFORMED])
def test_a_malformed_scale_file_fails_when_it_is_loaded(instrument: str, edit: Edit, message: str) -> None:
    doc = load_scale_data(instrument)
    edit(doc)

    with pytest.raises(RuleDataError, match=message):
        Scale.from_dict(doc)


def test_a_flag_needs_a_condition() -> None:
    doc = load_scale_data("phq9")
    for key in ("item", "points_at_least"):
        del doc["flags"][0][key]

    with pytest.raises(RuleDataError, match=r"flags\[0\]\.id: expected a flag with at least one condition"):
        Scale.from_dict(doc)


def test_an_instrument_id_used_twice_is_refused() -> None:
    with pytest.raises(RuleDataError, match="scale id 'phq9' is used by more than one file"):
        ScaleLibrary.from_dicts([load_scale_data("phq9"), load_scale_data("phq9")])
