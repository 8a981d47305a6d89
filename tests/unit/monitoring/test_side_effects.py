"""Side effects: each code's action, and the usual intervention with its own citation where clinical.md gives one."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Effect
from ketaflow.domain.monitoring import Action, MonitoringRules
from tests.unit.monitoring.builders import evaluate, find, reading

SIDE_EFFECT_CASES = [
    ("nausea", Effect.WARN, Action.CONTINUE),
    ("vomiting", Effect.WARN, Action.NOTIFY_PHYSICIAN),
    ("headache", Effect.WARN, Action.RECHECK),
    ("anxiety", Effect.WARN, Action.CONTINUE),
    ("dissociation", Effect.INFO, Action.CONTINUE),
    ("drowsiness", Effect.INFO, Action.CONTINUE),
    ("dizziness", Effect.INFO, Action.CONTINUE),
    ("emergence_reaction", Effect.HOLD, Action.PAUSE),
    ("chest_pain", Effect.HOLD, Action.PAUSE),
    ("neurological_symptoms", Effect.HOLD, Action.PAUSE),
    ("dyspnoea", Effect.HOLD, Action.PAUSE),
]


@pytest.mark.parametrize(("code", "effect", "action"), SIDE_EFFECT_CASES, ids=[c for c, _, _ in SIDE_EFFECT_CASES])
def test_each_side_effect_has_its_action(rules: MonitoringRules, code: str, effect: Effect, action: Action) -> None:
    observation = reading(side_effects=(code,))

    result = evaluate(rules, observation)

    finding = find(result, f"side_effect.{code}")
    assert (finding.finding.effect, finding.action) == (effect, action)
    assert finding.finding.inputs == {"side_effect": code}
    assert result.action is action


def test_the_rule_set_knows_every_code_of_the_case_table(rules: MonitoringRules) -> None:
    codes = rules.side_effect_codes

    assert set(codes) == {code for code, _, _ in SIDE_EFFECT_CASES}
    assert rules.side_effect_label("chest_pain") == "Chest pain"
    assert rules.side_effect_label("not_a_code") == "not_a_code"


def test_nausea_suggests_ondansetron_with_its_weaker_evidence_cited(rules: MonitoringRules) -> None:
    observation = reading(side_effects=("nausea",))

    result = evaluate(rules, observation)

    finding = find(result, "side_effect.nausea").finding
    assert "Suggested: ondansetron" in finding.message
    source, _, intervention = finding.source.partition("; suggested intervention: ")
    assert source.endswith("[C]") and "Rodrigues" in source
    assert "Langston" in intervention and intervention.endswith("[S]")


def test_a_side_effect_without_a_published_intervention_suggests_none(rules: MonitoringRules) -> None:
    observation = reading(side_effects=("headache",))

    result = evaluate(rules, observation)

    finding = find(result, "side_effect.headache").finding
    assert "Suggested" not in finding.message
    assert "suggested intervention" not in finding.source


def test_several_side_effects_each_give_a_finding_and_the_strongest_action_wins(rules: MonitoringRules) -> None:
    observation = reading(side_effects=("nausea", "emergence_reaction", "dissociation"))

    result = evaluate(rules, observation)

    assert result.action is Action.PAUSE
    assert result.findings[0].finding.rule_id == "side_effect.emergence_reaction"
    assert "midazolam" in result.findings[0].finding.message
