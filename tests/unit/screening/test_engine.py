"""screen_patient's result: its JSON contract, ordering, decision and the rule set it records."""

from __future__ import annotations

import json

from ketaflow.domain.basis import Decision, Effect, RuleRef, decide
from ketaflow.domain.screening import ScreeningRuleSet
from tests.unit.screening.builders import baseline_intake, screen

_STRENGTH = list(Effect)


def test_baseline_patient_proceeds_with_the_basis_shown(rules: ScreeningRuleSet) -> None:
    result = screen(baseline_intake(), rules)

    assert result.decision is Decision.PROCEED
    assert {f.rule_id for f in result.findings} == {
        "bp.below_tiers",
        "cssrs.negative",
        "treatment_resistance.established",
        "medication.ssri",
    }


def test_result_json_has_exactly_the_contract_keys(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["vitals"]["systolic_mmhg"] = 150

    result = json.loads(json.dumps(screen(document, rules).to_json()))

    assert set(result) == {"decision", "findings", "ruleset", "urgent_safety_referral"}
    assert result["decision"] == "hold"
    assert result["ruleset"] == {"id": "ketaflow.screening", "version": "2026.11.0"}
    assert result["urgent_safety_referral"] is False
    for finding in result["findings"]:
        assert set(finding) == {"rule_id", "effect", "message", "inputs", "source"}
    assert result["findings"][0]["rule_id"] == "bp.elevated_consider_delay"


def test_findings_are_sorted_strongest_first_and_set_the_decision(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["vitals"]["systolic_mmhg"] = 150
    document["medications"].append({"name": "lorazepam", "daily_dose_mg": 2})
    document["conditions"].append({"code": "I61.9", "clinical_status": "resolved"})
    del document["labs"]

    result = screen(document, rules)

    ranks = [_STRENGTH.index(f.effect) for f in result.findings]
    assert ranks == sorted(ranks, reverse=True)
    assert result.decision is decide(result.findings) is Decision.BLOCK


def test_the_rule_set_version_is_recorded_with_the_result(rules: ScreeningRuleSet) -> None:
    result = screen(baseline_intake(), rules)

    assert result.ruleset == RuleRef(id="ketaflow.screening", version="2026.11.0") == rules.ref
