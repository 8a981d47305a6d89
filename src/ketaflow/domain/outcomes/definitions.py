"""Outcome definitions as versioned, cited rule data: baseline window, assessment points, response, remission, relapse.

``OutcomeDefinitions.from_dict`` checks ``rules/outcomes/definitions.json`` once and raises ``RuleDataError`` on
anything malformed. Where sources disagree (MADRS remission: Hawley 2002 says < 10, many trials <= 10) the file
names every option and the one selected; ``select_remission`` picks another for a report without a new file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ketaflow.domain.basis import RuleRef
from ketaflow.domain.errors import InputError
from ketaflow.domain.ruledata.comparison import Comparison
from ketaflow.domain.ruledata.fields import JsonFields, rule_data_error
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis, SourceRegistry

_VERSION = re.compile(r"[0-9]{4}\.[0-9]{1,2}\.[0-9]+")
_INSTRUMENT = re.compile(r"[a-z][a-z0-9_]*")
_PARAMETER_KEYS = frozenset({"sources", "confidence", "notes"})
_MAX_TOTAL = 1000  # bound for reading an instrument's range from rule data (every scale here is below 100)

RESPONSE_PLACEHOLDERS = (
    "instrument",
    "endpoint_total",
    "endpoint_at",
    "baseline_total",
    "change_pct",
    "verdict",
    "limit_pct",
)
REMISSION_PLACEHOLDERS = ("instrument", "endpoint_total", "endpoint_at", "verdict", "comparison", "limit")
RELAPSE_PLACEHOLDERS = (
    "instrument",
    "relapsed_at",
    "consecutive",
    "totals",
    "baseline_total",
    "reduction_below_pct",
    "days",
    "reference",
)
NOT_EVALUABLE_PLACEHOLDERS = {
    "no_infusions": ("instrument",),
    "no_baseline": ("instrument", "window_days", "first_infusion_at"),
    "zero_baseline": ("instrument",),
    "no_endpoint": ("instrument", "assessment", "earliest", "latest"),
}


@dataclass(frozen=True, slots=True)
class ResponseRule:
    """Response = a reduction from baseline of at least ``reduction_at_least_pct`` percent."""

    basis: RuleBasis
    reduction_at_least_pct: float

    def is_met(self, baseline_total: int, total: int) -> bool:
        """Exact at the boundary: compared as ``(baseline - total) * 100 >= pct * baseline``, no division."""
        return (baseline_total - total) * 100 >= self.reduction_at_least_pct * baseline_total


@dataclass(frozen=True, slots=True)
class RemissionRule:
    """Remission = a total ``comparison`` ``limit`` (e.g. PHQ-9 < 5, QIDS-SR16 <= 5)."""

    option: str
    basis: RuleBasis
    comparison: Comparison
    limit: float

    def is_met(self, total: int) -> bool:
        return self.comparison.holds(total, self.limit)


@dataclass(frozen=True, slots=True)
class Instrument:
    """One outcome scale: its total range, response rule and the remission options with the selected one."""

    key: str
    label: str
    total_min: int
    total_max: int
    response: ResponseRule
    remission_options: Mapping[str, RemissionRule]
    remission: RemissionRule

    @classmethod
    def from_fields(cls, key: str, f: JsonFields, sources: SourceRegistry) -> Instrument:
        f.check_keys({"label", "total_min", "total_max", "response", "remission", *_PARAMETER_KEYS})
        sources.cite(f)
        total_min = f.get_int("total_min", low=0, high=_MAX_TOTAL)
        total_max = f.get_int("total_max", low=0, high=_MAX_TOTAL)
        if total_max <= total_min:
            raise f.fail("total_max", f"a total above total_min {total_min}", total_max)
        response = f.get_object("response")
        response.check_keys(BASIS_KEYS | {"reduction_at_least_pct"})
        remission = f.get_object("remission")
        remission.check_keys({"selected", "options", "notes"})
        options_fields = remission.get_object("options")
        options = {
            name: _read_remission(name, options_fields.get_object(name), sources, total_max)
            for name in options_fields.data
        }
        if not options:
            raise remission.fail("options", "at least one remission option")
        selected = remission.get_str("selected")
        if selected not in options:
            raise remission.fail("selected", "one of the options: " + ", ".join(sorted(options)), selected)
        return cls(
            key=key,
            label=f.get_str("label"),
            total_min=total_min,
            total_max=total_max,
            response=ResponseRule(
                basis=RuleBasis.from_fields(response, sources, placeholders=RESPONSE_PLACEHOLDERS),
                reduction_at_least_pct=_percent(response, "reduction_at_least_pct"),
            ),
            remission_options=options,
            remission=options[selected],
        )


def _read_remission(name: str, f: JsonFields, sources: SourceRegistry, total_max: int) -> RemissionRule:
    f.check_keys(BASIS_KEYS | {"comparison", "limit"})
    comparison = f.get_enum("comparison", Comparison)
    if comparison not in (Comparison.BELOW, Comparison.AT_OR_BELOW):
        raise f.fail("comparison", "< or <= (remission is a low score)", comparison.value)
    return RemissionRule(
        option=name,
        basis=RuleBasis.from_fields(f, sources, placeholders=REMISSION_PLACEHOLDERS),
        comparison=comparison,
        limit=f.get_number("limit", low=0, high=total_max),
    )


def _percent(f: JsonFields, key: str) -> float:
    value = f.get_number(key, low=0, high=100)
    if value <= 0:
        raise f.fail(key, "a percentage above 0", value)
    return value


@dataclass(frozen=True, slots=True)
class RelapseRule:
    """In a previous responder: reduction below ``reduction_below_pct`` on ``consecutive`` scores in a row."""

    basis: RuleBasis
    reduction_below_pct: float
    consecutive: int

    def is_lost(self, baseline_total: int, total: int) -> bool:
        """Response lost at this score: ``(baseline - total) * 100 < pct * baseline``, compared without division."""
        return (baseline_total - total) * 100 < self.reduction_below_pct * baseline_total


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where an outcome is read: the score nearest ``target_hours`` after its anchor, inside the window."""

    target_hours: float
    earliest_hours: float
    latest_hours: float
    source: str

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> Endpoint:
        f.check_keys({"target_hours", "earliest_hours", "latest_hours", *_PARAMETER_KEYS})
        earliest = f.get_number("earliest_hours", low=0, high=24 * 365)
        latest = f.get_number("latest_hours", low=0, high=24 * 365)
        target = f.get_number("target_hours", low=0, high=24 * 365)
        if not earliest <= target <= latest:
            raise f.fail("target_hours", f"a time from earliest_hours {earliest:g} to latest_hours {latest:g}", target)
        return cls(target_hours=target, earliest_hours=earliest, latest_hours=latest, source=sources.cite(f))


@dataclass(frozen=True, slots=True)
class OutcomeDefinitions:
    """The versioned definitions every outcome is computed with; findings cite them."""

    ref: RuleRef
    baseline_window_days: float
    baseline_source: str
    first_infusion_endpoint: Endpoint
    series_endpoint: Endpoint
    by_instrument: Mapping[str, Instrument]
    relapse: RelapseRule
    not_evaluable: Mapping[str, RuleBasis]

    @property
    def instruments(self) -> tuple[str, ...]:
        return tuple(self.by_instrument)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> OutcomeDefinitions:
        """Check and read an outcome-definitions file (parsed JSON); raises ``RuleDataError`` if it is malformed."""
        f = JsonFields.of(data, "", rule_data_error)
        f.check_keys(
            {"id", "version", "title", "notes", "sources", "baseline", "endpoints", "instruments", "relapse"}
            | {"not_evaluable"}
        )
        sources = SourceRegistry.from_fields(f.get_object("sources"))
        baseline = f.get_object("baseline")
        baseline.check_keys({"window_days", *_PARAMETER_KEYS})
        endpoints = f.get_object("endpoints")
        endpoints.check_keys({"first_infusion", "series", "notes"})
        instruments = f.get_object("instruments")
        for key in instruments.data:
            if not _INSTRUMENT.fullmatch(key):
                raise instruments.fail(key, "an instrument key of lower-case letters, digits and underscores", key)
        by_instrument = {
            key: Instrument.from_fields(key, instruments.get_object(key), sources) for key in instruments.data
        }
        if not by_instrument:
            raise f.fail("instruments", "at least one instrument")
        relapse = f.get_object("relapse")
        relapse.check_keys(BASIS_KEYS | {"reduction_below_pct", "consecutive_measurements"})
        relapse_rule = RelapseRule(
            basis=RuleBasis.from_fields(relapse, sources, placeholders=RELAPSE_PLACEHOLDERS),
            reduction_below_pct=_percent(relapse, "reduction_below_pct"),
            consecutive=relapse.get_int("consecutive_measurements", low=1, high=10),
        )
        for instrument in by_instrument.values():
            if relapse_rule.reduction_below_pct > instrument.response.reduction_at_least_pct:
                raise relapse.fail(
                    "reduction_below_pct",
                    f"at most the {instrument.key} response threshold {instrument.response.reduction_at_least_pct:g}"
                    " (a responder cannot have lost response at once)",
                    relapse_rule.reduction_below_pct,
                )
        not_evaluable = f.get_object("not_evaluable")
        not_evaluable.check_keys(set(NOT_EVALUABLE_PLACEHOLDERS))
        return cls(
            ref=RuleRef(
                id=f.get_str("id"),
                version=f.get_str("version", pattern=_VERSION, expected="a version such as 2026.11.0"),
            ),
            baseline_window_days=baseline.get_number("window_days", low=0, high=365),
            baseline_source=sources.cite(baseline),
            first_infusion_endpoint=Endpoint.from_fields(endpoints.get_object("first_infusion"), sources),
            series_endpoint=Endpoint.from_fields(endpoints.get_object("series"), sources),
            by_instrument=by_instrument,
            relapse=relapse_rule,
            not_evaluable={
                key: _read_row(not_evaluable, key, sources, placeholders)
                for key, placeholders in NOT_EVALUABLE_PLACEHOLDERS.items()
            },
        )

    def get_instrument(self, key: str, *, field: str = "instrument") -> Instrument:
        """The instrument by key; an unknown key is the caller's input error."""
        instrument = self.by_instrument.get(key)
        if instrument is None:
            raise InputError(field, "one of " + ", ".join(self.instruments), key)
        return instrument

    def select_remission(self, instrument: str, option: str) -> OutcomeDefinitions:
        """The same definitions with another published remission option selected (e.g. MADRS <= 10).

        The selection shows in every finding's rule id and source, and in the version of ``ref``
        (``2026.11.0+madrs.trials_at_or_below_10``), so outcomes computed with one selection are never
        summarised with another.
        """
        chosen = self.get_instrument(instrument)
        rule = chosen.remission_options.get(option)
        if rule is None:
            raise InputError("remission_option", "one of " + ", ".join(chosen.remission_options), option)
        if rule == chosen.remission:
            return self
        return replace(
            self,
            ref=RuleRef(id=self.ref.id, version=f"{self.ref.version}+{instrument}.{option}"),
            by_instrument={**self.by_instrument, instrument: replace(chosen, remission=rule)},
        )


def _read_row(f: JsonFields, key: str, sources: SourceRegistry, placeholders: tuple[str, ...]) -> RuleBasis:
    row = f.get_object(key)
    row.check_keys(BASIS_KEYS)
    return RuleBasis.from_fields(row, sources, placeholders=placeholders)
