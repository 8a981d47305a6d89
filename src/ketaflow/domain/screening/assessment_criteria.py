"""Criteria on today's assessments: C-SSRS screener triage, and bipolar disorder's mood stabiliser and
mania screen.

C-SSRS triage is a list of tiers, strongest first, each naming the items whose "yes" puts a patient in it.
The high-risk tier (yes to item 4 or 5 in the past month, or any suicidal behaviour in the past 3 months)
is marked ``urgent_safety_referral`` in the rule data: the result then routes the patient to urgent safety
care whatever else the screening found.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketaflow.domain.basis import Finding, JsonValue
from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis, sort_strongest_first
from ketaflow.domain.screening.assessments import ITEMS, ManiaInstrument
from ketaflow.domain.screening.criteria import read_concepts
from ketaflow.domain.screening.facts import RuleContext, ScreeningFacts
from ketaflow.domain.screening.vocabulary import Indication

_CSSRS_PLACEHOLDERS = ("items", "indication")


def _read_basis(f: JsonFields, key: str, context: RuleContext, placeholders: tuple[str, ...]) -> RuleBasis:
    row = f.get_object(key)
    row.check_keys(BASIS_KEYS)
    return RuleBasis.from_fields(row, context.sources, placeholders=placeholders)


@dataclass(frozen=True, slots=True)
class CssrsTier:
    basis: RuleBasis
    any_of: frozenset[str]
    urgent_safety_referral: bool = False

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> CssrsTier:
        f.check_keys(BASIS_KEYS | {"any_of", "urgent_safety_referral"})
        items = frozenset(f.get_strs("any_of"))
        if not items or not items <= ITEMS:
            raise f.fail("any_of", "screener items among " + ", ".join(sorted(ITEMS)), ", ".join(sorted(items - ITEMS)))
        urgent = f.get_optional_bool("urgent_safety_referral") or False
        return cls(RuleBasis.from_fields(f, context.sources, placeholders=_CSSRS_PLACEHOLDERS), items, urgent)


@dataclass(frozen=True, slots=True)
class CssrsTriage:
    """Triage of the C-SSRS screener; a missing screener is insufficient data where it is required."""

    required_for: frozenset[Indication]
    missing: RuleBasis
    tiers: tuple[CssrsTier, ...]
    negative: RuleBasis

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> CssrsTriage:
        f.check_keys({"required_for_indications", "missing", "tiers", "negative", "notes"})
        tiers = tuple(CssrsTier.from_fields(row, context) for row in f.get_objects("tiers"))
        if not any(tier.urgent_safety_referral for tier in tiers):
            raise f.fail("tiers", "one tier marked urgent_safety_referral (the C-SSRS high-risk tier)")
        return cls(
            required_for=frozenset(f.get_enums("required_for_indications", Indication)),
            missing=_read_basis(f, "missing", context, _CSSRS_PLACEHOLDERS),
            tiers=sort_strongest_first(tiers),
            negative=_read_basis(f, "negative", context, _CSSRS_PLACEHOLDERS),
        )

    @property
    def urgent_rule_ids(self) -> frozenset[str]:
        return frozenset(tier.basis.rule_id for tier in self.tiers if tier.urgent_safety_referral)


def evaluate_cssrs(facts: ScreeningFacts, triage: CssrsTriage) -> list[Finding]:
    """The strongest tier with a "yes" among its items, or a negative screen."""
    screener = facts.intake.assessments.cssrs_screener
    indication = facts.intake.indication
    if screener is None:
        if indication in triage.required_for:
            values = {"items": "none", "indication": indication.value.replace("_", " ")}
            return [triage.missing.make_finding(values, {"assessments.cssrs_screener": None})]
        return []
    inputs: dict[str, JsonValue] = {
        f"assessments.cssrs_screener.{item}": value for item, value in screener.to_json().items()
    }
    for tier in triage.tiers:
        positive = sorted(item for item in tier.any_of if screener.get_answer(item))
        if positive:
            values = {"items": ", ".join(positive), "indication": indication.value.replace("_", " ")}
            return [tier.basis.make_finding(values, inputs)]
    return [triage.negative.make_finding({"items": "none", "indication": indication.value}, inputs)]


_BIPOLAR_PLACEHOLDERS = ("reason", "medicines", "instrument", "score", "cutoff")


@dataclass(frozen=True, slots=True)
class BipolarCriteria:
    """For bipolar disorder (by indication or any coded bipolar condition): a mood stabiliser, and a current
    mania screen with the YMRS cut-off set here."""

    indications: frozenset[Indication]
    concepts: frozenset[str]
    mood_stabiliser_class: str
    without_mood_stabiliser: RuleBasis
    with_mood_stabiliser: RuleBasis
    ymrs_positive_at_or_above: int
    mania_screen_missing: RuleBasis
    mania_screen_positive: RuleBasis
    mania_screen_negative: RuleBasis

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> BipolarCriteria:
        f.check_keys(
            {
                "indications",
                "concepts",
                "mood_stabiliser_class",
                "without_mood_stabiliser",
                "with_mood_stabiliser",
                "mania_screen",
                "notes",
            }
        )
        mood_stabiliser_class = f.get_str("mood_stabiliser_class")
        if mood_stabiliser_class not in context.medicines.classes:
            raise f.fail("mood_stabiliser_class", "a class defined in medicine_classes", mood_stabiliser_class)
        mania = f.get_object("mania_screen")
        mania.check_keys({"ymrs_positive_at_or_above", "missing", "positive", "negative", "notes"})
        return cls(
            indications=frozenset(f.get_enums("indications", Indication)),
            concepts=read_concepts(f, "concepts", context, required=True),
            mood_stabiliser_class=mood_stabiliser_class,
            without_mood_stabiliser=_read_basis(f, "without_mood_stabiliser", context, _BIPOLAR_PLACEHOLDERS),
            with_mood_stabiliser=_read_basis(f, "with_mood_stabiliser", context, _BIPOLAR_PLACEHOLDERS),
            ymrs_positive_at_or_above=mania.get_int("ymrs_positive_at_or_above", low=1, high=60),
            mania_screen_missing=_read_basis(mania, "missing", context, _BIPOLAR_PLACEHOLDERS),
            mania_screen_positive=_read_basis(mania, "positive", context, _BIPOLAR_PLACEHOLDERS),
            mania_screen_negative=_read_basis(mania, "negative", context, _BIPOLAR_PLACEHOLDERS),
        )


def _bipolar_reason(facts: ScreeningFacts, criteria: BipolarCriteria) -> tuple[str, dict[str, JsonValue]] | None:
    """Why the bipolar criteria apply (and the inputs that say so), or None if they do not."""
    if facts.intake.indication in criteria.indications:
        indication = facts.intake.indication.value
        return f"indication {indication.replace('_', ' ')}", {"indication": indication}
    for coded in facts.conditions:
        if criteria.concepts & coded.concepts:
            condition = coded.condition
            return (
                f"{condition.code} ({condition.clinical_status.value})",
                {
                    f"{coded.path}.code": condition.code,
                    f"{coded.path}.clinical_status": condition.clinical_status.value,
                },
            )
    return None


def evaluate_bipolar(facts: ScreeningFacts, criteria: BipolarCriteria) -> list[Finding]:
    applies = _bipolar_reason(facts, criteria)
    if applies is None:
        return []
    reason, inputs = applies
    stabilisers = facts.list_in_class(criteria.mood_stabiliser_class)
    values = {
        "reason": reason,
        "medicines": ", ".join(item.name for item in stabilisers) or "none",
        "instrument": "none",
        "score": "none",
        "cutoff": str(criteria.ymrs_positive_at_or_above),
    }
    medicine_inputs: dict[str, JsonValue] = {f"{item.path}.name": item.name for item in stabilisers}
    stabiliser_basis = criteria.with_mood_stabiliser if stabilisers else criteria.without_mood_stabiliser
    findings = [stabiliser_basis.make_finding(values, inputs | medicine_inputs)]
    screen = facts.intake.assessments.mania_screen
    if screen is None:
        findings.append(criteria.mania_screen_missing.make_finding(values, inputs | {"assessments.mania_screen": None}))
        return findings
    screen_inputs = inputs | {f"assessments.mania_screen.{key}": value for key, value in screen.to_json().items()}
    if screen.instrument is ManiaInstrument.YMRS and screen.ymrs_total is not None:
        positive = screen.ymrs_total >= criteria.ymrs_positive_at_or_above
        values |= {"instrument": "YMRS", "score": str(screen.ymrs_total)}
    else:
        positive = screen.positive is True
        values |= {"instrument": "clinical interview", "score": "positive" if positive else "negative"}
    basis = criteria.mania_screen_positive if positive else criteria.mania_screen_negative
    findings.append(basis.make_finding(values, screen_inputs))
    return findings
