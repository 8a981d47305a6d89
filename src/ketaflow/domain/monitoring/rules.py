"""A monitoring rule set: the versioned, cited data that the evaluation reads (rules/monitoring/*.json).

The file is checked once, when it is read: every row cites known sources with a confidence tag, every action
fits its effect, every rule id is unique, and every tier, combination and escalation names things that exist.
A malformed file raises ``RuleDataError`` naming the JSON path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ketaflow.domain.basis import RuleRef
from ketaflow.domain.errors import RuleDataError
from ketaflow.domain.monitoring.actions import ACTION_KEYS, Action, ActionRule, Phase, read_action_rule
from ketaflow.domain.monitoring.expected_rise import ExpectedRise
from ketaflow.domain.monitoring.observation import MAX_MINUTES_SINCE_START
from ketaflow.domain.monitoring.tiers import AbsoluteTier, Scale, Tier, read_tier
from ketaflow.domain.ruledata.fields import JsonFields, rule_data_error
from ketaflow.domain.ruledata.rulebasis import SourceRegistry, format_number
from ketaflow.domain.vitals import VitalSign

_CODE = re.compile(r"[a-z][a-z0-9_]*")
_CITED_KEYS = frozenset({"sources", "confidence", "notes"})

REQUIRED_PLACEHOLDERS = ("phase", "signs")
NOT_RECORDED_PLACEHOLDERS = ("signs",)
BASELINE_PLACEHOLDERS = ("signs", "rules")
CADSS_PLACEHOLDERS = ("score",)
SIDE_EFFECT_PLACEHOLDERS = ("label",)
COMBINATION_PLACEHOLDERS = ("tiers", "symptoms")
TREND_PLACEHOLDERS = ("tier", "readings", "previous", "minutes_since_start")
SCHEDULE_PLACEHOLDERS = (
    "phase",
    "interval_min",
    "due_at_min",
    "now_min",
    "last_reading_min",
    "overdue_by_min",
    "grace_min",
)


@dataclass(frozen=True, slots=True)
class TierGroup:
    """Tiers that grade the same thing, strongest action first; a reading is reported in the first it meets."""

    name: str
    tiers: tuple[Tier, ...]
    # Derived once here: every reading's evaluation asks for them.
    reads: tuple[str, ...] = field(init=False)
    # Whether the group reads CADSS, which is evaluated only where the clinic is licensed for it.
    needs_licence: bool = field(init=False)

    def __post_init__(self) -> None:
        reads = tuple(dict.fromkeys(name for tier in self.tiers for name in tier.reads))
        object.__setattr__(self, "reads", reads)
        object.__setattr__(self, "needs_licence", Scale.CADSS_TOTAL.value in reads)


@dataclass(frozen=True, slots=True)
class Intervention:
    """A usual intervention for a side effect, with its own citation (shown with the finding)."""

    text: str
    source: str


@dataclass(frozen=True, slots=True)
class SideEffect:
    code: str
    label: str
    rule: ActionRule
    intervention: Intervention | None = None


@dataclass(frozen=True, slots=True)
class Combination:
    """A blood-pressure tier together with an end-organ symptom (Yip 2022: symptoms drive urgency)."""

    rule: ActionRule
    tier_ids: tuple[str, ...]
    side_effects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Trend:
    """A tier met by this reading and the ones just before it escalates its action."""

    consecutive_readings: int
    escalations: Mapping[Action, ActionRule]


@dataclass(frozen=True, slots=True)
class ChartThreshold:
    """An absolute anchor drawn as a reference line on the vitals chart."""

    sign: VitalSign
    value: float
    label: str
    rule_id: str
    action: Action


@dataclass(frozen=True, slots=True)
class MonitoringRules:
    """One monitoring rule set, checked as it was read."""

    ref: RuleRef
    recheck_in_min: Mapping[Action, float]
    required_signs: Mapping[Phase, tuple[VitalSign, ...]]
    required_missing: ActionRule
    not_recorded: ActionRule
    baseline_missing: ActionRule
    expected_rise: ExpectedRise
    groups: tuple[TierGroup, ...]
    cadss_not_licensed: ActionRule
    side_effects: tuple[SideEffect, ...]
    combinations: tuple[Combination, ...]
    trend: Trend
    reading_intervals_min: Mapping[Phase, float]
    overdue_grace_min: float
    reading_due: ActionRule
    reading_overdue: ActionRule
    escalation_after_min: float

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> MonitoringRules:
        """Read and check a parsed rule file; raises RuleDataError naming the first bad field."""
        f = JsonFields.of(data, "", rule_data_error)
        f.check_keys(
            {"id", "version", "title", "notes", "sources", "recheck_in_min", "required_signs", "baseline_missing"}
            | {"expected_rise", "tiers", "cadss_not_licensed", "side_effects", "combinations", "trend", "schedule"}
            | {"escalation"}
        )
        f.get_str("title")
        f.get_strs("notes")
        sources = SourceRegistry.from_fields(f.get_object("sources"))
        required = f.get_object("required_signs")
        required.check_keys({phase.value for phase in Phase} | _CITED_KEYS | {"missing", "not_recorded"})
        sources.cite(required)
        schedule = f.get_object("schedule")
        schedule.check_keys({"intervals", "overdue_grace_min", "notes", "due", "overdue"})
        groups = _read_groups(f.get_object("tiers"), sources)
        side_effects = _read_side_effects(f, sources)
        escalation = f.get_object("escalation")
        escalation.check_keys({"after_min"} | _CITED_KEYS)
        sources.cite(escalation)
        rules = cls(
            ref=RuleRef(
                id=f.get_str("id", pattern=_CODE, expected="a rule set id of lower-case letters and _"),
                version=f.get_str("version"),
            ),
            recheck_in_min=_read_recheck(f.get_object("recheck_in_min"), sources),
            required_signs={phase: _read_signs(required, phase.value) for phase in Phase},
            required_missing=read_action_rule(required, "missing", sources, REQUIRED_PLACEHOLDERS),
            not_recorded=read_action_rule(required, "not_recorded", sources, NOT_RECORDED_PLACEHOLDERS),
            baseline_missing=read_action_rule(f, "baseline_missing", sources, BASELINE_PLACEHOLDERS),
            expected_rise=ExpectedRise.from_fields(f.get_object("expected_rise"), sources),
            groups=groups,
            cadss_not_licensed=read_action_rule(f, "cadss_not_licensed", sources, CADSS_PLACEHOLDERS),
            side_effects=side_effects,
            combinations=_read_combinations(f, sources, groups, side_effects),
            trend=_read_trend(f.get_object("trend"), sources),
            reading_intervals_min=_read_intervals(schedule.get_object("intervals"), sources),
            overdue_grace_min=_read_cited_minutes(schedule.get_object("overdue_grace_min"), "value", sources),
            reading_due=read_action_rule(schedule, "due", sources, SCHEDULE_PLACEHOLDERS),
            reading_overdue=read_action_rule(schedule, "overdue", sources, SCHEDULE_PLACEHOLDERS),
            escalation_after_min=escalation.get_number("after_min", low=0, high=24 * 60),
        )
        _check_unique_rule_ids(rules)
        return rules

    @property
    def side_effect_codes(self) -> tuple[str, ...]:
        return tuple(effect.code for effect in self.side_effects)

    def get_side_effect(self, code: str) -> SideEffect | None:
        return next((effect for effect in self.side_effects if effect.code == code), None)

    def side_effect_label(self, code: str) -> str:
        """The clinic's word for a side-effect code (the code itself if the rule set does not know it)."""
        effect = self.get_side_effect(code)
        return code if effect is None else effect.label

    def reading_interval_min(self, phase: Phase) -> float:
        """How often a reading is due in this phase."""
        return self.reading_intervals_min[phase]

    def get_tier(self, rule_id: str) -> Tier | None:
        return next((tier for group in self.groups for tier in group.tiers if tier.rule.rule_id == rule_id), None)

    def chart_thresholds(self) -> tuple[ChartThreshold, ...]:
        """Every absolute anchor as a chart line, once per sign and value (the strongest tier's label wins)."""
        lines: dict[tuple[VitalSign, float], ChartThreshold] = {}
        for group in self.groups:
            for tier in group.tiers:
                if not isinstance(tier, AbsoluteTier):
                    continue
                for sign, limit in tier.limits:
                    label = f"{sign.label} {tier.comparison.value} {format_number(limit)} ({tier.rule.action.value})"
                    line = ChartThreshold(sign, limit, label, tier.rule.rule_id, tier.rule.action)
                    known = lines.get((sign, limit))
                    if known is None or known.action.rank < line.action.rank:
                        lines[(sign, limit)] = line
        return tuple(lines.values())

    def list_rules(self) -> tuple[ActionRule, ...]:
        """Every rule row of the set (for the basis screen and the uniqueness check)."""
        rows = [self.required_missing, self.not_recorded, self.baseline_missing]
        rows += [self.expected_rise.within, self.expected_rise.above, self.cadss_not_licensed]
        rows += [tier.rule for group in self.groups for tier in group.tiers]
        rows += [effect.rule for effect in self.side_effects]
        rows += [combination.rule for combination in self.combinations]
        rows += list(self.trend.escalations.values())
        rows += [self.reading_due, self.reading_overdue]
        return tuple(rows)


def _check_unique_rule_ids(rules: MonitoringRules) -> None:
    seen: set[str] = set()
    for rule in rules.list_rules():
        if rule.rule_id in seen:
            raise RuleDataError(f"rule data: rule id {rule.rule_id!r} is used more than once")
        seen.add(rule.rule_id)


def _read_cited_minutes(f: JsonFields, key: str, sources: SourceRegistry) -> float:
    f.check_keys({key} | _CITED_KEYS)
    sources.cite(f)
    return f.get_number(key, low=0, high=MAX_MINUTES_SINCE_START)


def _read_recheck(f: JsonFields, sources: SourceRegistry) -> Mapping[Action, float]:
    f.check_keys({action.value for action in Action} | _CITED_KEYS)
    sources.cite(f)
    return {action: f.get_number(action.value, low=1, high=24 * 60) for action in Action if f.has(action.value)}


def _read_signs(f: JsonFields, key: str) -> tuple[VitalSign, ...]:
    signs = f.get_enums(key, VitalSign)
    if len(set(signs)) != len(signs):
        raise f.fail(key, "each vital sign once", [sign.value for sign in signs])
    return signs


def _read_intervals(f: JsonFields, sources: SourceRegistry) -> Mapping[Phase, float]:
    f.check_keys({phase.value for phase in Phase})
    intervals: dict[Phase, float] = {}
    for phase in Phase:
        row = f.get_object(phase.value)
        row.check_keys({"every_min"} | _CITED_KEYS)
        sources.cite(row)
        intervals[phase] = row.get_number("every_min", low=1, high=24 * 60)
    return intervals


def _read_groups(f: JsonFields, sources: SourceRegistry) -> tuple[TierGroup, ...]:
    groups = []
    for name in f.data:
        rows = list(f.get_objects(name))
        if not rows:
            raise f.fail(name, "a non-empty list of tiers")
        tiers = [read_tier(row, sources) for row in rows]
        kinds = {type(tier) for tier in tiers}
        if len(kinds) > 1:
            raise f.fail(name, "tiers of one kind per group")
        strongest_first = sorted(tiers, key=lambda tier: -tier.rule.action.rank)
        groups.append(TierGroup(name=name, tiers=tuple(strongest_first)))
    if not groups:
        raise f.error(f.path, "at least one tier group", None)
    return tuple(groups)


def _read_side_effects(f: JsonFields, sources: SourceRegistry) -> tuple[SideEffect, ...]:
    effects: list[SideEffect] = []
    for row in f.get_objects("side_effects"):
        row.check_keys(ACTION_KEYS | {"code", "label", "intervention"})
        code = row.get_str("code", pattern=_CODE, expected="a side-effect code of lower-case letters and _")
        if any(effect.code == code for effect in effects):
            raise row.fail("code", "a code not used by another side effect", code)
        intervention = None
        if row.has("intervention"):
            given = row.get_object("intervention")
            given.check_keys({"text"} | _CITED_KEYS)
            intervention = Intervention(text=given.get_str("text"), source=sources.cite(given))
        effects.append(
            SideEffect(
                code=code,
                label=row.get_str("label"),
                rule=ActionRule.from_fields(row, sources, placeholders=SIDE_EFFECT_PLACEHOLDERS),
                intervention=intervention,
            )
        )
    return tuple(effects)


def _read_combinations(
    f: JsonFields, sources: SourceRegistry, groups: tuple[TierGroup, ...], side_effects: tuple[SideEffect, ...]
) -> tuple[Combination, ...]:
    tier_ids = {tier.rule.rule_id for group in groups for tier in group.tiers}
    codes = {effect.code for effect in side_effects}
    combinations = []
    for row in f.get_objects("combinations"):
        row.check_keys(ACTION_KEYS | {"when_tiers", "with_side_effects"})
        when = row.get_strs("when_tiers")
        with_codes = row.get_strs("with_side_effects")
        if not when or any(rule_id not in tier_ids for rule_id in when):
            raise row.fail("when_tiers", "ids of tiers in this rule set", list(when))
        if not with_codes or any(code not in codes for code in with_codes):
            raise row.fail("with_side_effects", "side-effect codes of this rule set", list(with_codes))
        combinations.append(
            Combination(
                rule=ActionRule.from_fields(row, sources, placeholders=COMBINATION_PLACEHOLDERS),
                tier_ids=when,
                side_effects=with_codes,
            )
        )
    return tuple(combinations)


def _read_trend(f: JsonFields, sources: SourceRegistry) -> Trend:
    f.check_keys({"consecutive_readings", "escalations"} | _CITED_KEYS)
    sources.cite(f)
    escalations: dict[Action, ActionRule] = {}
    for row in f.get_objects("escalations"):
        row.check_keys(ACTION_KEYS | {"from_action"})
        from_action = row.get_enum("from_action", Action)
        rule = ActionRule.from_fields(row, sources, placeholders=TREND_PLACEHOLDERS)
        if from_action in escalations:
            raise row.fail("from_action", "an action escalated by one row only", from_action.value)
        if rule.action.rank <= from_action.rank:
            raise row.fail("action", f"an action stronger than {from_action.value}", rule.action.value)
        escalations[from_action] = rule
    return Trend(consecutive_readings=f.get_int("consecutive_readings", low=2, high=10), escalations=escalations)
