"""The discharge criteria as rule data: each criterion's parameters and its rows (met, unmet, missing data).

Every row is a cited rule row (``id``, ``effect``, ``message``, ``sources``, ``confidence``). The row's role
fixes its effect, and the reader refuses any other: a met criterion is ``info``, an unmet one ``hold`` and
missing data ``insufficient_data``, so a clinic's edit cannot turn "no PADSS yet" into a pass.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ketaflow.domain.basis import Effect
from ketaflow.domain.recovery.scales import RecoveryScale
from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis, SourceRegistry
from ketaflow.domain.vitals import VitalSign

# Longest minimum observation a rule file may set: one day, far beyond any published figure (clinical.md §3.7).
_MAX_OBSERVATION_MIN = 24 * 60
# Consecutive qualifying scores a rule file may ask for; the published protocol asks for two (clinical.md §4.1).
_MAX_CONSECUTIVE = 5

SCORE_PLACEHOLDERS = (
    "instrument",
    "total",
    "max_total",
    "minimum_total",
    "totals",
    "consecutive_required",
    "consecutive_count",
)
ITEM_MINIMUM_PLACEHOLDERS = ("instrument", "item", "item_label", "points", "minimum_points")
SIGN_PLACEHOLDERS = ("sign", "latest", "baseline", "unit", "deviation_percent", "direction", "within_percent")
OBSERVATION_PLACEHOLDERS = ("minutes_since_end", "minimum_min", "remaining_min")
ESCORT_PLACEHOLDERS = ("escort_name",)


def read_row(
    f: JsonFields, key: str, sources: SourceRegistry, placeholders: Collection[str], effect: Effect
) -> RuleBasis:
    """One rule row whose effect is fixed by its role in the criterion."""
    row = f.get_object(key)
    row.check_keys(BASIS_KEYS)
    basis = RuleBasis.from_fields(row, sources, placeholders=placeholders)
    if basis.effect is not effect:
        raise row.fail("effect", f"{effect.value} (the effect of a '{key}' row)", basis.effect.value)
    return basis


@dataclass(frozen=True, slots=True)
class ItemMinimum:
    """An item that must score at least ``points`` whatever the total (e.g. SpO2 on room air)."""

    item: str
    label: str
    points: int


@dataclass(frozen=True, slots=True)
class ScoreCriterion:
    """A scale's total must reach ``minimum_total`` on the last ``consecutive_required`` assessments."""

    required: bool
    minimum_total: int
    consecutive_required: int
    item_minimums: tuple[ItemMinimum, ...]
    met: RuleBasis
    below_threshold: RuleBasis
    missing: RuleBasis
    not_consecutive: RuleBasis | None
    item_below_minimum: RuleBasis | None
    not_required: RuleBasis | None

    @classmethod
    def from_fields(
        cls, f: JsonFields, scale: RecoveryScale, sources: SourceRegistry, *, max_consecutive: int = _MAX_CONSECUTIVE
    ) -> ScoreCriterion:
        f.check_keys(
            {
                "required",
                "minimum_total",
                "consecutive_required",
                "item_minimums",
                "met",
                "below_threshold",
                "missing",
                "not_consecutive",
                "item_below_minimum",
                "not_required",
                "notes",
            }
        )
        required = f.get_bool("required")
        consecutive = f.get_int("consecutive_required", low=1, high=max_consecutive)
        minimums: list[ItemMinimum] = []
        for row in f.get_objects("item_minimums"):
            row.check_keys({"item", "points", "notes"})
            item = scale.get_item(row.get_str("item"))
            if item is None:
                raise row.fail("item", f"an item of {scale.instrument.value}", row.data.get("item"))
            points = row.get_int("points", low=0, high=item.max_points)
            if points not in item.allowed_points:
                raise row.fail("points", f"points of a level of item {item.id}", points)
            minimums.append(ItemMinimum(item=item.id, label=item.label, points=points))

        def optional_row(key: str, wanted: bool, effect: Effect, placeholders: Collection[str]) -> RuleBasis | None:
            if wanted:
                return read_row(f, key, sources, placeholders, effect)
            if f.has(key):
                raise f.fail(key, "no row (this rule set never applies it)", None)
            return None

        return cls(
            required=required,
            minimum_total=f.get_int("minimum_total", low=1, high=scale.max_total),
            consecutive_required=consecutive,
            item_minimums=tuple(minimums),
            met=read_row(f, "met", sources, SCORE_PLACEHOLDERS, Effect.INFO),
            below_threshold=read_row(f, "below_threshold", sources, SCORE_PLACEHOLDERS, Effect.HOLD),
            missing=read_row(f, "missing", sources, SCORE_PLACEHOLDERS, Effect.INSUFFICIENT_DATA),
            not_consecutive=optional_row("not_consecutive", consecutive > 1, Effect.HOLD, SCORE_PLACEHOLDERS),
            item_below_minimum=optional_row(
                "item_below_minimum", bool(minimums), Effect.HOLD, ITEM_MINIMUM_PLACEHOLDERS
            ),
            not_required=optional_row("not_required", not required, Effect.INFO, SCORE_PLACEHOLDERS),
        )

    def list_bases(self) -> list[RuleBasis]:
        optional = (self.not_consecutive, self.item_below_minimum, self.not_required)
        return [self.met, self.below_threshold, self.missing, *(row for row in optional if row is not None)]


@dataclass(frozen=True, slots=True)
class BaselineSign:
    sign: VitalSign
    required: bool


@dataclass(frozen=True, slots=True)
class NearBaselineCriterion:
    """Each listed sign within ``within_percent`` of its pre-infusion value (inclusive, see baseline.py)."""

    within_percent: float
    signs: tuple[BaselineSign, ...]
    near: RuleBasis
    not_near: RuleBasis
    vitals_missing: RuleBasis
    sign_not_recorded: RuleBasis
    baseline_not_recorded: RuleBasis

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> NearBaselineCriterion:
        f.check_keys(
            {
                "within_percent",
                "signs",
                "near",
                "not_near",
                "vitals_missing",
                "sign_not_recorded",
                "baseline_not_recorded",
                "notes",
            }
        )
        signs: list[BaselineSign] = []
        for row in f.get_objects("signs"):
            row.check_keys({"sign", "required", "notes"})
            sign = row.get_enum("sign", VitalSign)
            if any(known.sign is sign for known in signs):
                raise row.fail("sign", "each sign listed once", sign.value)
            signs.append(BaselineSign(sign=sign, required=row.get_bool("required")))
        if not any(sign.required for sign in signs):
            raise f.fail("signs", "at least one required sign (vitals must be compared, never assumed)")
        return cls(
            within_percent=f.get_number("within_percent", low=1, high=100),
            signs=tuple(signs),
            near=read_row(f, "near", sources, SIGN_PLACEHOLDERS, Effect.INFO),
            not_near=read_row(f, "not_near", sources, SIGN_PLACEHOLDERS, Effect.HOLD),
            vitals_missing=read_row(f, "vitals_missing", sources, (), Effect.INSUFFICIENT_DATA),
            sign_not_recorded=read_row(f, "sign_not_recorded", sources, SIGN_PLACEHOLDERS, Effect.INSUFFICIENT_DATA),
            baseline_not_recorded=read_row(
                f, "baseline_not_recorded", sources, SIGN_PLACEHOLDERS, Effect.INSUFFICIENT_DATA
            ),
        )

    def list_bases(self) -> list[RuleBasis]:
        return [self.near, self.not_near, self.vitals_missing, self.sign_not_recorded, self.baseline_not_recorded]


@dataclass(frozen=True, slots=True)
class ObservationCriterion:
    """At least ``minimum_min`` minutes since the infusion ended."""

    minimum_min: float
    met: RuleBasis
    not_passed: RuleBasis

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> ObservationCriterion:
        f.check_keys({"minimum_min", "met", "not_passed", "notes"})
        return cls(
            minimum_min=f.get_number("minimum_min", low=0, high=_MAX_OBSERVATION_MIN),
            met=read_row(f, "met", sources, OBSERVATION_PLACEHOLDERS, Effect.INFO),
            not_passed=read_row(f, "not_passed", sources, OBSERVATION_PLACEHOLDERS, Effect.HOLD),
        )


@dataclass(frozen=True, slots=True)
class EscortCriterion:
    """A named adult takes the patient home."""

    named: RuleBasis
    missing: RuleBasis

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> EscortCriterion:
        f.check_keys({"named", "missing", "notes"})
        return cls(
            named=read_row(f, "named", sources, ESCORT_PLACEHOLDERS, Effect.INFO),
            missing=read_row(f, "missing", sources, (), Effect.HOLD),
        )
