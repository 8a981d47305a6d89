"""The pre-infusion gate: today's screening, a physician's review of any hold, consent and the checklist.

The gate is clear only when nothing blocks and nothing holds: a hold needs a physician's documented
decision to proceed, a missing consent blocks, and each checklist item not confirmed holds or blocks
as the versioned rule data (rules/screening/gate.json) says, with its source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ketaflow.domain.basis import Decision, Effect, Finding, JsonValue, RuleRef, decide
from ketaflow.domain.errors import RuleDataError
from ketaflow.domain.screening.records import Consent, Purpose, ReviewOutcome, ScreeningRecord, ScreeningReview

ITEM_IDS = ("fasting", "escort", "medication_holds", "consent_on_file", "vitals_today")
CONFIRMED_BY_STAFF = ("fasting", "escort", "medication_holds")
_VITALS_NOT_CURRENT = frozenset({"vitals.missing", "vitals.stale", "vitals.in_future"})


@dataclass(frozen=True, slots=True)
class GateItem:
    id: str
    question: str
    effect: Effect
    source: str
    notes: str = ""
    parameters: Mapping[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GateRules:
    ref: RuleRef
    items: Mapping[str, GateItem]
    # How old today's pre-infusion screening may be (rule data: screening_valid_for_hours, with its note).
    screening_valid_for: timedelta

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> GateRules:
        """Check the gate rule file; RuleDataError names what is wrong."""
        try:
            sources = data["sources"]
            raw_items = data["items"]
            ref = RuleRef(str(data["id"]), str(data["version"]))
        except KeyError as exc:
            raise RuleDataError(f"gate rules: missing {exc.args[0]!r}") from None
        if not isinstance(sources, Mapping) or not isinstance(raw_items, list):
            raise RuleDataError("gate rules: 'sources' must be an object and 'items' a list")
        items: dict[str, GateItem] = {}
        for raw in raw_items:
            if not isinstance(raw, Mapping):
                raise RuleDataError("gate rules: every item must be an object")
            item_id = str(raw.get("id"))
            source = sources.get(str(raw.get("source")))
            effect = str(raw.get("effect_if_not_confirmed"))
            if item_id not in ITEM_IDS or item_id in items:
                raise RuleDataError(f"gate rules: unknown or repeated item {item_id!r}")
            if effect not in (Effect.HOLD.value, Effect.BLOCK.value):
                raise RuleDataError(f"gate rules: item {item_id!r} must hold or block, not {effect!r}")
            if not isinstance(source, Mapping) or not source.get("citation"):
                raise RuleDataError(f"gate rules: item {item_id!r} names no known source")
            parameters = raw.get("parameters", {})
            items[item_id] = GateItem(
                id=item_id,
                question=str(raw.get("question", "")),
                effect=Effect(effect),
                source=f"{source['citation']} [{source.get('confidence', 'NF')}]",
                notes=str(raw.get("notes", "")),
                parameters=dict(parameters) if isinstance(parameters, Mapping) else {},
            )
        if set(items) != set(ITEM_IDS):
            raise RuleDataError(f"gate rules: items must be exactly {', '.join(ITEM_IDS)}")
        hours = data.get("screening_valid_for_hours")
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 24:
            raise RuleDataError("gate rules: screening_valid_for_hours must be a number of hours from 0 to 24")
        return cls(ref=ref, items=items, screening_valid_for=timedelta(hours=hours))


@dataclass(frozen=True, slots=True)
class GateChecklist:
    """What the nurse confirmed at the chair before the infusion."""

    confirmed: frozenset[str]
    escort_name: str = ""

    def to_json(self) -> dict[str, JsonValue]:
        confirmed: list[JsonValue] = [item for item in sorted(self.confirmed)]  # noqa: C416  # widen to JsonValue
        return {"confirmed": confirmed, "escort_name": self.escort_name}


@dataclass(frozen=True, slots=True)
class GateResult:
    decision: Decision
    findings: tuple[Finding, ...]
    rules: RuleRef
    screening_id: str

    @property
    def is_clear(self) -> bool:
        """An infusion may start only on proceed or proceed-with-warnings."""
        return self.decision in (Decision.PROCEED, Decision.PROCEED_WITH_WARNINGS)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "decision": self.decision.value,
            "clear": self.is_clear,
            "findings": [f.to_json() for f in self.findings],
            "ruleset": self.rules.to_json(),
            "screening_id": self.screening_id,
        }


def _screening_finding(screening: ScreeningRecord, review: ScreeningReview | None) -> Finding:
    inputs: dict[str, JsonValue] = {
        "screening_id": str(screening.id),
        "screening_decision": screening.decision.value,
        "screened_at_utc": screening.screened_at_utc.isoformat(),
        "ruleset": f"{screening.ruleset.id} {screening.ruleset.version}",
    }
    source = "the screening's own findings (each with its source)"
    if screening.urgent_safety_referral:
        return Finding(
            "gate.urgent_safety_referral",
            Effect.BLOCK,
            "The C-SSRS screen is high-risk: urgent safety care comes first; no infusion today.",
            source,
            inputs,
        )
    if screening.decision is Decision.BLOCK:
        return Finding(
            "gate.screening_blocks", Effect.BLOCK, "Today's screening found a contraindication.", source, inputs
        )
    if screening.decision is Decision.HOLD:
        if review is None:
            return Finding(
                "gate.hold_not_reviewed",
                Effect.HOLD,
                "Today's screening holds: a physician must document a decision before the infusion.",
                source,
                inputs,
            )
        reviewed = {
            **inputs,
            "review_outcome": review.outcome.value,
            "reviewed_by": review.decided_by,
            "review_reason": review.reason,
        }
        if review.outcome is ReviewOutcome.DO_NOT_PROCEED:
            return Finding(
                "gate.hold_review_declined",
                Effect.BLOCK,
                f"{review.decided_by} decided not to proceed: {review.reason}",
                source,
                reviewed,
            )
        return Finding(
            "gate.hold_reviewed",
            Effect.INFO,
            f"{review.decided_by} reviewed the hold and decided to proceed: {review.reason}",
            source,
            reviewed,
        )
    effect = Effect.WARN if screening.decision is Decision.PROCEED_WITH_WARNINGS else Effect.INFO
    return Finding(
        "gate.screening", effect, f"Today's screening: {screening.decision.value.replace('_', ' ')}.", source, inputs
    )


def evaluate_gate(
    screening: ScreeningRecord | None,
    review: ScreeningReview | None,
    consent: Consent | None,
    checklist: GateChecklist,
    rules: GateRules,
    *,
    now_utc: datetime,
) -> GateResult:
    """Decide whether an infusion may start now; every finding names its rule and source."""
    findings: list[Finding] = []
    current = (
        screening is not None
        and screening.purpose is Purpose.PRE_INFUSION
        and timedelta(0) <= now_utc - screening.screened_at_utc <= rules.screening_valid_for
    )
    if screening is None or not current:
        findings.append(
            Finding(
                "gate.no_screening_today",
                Effect.INSUFFICIENT_DATA,
                "Run the screening with today's vitals before the infusion.",
                "ketaflow: the rules are re-run before "
                "every infusion (issue 3; Bhatt 2021 case: evaluation only before the first infusion)",
                {"last_screening_at_utc": screening.screened_at_utc.isoformat() if screening else None},
            )
        )
    else:
        findings.append(_screening_finding(screening, review))
    vitals_current = (
        current
        and screening is not None
        and not any(
            isinstance(f, Mapping) and f.get("rule_id") in _VITALS_NOT_CURRENT for f in _findings_of(screening.result)
        )
    )
    status = {
        **{item: item in checklist.confirmed for item in CONFIRMED_BY_STAFF},
        "escort": "escort" in checklist.confirmed and bool(checklist.escort_name.strip()),
        "consent_on_file": consent is not None and consent.is_active,
        "vitals_today": vitals_current,
    }
    for item_id in ITEM_IDS:
        item = rules.items[item_id]
        if not status[item_id]:
            findings.append(
                Finding(
                    f"gate.{item_id}",
                    item.effect,
                    f"Not confirmed: {item.question}",
                    item.source,
                    {"item": item_id, "escort_name": checklist.escort_name}
                    if item_id == "escort"
                    else {"item": item_id},
                )
            )
    return GateResult(
        decision=decide(findings),
        findings=tuple(findings),
        rules=rules.ref,
        screening_id=str(screening.id) if screening else "",
    )


def _findings_of(result: Mapping[str, JsonValue]) -> list[JsonValue]:
    findings = result.get("findings", [])
    return findings if isinstance(findings, list) else []
