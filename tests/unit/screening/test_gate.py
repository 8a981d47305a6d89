"""The pre-infusion gate: clear only when nothing holds or blocks, each finding with its source."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from ketaflow.domain.basis import Decision, RuleRef
from ketaflow.domain.errors import Conflict, InputError, RuleDataError
from ketaflow.domain.screening.gate import GateChecklist, GateRules, evaluate_gate
from ketaflow.domain.screening.records import (
    Consent,
    Purpose,
    ReviewOutcome,
    ScreeningRecord,
    ScreeningReview,
    check_review,
)

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
SOURCES = {"label": {"citation": "Spravato label", "confidence": "C"}}
ITEMS = ["fasting", "escort", "medication_holds", "consent_on_file", "vitals_today"]


def rules_data(**override: Any) -> dict[str, Any]:
    items = [
        {
            "id": i,
            "question": f"{i}?",
            "effect_if_not_confirmed": "block" if i == "consent_on_file" else "hold",
            "source": "label",
        }
        for i in ITEMS
    ]
    return {
        "id": "ketaflow.pre_infusion_gate",
        "version": "2026.11.0",
        "items": items,
        "sources": SOURCES,
        "screening_valid_for_hours": 12,
        **override,
    }


RULES = GateRules.from_dict(rules_data())
EVERYTHING = GateChecklist(frozenset({"fasting", "escort", "medication_holds"}), escort_name="Marco Rivera")


def screening(
    decision: Decision,
    *,
    hours_ago: float = 0.5,
    purpose: Purpose = Purpose.PRE_INFUSION,
    urgent: bool = False,
    findings: list[dict[str, Any]] | None = None,
) -> ScreeningRecord:
    return ScreeningRecord(
        uuid4(),
        uuid4(),
        purpose,
        {},
        {"findings": findings or []},
        decision,
        RuleRef("ketaflow.screening", "1"),
        urgent,
        NOW - timedelta(hours=hours_ago),
        "nurse",
    )


def consent(*, withdrawn: bool = False) -> Consent:
    return Consent(
        uuid4(),
        uuid4(),
        "iv-ketamine-depression",
        "2026.11.0",
        "nurse",
        "Ana Rivera",
        date(2026, 11, 20),
        NOW,
        "nurse",
        withdrawn_at_utc=NOW if withdrawn else None,
    )


def review(s: ScreeningRecord, outcome: ReviewOutcome) -> ScreeningReview:
    return ScreeningReview(uuid4(), s.id, outcome, "seen in person; BP settled", NOW, "physician", "physician")


def test_everything_in_place_is_clear() -> None:
    result = evaluate_gate(screening(Decision.PROCEED), None, consent(), EVERYTHING, RULES, now_utc=NOW)

    assert result.is_clear and result.decision is Decision.PROCEED
    assert result.to_json()["clear"] is True


@pytest.mark.parametrize(
    ("kwargs", "rule_id", "decision"),
    [
        ({"screening": None}, "gate.no_screening_today", Decision.HOLD),
        ({"screening": screening(Decision.PROCEED, hours_ago=13)}, "gate.no_screening_today", Decision.HOLD),
        ({"screening": screening(Decision.PROCEED, purpose=Purpose.INTAKE)}, "gate.no_screening_today", Decision.HOLD),
        ({"screening": screening(Decision.BLOCK)}, "gate.screening_blocks", Decision.BLOCK),
        ({"screening": screening(Decision.HOLD)}, "gate.hold_not_reviewed", Decision.HOLD),
        ({"screening": screening(Decision.PROCEED, urgent=True)}, "gate.urgent_safety_referral", Decision.BLOCK),
        ({"consent": None}, "gate.consent_on_file", Decision.BLOCK),
        ({"consent": consent(withdrawn=True)}, "gate.consent_on_file", Decision.BLOCK),
        ({"checklist": GateChecklist(frozenset({"escort", "medication_holds"}), "M")}, "gate.fasting", Decision.HOLD),
        (
            {"checklist": GateChecklist(frozenset({"fasting", "escort", "medication_holds"}), "")},
            "gate.escort",
            Decision.HOLD,
        ),
        (
            {"screening": screening(Decision.HOLD, findings=[{"rule_id": "vitals.stale"}])},
            "gate.vitals_today",
            Decision.HOLD,
        ),
    ],
    ids=[
        "none",
        "yesterday",
        "intake-only",
        "block",
        "hold",
        "urgent",
        "no-consent",
        "withdrawn",
        "fasting",
        "no-escort-name",
        "stale-vitals",
    ],
)
def test_each_missing_piece_stops_the_gate(kwargs: dict[str, Any], rule_id: str, decision: Decision) -> None:
    args: dict[str, Any] = {
        "screening": screening(Decision.PROCEED),
        "review": None,
        "consent": consent(),
        "checklist": EVERYTHING,
        **kwargs,
    }

    result = evaluate_gate(args["screening"], args["review"], args["consent"], args["checklist"], RULES, now_utc=NOW)

    assert not result.is_clear
    assert result.decision is decision
    assert rule_id in [f.rule_id for f in result.findings]
    assert all(f.source for f in result.findings)


def test_a_reviewed_hold_clears_only_when_the_physician_decided_to_proceed() -> None:
    held = screening(Decision.HOLD)

    go = evaluate_gate(held, review(held, ReviewOutcome.PROCEED), consent(), EVERYTHING, RULES, now_utc=NOW)
    stop = evaluate_gate(held, review(held, ReviewOutcome.DO_NOT_PROCEED), consent(), EVERYTHING, RULES, now_utc=NOW)

    assert go.is_clear and "decided to proceed" in go.findings[0].message
    assert stop.decision is Decision.BLOCK


def test_warnings_pass_the_gate_but_stay_visible() -> None:
    result = evaluate_gate(screening(Decision.PROCEED_WITH_WARNINGS), None, consent(), EVERYTHING, RULES, now_utc=NOW)

    assert result.is_clear and result.findings[0].effect.value == "warn"


@pytest.mark.parametrize(
    "data",
    [
        rules_data(items=[]),
        rules_data(sources={}),
        {k: v for k, v in rules_data().items() if k != "items"},
        rules_data(items="nope"),
        rules_data(items=["nope"]),
        rules_data(items=[*rules_data()["items"][:4], {**rules_data()["items"][4], "effect_if_not_confirmed": "warn"}]),
        rules_data(items=[*rules_data()["items"], rules_data()["items"][0]]),
    ],
    ids=["no-items", "no-sources", "missing-key", "items-not-list", "item-not-object", "weak-effect", "repeated"],
)
def test_malformed_gate_rules_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(RuleDataError):
        GateRules.from_dict(data)


@pytest.mark.parametrize("hours", [None, 0, 25, "12", True], ids=["missing", "zero", "over-a-day", "text", "bool"])
def test_the_screening_validity_window_must_be_a_sensible_number_of_hours(hours: Any) -> None:
    data = rules_data()
    if hours is None:
        del data["screening_valid_for_hours"]
    else:
        data["screening_valid_for_hours"] = hours

    with pytest.raises(RuleDataError, match="screening_valid_for_hours"):
        GateRules.from_dict(data)


def test_only_a_hold_can_be_reviewed_with_a_real_reason() -> None:
    held = screening(Decision.HOLD)

    assert check_review(held, "proceed", "BP rechecked at 132/84 after rest") == (
        ReviewOutcome.PROCEED,
        "BP rechecked at 132/84 after rest",
    )
    with pytest.raises(Conflict):
        check_review(screening(Decision.PROCEED), "proceed", "no need, but let us try anyway")
    with pytest.raises(InputError, match="outcome"):
        check_review(held, "maybe", "a long enough reason")
    with pytest.raises(InputError, match="reason"):
        check_review(held, "proceed", "ok")


def test_the_shipped_gate_rules_load() -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "src/ketaflow/rules/screening/gate.json"
    if not path.exists():
        pytest.fail("rules/screening/gate.json is missing")
    import json

    rules = GateRules.from_dict(json.loads(path.read_text()))

    assert set(rules.items) == set(ITEMS)
    assert rules.items["consent_on_file"].effect.value == "block"
