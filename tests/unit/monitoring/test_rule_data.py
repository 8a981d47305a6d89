"""The shipped rule file: every row cites its source, its numbers are clinical.md's, and bad data is refused."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from ketaflow.domain.errors import RuleDataError
from ketaflow.domain.monitoring import Action, MonitoringRules, Phase
from ketaflow.domain.vitals import VitalSign
from tests.unit.monitoring.builders import JsonDoc, evaluate, group_tier, load_rule_data, reading

Mutation = Callable[[JsonDoc], object]


def _walk(node: object) -> Iterator[JsonDoc]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _cited(data: JsonDoc) -> list[JsonDoc]:
    """Every object in the file that cites sources (rule rows and cited parameters)."""
    return [node for node in _walk({k: v for k, v in data.items() if k != "sources"}) if "sources" in node]


def test_the_shipped_rule_set_loads_with_its_id_and_version(rules: MonitoringRules) -> None:
    ref = rules.ref

    assert (ref.id, ref.version) == ("iv_ketamine_outpatient", "2026.11.0")


def test_every_cited_row_names_known_sources_and_a_confidence_tag() -> None:
    data = load_rule_data()

    rows = _cited(data)

    assert len(rows) > 40
    for row in rows:
        assert row["sources"] and all(key in data["sources"] for key in row["sources"]), row
        assert row["confidence"] in {"C", "S", "NF"}, row


def test_every_number_without_a_published_source_is_labelled_a_ketaflow_default() -> None:
    data = load_rule_data()

    unsourced = [row for row in _cited(data) if row["confidence"] == "NF"]

    assert unsourced
    for row in unsourced:
        assert "ketaflow_default" in row["sources"], row


def test_every_source_in_the_bibliography_is_cited() -> None:
    data = load_rule_data()

    cited = {key for row in _cited(data) for key in row["sources"]}

    assert cited == set(data["sources"])


def test_every_rule_id_is_unique_and_every_finding_carries_its_citation(rules: MonitoringRules) -> None:
    rows = rules.list_rules()

    assert len({row.rule_id for row in rows}) == len(rows)
    for row in rows:
        assert re.search(r"\[(C|S|NF)\]$", row.basis.source), row.rule_id


def test_the_thresholds_are_the_published_definitions() -> None:
    data = load_rule_data()
    bp = {row["id"]: row for row in data["tiers"]["blood_pressure"]}
    rise = data["expected_rise"]

    # clinical.md 3.2-3.3: Rodrigues >=165/100; Del Sant >180 and/or >110; Murrough highest 180/115.
    assert (
        bp["bp.treatment_emergent_hypertension"]["limits"],
        bp["bp.treatment_emergent_hypertension"]["comparison"],
    ) == (
        {"systolic_mmhg": 165, "diastolic_mmhg": 100},
        ">=",
    )
    assert (bp["bp.severe_transient_hypertension"]["limits"], bp["bp.severe_transient_hypertension"]["comparison"]) == (
        {"systolic_mmhg": 180, "diastolic_mmhg": 110},
        ">",
    )
    assert bp["bp.discontinuation_level"]["limits"] == {"systolic_mmhg": 180, "diastolic_mmhg": 115}
    # Yale 2024: peak at 40 min, +16.0 (SD 11.2) / +11.0 (SD 8.45) mmHg.
    assert rise["bands"] == [
        {"sign": "systolic_mmhg", "mean_rise_mmhg": 16.0, "sd_mmhg": 11.2},
        {"sign": "diastolic_mmhg", "mean_rise_mmhg": 11.0, "sd_mmhg": 8.45},
    ]
    # 3.4: hypoxia <90; Aldrete full score >92 on room air.
    spo2 = {row["id"]: (row["limits"]["spo2_pct"], row["comparison"]) for row in data["tiers"]["spo2"]}
    assert spo2 == {"spo2.hypoxia": (90, "<"), "spo2.below_room_air_target": (92, "<=")}
    # 3.1: BP every 10 min infusing, every 15 min after (Emory).
    intervals = data["schedule"]["intervals"]
    assert (intervals["infusing"]["every_min"], intervals["recovery"]["every_min"]) == (10, 15)


def test_a_clinic_changes_a_tier_by_changing_the_data() -> None:
    data = load_rule_data()
    data["tiers"]["blood_pressure"][2]["comparison"] = ">"
    strict = MonitoringRules.from_dict(data)

    result = evaluate(strict, reading(systolic_mmhg=165, diastolic_mmhg=99), minutes=40)

    assert group_tier(strict, result, "blood_pressure") is None


def test_the_chart_shows_each_absolute_anchor_once(rules: MonitoringRules) -> None:
    lines = rules.chart_thresholds()

    systolic = sorted((line.value, line.action) for line in lines if line.sign is VitalSign.SYSTOLIC)
    assert systolic == [(165, Action.RECHECK), (180, Action.PAUSE)]
    assert {line.value for line in lines if line.sign is VitalSign.SPO2} == {90, 92}


def test_the_rule_set_requires_blood_pressure_in_both_phases(rules: MonitoringRules) -> None:
    required = rules.required_signs

    assert {VitalSign.SYSTOLIC, VitalSign.DIASTOLIC} <= set(required[Phase.INFUSING]) & set(required[Phase.RECOVERY])


def _set(path: list[str | int], value: object) -> Mutation:
    def mutate(data: JsonDoc) -> None:
        node: object = data
        for key in path[:-1]:
            node = node[key]  # type: ignore[index]  # walking parsed JSON
        node[path[-1]] = value  # type: ignore[index]

    return mutate


def _delete(path: list[str | int]) -> Mutation:
    def mutate(data: JsonDoc) -> None:
        node: object = data
        for key in path[:-1]:
            node = node[key]  # type: ignore[index]  # walking parsed JSON
        del node[path[-1]]  # type: ignore[attr-defined]

    return mutate


def _duplicate_side_effect(data: JsonDoc) -> None:
    data["side_effects"][1]["code"] = data["side_effects"][0]["code"]


def _duplicate_rule_id(data: JsonDoc) -> None:
    data["tiers"]["heart_rate"][1]["id"] = data["tiers"]["heart_rate"][0]["id"]


def _mixed_group(data: JsonDoc) -> None:
    data["tiers"]["heart_rate"].append(data["tiers"]["moaa_s"][0] | {"id": "hr.scale"})


MUTATIONS: list[tuple[str, Mutation, str]] = [
    ("pause-filed-as-info", _set(["tiers", "blood_pressure", 0, "effect"], "info"), "tiers.blood_pressure[0].effect"),
    ("unknown-source", _set(["tiers", "heart_rate", 0, "sources"], ["nobody_2020"]), "tiers.heart_rate[0].sources"),
    ("no-confidence", _delete(["tiers", "heart_rate", 0, "confidence"]), "tiers.heart_rate[0].confidence"),
    ("unknown-key", _set(["tiers", "spo2", 0, "threshold"], 90), "tiers.spo2[0].threshold"),
    ("no-kind", _delete(["tiers", "spo2", 0, "kind"]), "tiers.spo2[0].kind"),
    ("unknown-action", _set(["tiers", "spo2", 0, "action"], "panic"), "tiers.spo2[0].action"),
    (
        "unknown-placeholder",
        _set(["tiers", "heart_rate", 0, "message"], "HR {pulse}"),
        "tiers.heart_rate[0].message",
    ),
    (
        "change-below",
        _set(["tiers", "blood_pressure_change", 0, "comparison"], "<"),
        "tiers.blood_pressure_change[0].comparison",
    ),
    (
        "mixed-units",
        _set(["tiers", "blood_pressure", 0, "limits"], {"systolic_mmhg": 180, "heart_rate_bpm": 120}),
        "tiers.blood_pressure[0].limits",
    ),
    ("moaa_s-limit-6", _set(["tiers", "moaa_s", 0, "limit"], 6), "tiers.moaa_s[0].limit"),
    ("mixed-kinds", _mixed_group, "tiers.heart_rate"),
    ("band-not-bp", _set(["expected_rise", "bands", 0, "sign"], "heart_rate_bpm"), "expected_rise.bands[0].sign"),
    ("window-backwards", _set(["expected_rise", "window_from_min"], 100), "expected_rise.window_to_min"),
    ("no-bands", _set(["expected_rise", "bands"], []), "expected_rise.bands"),
    ("no-limits", _set(["tiers", "blood_pressure", 0, "limits"], {}), "tiers.blood_pressure[0].limits"),
    (
        "change-sign-twice",
        _set(["tiers", "blood_pressure_change", 0, "signs"], ["systolic_mmhg", "systolic_mmhg"]),
        "tiers.blood_pressure_change[0].signs",
    ),
    ("empty-group", _set(["tiers", "heart_rate"], []), "tiers.heart_rate"),
    ("no-groups", _set(["tiers"], {}), "rule data tiers: expected at least one tier group"),
    (
        "required-sign-twice",
        _set(["required_signs", "recovery"], ["systolic_mmhg", "systolic_mmhg"]),
        "required_signs.recovery",
    ),
    (
        "escalated-twice",
        _set(["trend", "escalations", 1, "from_action"], "recheck"),
        "trend.escalations[1].from_action",
    ),
    (
        "combination-unknown-tier",
        _set(["combinations", 0, "when_tiers"], ["bp.nonexistent"]),
        "combinations[0].when_tiers",
    ),
    (
        "combination-unknown-symptom",
        _set(["combinations", 0, "with_side_effects"], ["hiccups"]),
        "combinations[0].with_side_effects",
    ),
    ("escalation-downwards", _set(["trend", "escalations", 0, "action"], "continue"), "trend.escalations[0].action"),
    ("duplicate-side-effect", _duplicate_side_effect, "side_effects[1].code"),
    ("duplicate-rule-id", _duplicate_rule_id, "used more than once"),
    (
        "zero-interval",
        _set(["schedule", "intervals", "infusing", "every_min"], 0),
        "schedule.intervals.infusing.every_min",
    ),
    ("unknown-top-level-key", _set(["alarms"], []), "alarms"),
    ("required-unknown-sign", _set(["required_signs", "infusing"], ["blood_pressure"]), "required_signs.infusing"),
]


@pytest.mark.parametrize(("mutate", "where"), [(m, w) for _, m, w in MUTATIONS], ids=[i for i, _, _ in MUTATIONS])
def test_malformed_rule_data_is_refused_naming_the_field(mutate: Mutation, where: str) -> None:
    data = load_rule_data()
    mutate(data)

    with pytest.raises(RuleDataError, match=re.escape(where)):
        MonitoringRules.from_dict(data)
