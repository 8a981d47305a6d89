"""The shipped recovery rule file loads, cites every number, and a malformed file fails when it is loaded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ketaflow.domain.basis import Effect
from ketaflow.domain.errors import RuleDataError
from ketaflow.domain.recovery import DeviationUnit, Instrument, RecoveryRules
from ketaflow.rules import list_rule_files, load_rule_file

from .builders import load_rule_data


def test_the_shipped_rule_file_loads_through_the_rules_package() -> None:
    rules = RecoveryRules.from_dict(load_rule_file("recovery", "iv_ketamine_outpatient"))

    assert (rules.ref.id, rules.ref.version) == ("iv_ketamine_outpatient", "2026.11.0")
    assert list_rule_files("recovery") == ["iv_ketamine_outpatient"]


def test_the_chosen_anchors_are_the_documented_ones() -> None:
    rules = RecoveryRules.from_dict(load_rule_file("recovery", "iv_ketamine_outpatient"))

    assert rules.minimum_observation_min == 120
    assert (rules.padss.minimum_total, rules.padss.consecutive_required) == (9, 2)
    assert (rules.aldrete.minimum_total, rules.aldrete.required) == (9, True)
    assert [(m.item, m.points) for m in rules.aldrete.item_minimums] == [("o2_saturation", 2), ("respiration", 2)]
    assert rules.near_baseline.within_percent == 20
    assert rules.scale(Instrument.ALDRETE).circulation.unit is DeviationUnit.PERCENT
    assert [(b.within, b.points) for b in rules.scale(Instrument.PADSS).circulation.bands] == [(20, 2), (40, 1)]


def test_every_rule_row_cites_a_source_with_a_confidence_tag() -> None:
    rules = RecoveryRules.from_dict(load_rule_data())

    tags = {basis.rule_id: basis.source.rsplit(" ", 1)[-1] for basis in rules.list_bases()}

    assert set(tags.values()) <= {"[C]", "[S]", "[NF]"}
    assert tags["discharge.observation_not_passed"] == "[NF]"  # IV racemic ketamine has no guideline number
    assert tags["discharge.padss_below_threshold"] == "[C]"


def test_a_ketaflow_default_is_always_tagged_nf() -> None:
    data = load_rule_data()
    rows: list[dict[str, Any]] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            cited = node.get("sources")
            if isinstance(cited, list) and "ketaflow_default" in cited:
                rows.append(node)
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(data)

    assert rows and all(row["confidence"] == "NF" for row in rows)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return edit


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        del target[last]

    return edit


PADSS = "scales.padss"
ALDRETE = "scales.aldrete"
CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown top-level key", _set("thresholds", {}), "thresholds"),
    ("bad version", _set("version", "v1"), "version"),
    ("missing scale", _delete(ALDRETE), "scales.aldrete"),
    ("unknown scale", _set("scales.ramsay", {}), "scales.ramsay"),
    ("item without levels", _set(f"{PADSS}.items.0.levels", []), f"{PADSS}.items[0].levels"),
    ("level points twice", _set(f"{PADSS}.items.1.levels.1.points", 2), f"{PADSS}.items[1].levels[1].points"),
    ("level points out of range", _set(f"{PADSS}.items.1.levels.1.points", 11), f"{PADSS}.items[1].levels[1].points"),
    ("item id with a dot", _set(f"{PADSS}.items.0.id", "vital.signs"), f"{PADSS}.items[0].id"),
    ("item id twice", _set(f"{PADSS}.items.1.id", "vital_signs"), f"{PADSS}.items"),
    ("no items", _set(f"{ALDRETE}.items", []), f"{ALDRETE}.items"),
    ("item cites unknown source", _set(f"{PADSS}.items.0.sources", ["nope"]), f"{PADSS}.items[0].sources"),
    ("item without confidence", _delete(f"{PADSS}.items.0.confidence"), f"{PADSS}.items[0].confidence"),
    ("circulation on unknown item", _set(f"{ALDRETE}.circulation.item", "bp"), f"{ALDRETE}.circulation.item"),
    ("circulation on heart rate", _set(f"{ALDRETE}.circulation.signs", ["heart_rate_bpm"]),
     f"{ALDRETE}.circulation.signs"),
    ("circulation without signs", _set(f"{ALDRETE}.circulation.signs", []), f"{ALDRETE}.circulation.signs"),
    ("circulation unit unknown", _set(f"{ALDRETE}.circulation.unit", "kpa"), f"{ALDRETE}.circulation.unit"),
    ("band points not a level", _set(f"{ALDRETE}.circulation.bands.0.points", 3),
     f"{ALDRETE}.circulation.bands[0].points"),
    ("bands out of order", _set(f"{ALDRETE}.circulation.bands.1.within", 10),
     f"{ALDRETE}.circulation.bands[1].within"),
    ("no bands", _set(f"{ALDRETE}.circulation.bands", []), f"{ALDRETE}.circulation.bands"),
    ("beyond scores as much as a band", _set(f"{ALDRETE}.circulation.beyond_points", 1),
     f"{ALDRETE}.circulation.beyond_points"),
    ("threshold above the maximum", _set("discharge.padss.minimum_total", 11), "discharge.padss.minimum_total"),
    ("consecutive aldrete", _set("discharge.aldrete.consecutive_required", 2),
     "discharge.aldrete.consecutive_required"),
    ("missing not_consecutive row", _delete("discharge.padss.not_consecutive"), "discharge.padss.not_consecutive"),
    ("row never applied", _set("discharge.aldrete.not_consecutive", {}), "discharge.aldrete.not_consecutive"),
    ("met row that holds", _set("discharge.padss.met.effect", "hold"), "discharge.padss.met.effect"),
    ("missing data that passes", _set("discharge.padss.missing.effect", "info"), "discharge.padss.missing.effect"),
    ("unmet row that only warns", _set("discharge.escort.missing.effect", "warn"), "discharge.escort.missing.effect"),
    ("unknown placeholder", _set("discharge.escort.named.message", "Escort {name}"), "discharge.escort.named.message"),
    ("item minimum on unknown item", _set("discharge.aldrete.item_minimums.0.item", "spo2"),
     "discharge.aldrete.item_minimums[0].item"),
    ("item minimum not a level", _set("discharge.aldrete.item_minimums.0.points", 3),
     "discharge.aldrete.item_minimums[0].points"),
    ("item minimum between levels", _set("discharge.padss.item_minimums", [{"item": "surgical_bleeding", "points": 1}]),
     "discharge.padss.item_minimums[0].points"),
    ("optional aldrete without its row", _set("discharge.aldrete.required", False), "discharge.aldrete.not_required"),
    ("no required sign", _set("discharge.near_baseline.signs", [{"sign": "heart_rate_bpm", "required": False}]),
     "discharge.near_baseline.signs"),
    ("sign twice", _set("discharge.near_baseline.signs.1.sign", "systolic_mmhg"),
     "discharge.near_baseline.signs[1].sign"),
    ("observation longer than a day", _set("discharge.observation.minimum_min", 1441),
     "discharge.observation.minimum_min"),
    ("duplicate rule id", _set("discharge.escort.named.id", "discharge.escort_missing"), "discharge"),
    ("instruction placeholder unknown", _set("instructions.sections.0.lines.0.text", "Call {doctor}"),
     "instructions.sections[0].lines[0].text"),
    ("instruction placeholder malformed", _set("instructions.sections.0.lines.0.text", "Call {clinic_phone"),
     "instructions.sections[0].lines[0].text"),
    ("no phone anywhere", _set("instructions.sections.4.lines", [{"text": "Call us.", "sources": ["ketaflow_default"],
                                                                  "confidence": "NF"}]), "instructions.sections"),
    ("selected option unknown", _set("instructions.sections.1.selected", "never"), "instructions.sections[1].selected"),
    ("options and lines", _set("instructions.sections.1.lines", []), "instructions.sections[1].lines"),
    ("empty options", _set("instructions.sections.1.options", {}), "instructions.sections[1].options"),
    ("option key with a dash", _set("instructions.sections.1.options.after-6-hours", {}),
     "instructions.sections[1].options.after-6-hours"),
    ("selection without options", _set("instructions.sections.0.selected", "x"), "instructions.sections[0].selected"),
    ("section without lines", _set("instructions.sections.0.lines", []), "instructions.sections[0].lines"),
    ("section id twice", _set("instructions.sections.1.id", "going_home"), "instructions.sections"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "path"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_malformed_rule_file_names_the_json_path(edit: Callable[[dict[str, Any]], None], path: str) -> None:
    data = load_rule_data()
    edit(data)

    with pytest.raises(RuleDataError) as caught:
        RecoveryRules.from_dict(data)

    assert str(caught.value).startswith(f"rule data {path}:")


def test_the_effect_of_every_row_is_fixed_by_its_role() -> None:
    rules = RecoveryRules.from_dict(load_rule_data())

    effects = {basis.rule_id: basis.effect for basis in rules.list_bases()}

    assert {rule_id for rule_id, effect in effects.items() if effect is Effect.INSUFFICIENT_DATA} == {
        "discharge.padss_missing",
        "discharge.aldrete_missing",
        "discharge.vitals_missing",
        "discharge.vital_not_recorded",
        "discharge.baseline_not_recorded",
    }
