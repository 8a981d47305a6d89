"""The recovery scales (PADSS, modified Aldrete) as rule data: items, levels and the circulation rule.

Each item lists its levels, each with the points it scores and the wording the nurse picks from; the
scale's total is the sum of the item points. Which published variant a rule set uses (PADSS original or
modified; Aldrete circulation in % or mmHg) is stated in the rule file, with the alternatives in its notes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.recovery.baseline import DeviationUnit, measure_deviation
from ketaflow.domain.ruledata.fields import ErrorFactory, JsonFields, input_error
from ketaflow.domain.ruledata.rulebasis import SourceRegistry
from ketaflow.domain.vitals import Vitals, VitalSign

_ITEM_ID = re.compile(r"[a-z][a-z0-9_]*")
_ITEM_ID_EXPECTED = "an item id of lower-case letters, digits and underscores"
# Points of one level: every published recovery scale scores items 0-2; 0-10 leaves room for a variant.
_POINTS = (0, 10)
_BP_SIGNS = frozenset({VitalSign.SYSTOLIC, VitalSign.DIASTOLIC})


class Instrument(StrEnum):
    PADSS = "padss"
    ALDRETE = "aldrete"


@dataclass(frozen=True, slots=True)
class ItemLevel:
    """One answer of an item: the points it scores and the wording shown to the nurse."""

    points: int
    wording: str


@dataclass(frozen=True, slots=True)
class ScaleItem:
    """One scored item with its levels, highest points first; ``source`` is its cited basis."""

    id: str
    label: str
    levels: tuple[ItemLevel, ...]
    source: str | None = None

    @property
    def allowed_points(self) -> tuple[int, ...]:
        return tuple(level.points for level in self.levels)

    @property
    def max_points(self) -> int:
        return max(self.allowed_points)

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> ScaleItem:
        f.check_keys({"id", "label", "levels", "sources", "confidence", "notes"})
        levels: list[ItemLevel] = []
        for level in f.get_objects("levels"):
            level.check_keys({"points", "wording"})
            points = level.get_int("points", low=_POINTS[0], high=_POINTS[1])
            if any(known.points == points for known in levels):
                raise level.fail("points", "points used by one level only", points)
            levels.append(ItemLevel(points=points, wording=level.get_str("wording")))
        if not levels:
            raise f.fail("levels", "at least one level")
        return cls(
            id=f.get_str("id", pattern=_ITEM_ID, expected=_ITEM_ID_EXPECTED),
            label=f.get_str("label"),
            levels=tuple(sorted(levels, key=lambda level: -level.points)),
            source=sources.cite(f),
        )


@dataclass(frozen=True, slots=True)
class DeviationBand:
    """A deviation up to ``within`` (inclusive) scores ``points``."""

    within: float
    points: int


@dataclass(frozen=True, slots=True)
class CirculationRule:
    """How the blood-pressure item is scored from the latest reading against the pre-infusion one."""

    item: str
    signs: tuple[VitalSign, ...]
    unit: DeviationUnit
    bands: tuple[DeviationBand, ...]  # narrowest first
    beyond_points: int
    source: str

    @classmethod
    def from_fields(cls, f: JsonFields, items: tuple[ScaleItem, ...], sources: SourceRegistry) -> CirculationRule:
        f.check_keys({"item", "signs", "unit", "bands", "beyond_points", "sources", "confidence", "notes"})
        by_id = {item.id: item for item in items}
        item_id = f.get_str("item")
        if item_id not in by_id:
            raise f.fail("item", "one of the scale's item ids (" + ", ".join(by_id) + ")", item_id)
        allowed = by_id[item_id].allowed_points
        signs = f.get_enums("signs", VitalSign)
        if not signs or len(set(signs)) != len(signs) or not set(signs) <= _BP_SIGNS:
            raise f.fail("signs", "systolic_mmhg and/or diastolic_mmhg, each once", list(signs))
        bands: list[DeviationBand] = []
        for band in f.get_objects("bands"):
            band.check_keys({"within", "points"})
            within = band.get_number("within", low=0, high=300)
            points = band.get_int("points", low=_POINTS[0], high=_POINTS[1])
            if points not in allowed:
                raise band.fail("points", f"points of a level of item {item_id}", points)
            if bands and (within <= bands[-1].within or points >= bands[-1].points):
                raise band.fail("within", "bands ordered by a wider deviation scoring fewer points", within)
            bands.append(DeviationBand(within=within, points=points))
        if not bands:
            raise f.fail("bands", "at least one band")
        beyond = f.get_int("beyond_points", low=_POINTS[0], high=_POINTS[1])
        if beyond not in allowed or beyond >= bands[-1].points:
            raise f.fail("beyond_points", f"points of a level of item {item_id}, below the widest band", beyond)
        return cls(
            item=item_id,
            signs=signs,
            unit=f.get_enum("unit", DeviationUnit),
            bands=tuple(bands),
            beyond_points=beyond,
            source=sources.cite(f),
        )

    def score(self, *, baseline: Vitals, latest: Vitals) -> int | None:
        """The worst points over the signs measured in both readings; None if none of them was."""
        scored: list[int] = []
        for sign in self.signs:
            deviation = measure_deviation(sign, baseline=baseline, latest=latest)
            if deviation is None:
                continue
            band_points = (band.points for band in self.bands if deviation.is_within(band.within, self.unit))
            scored.append(next(band_points, self.beyond_points))
        return min(scored) if scored else None


@dataclass(frozen=True, slots=True)
class RecoveryScale:
    """One instrument as the rule set defines it."""

    instrument: Instrument
    title: str
    variant: str
    items: tuple[ScaleItem, ...]
    circulation: CirculationRule
    source: str

    @property
    def max_total(self) -> int:
        return sum(item.max_points for item in self.items)

    def get_item(self, item_id: str) -> ScaleItem | None:
        return next((item for item in self.items if item.id == item_id), None)

    @classmethod
    def from_fields(cls, f: JsonFields, instrument: Instrument, sources: SourceRegistry) -> RecoveryScale:
        f.check_keys({"title", "variant", "items", "circulation", "sources", "confidence", "notes"})
        items = tuple(ScaleItem.from_fields(row, sources) for row in f.get_objects("items"))
        if not items:
            raise f.fail("items", "at least one item")
        ids = [item.id for item in items]
        duplicate = next((item_id for item_id in ids if ids.count(item_id) > 1), None)
        if duplicate is not None:
            raise f.fail("items", "item ids used once each", duplicate)
        return cls(
            instrument=instrument,
            title=f.get_str("title"),
            variant=f.get_str("variant"),
            items=items,
            circulation=CirculationRule.from_fields(f.get_object("circulation"), items, sources),
            source=sources.cite(f),
        )


@dataclass(frozen=True, slots=True)
class RecoveryScore:
    """One scored assessment: the points of each item (in the scale's order) and their sum."""

    instrument: Instrument
    items: Mapping[str, int]
    total: int
    max_total: int

    @classmethod
    def from_json(cls, value: object, path: str = "score", error: ErrorFactory = input_error) -> RecoveryScore:
        """Read a stored score (the ``to_json`` form); ``evaluate_discharge`` re-checks it against its rule set.

        >>> stored = {"instrument": "aldrete", "items": {"activity": 2}, "total": 2, "max_total": 2}
        >>> RecoveryScore.from_json(stored).items["activity"]
        2
        """
        f = JsonFields.of(value, path, error)
        f.check_keys({"instrument", "items", "total", "max_total"})
        items = f.get_object("items")
        points = {key: items.get_int(key, low=_POINTS[0], high=_POINTS[1]) for key in items.data}
        most = _POINTS[1] * len(points)
        return cls(
            instrument=f.get_enum("instrument", Instrument),
            items=MappingProxyType(points),
            total=f.get_int("total", low=0, high=most),
            max_total=f.get_int("max_total", low=0, high=most),
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "instrument": self.instrument.value,
            "items": dict(self.items),
            "total": self.total,
            "max_total": self.max_total,
        }


def make_score(scale: RecoveryScale, points: Mapping[str, int]) -> RecoveryScore:
    """A score from points already checked against the scale."""
    ordered = {item.id: points[item.id] for item in scale.items}
    return RecoveryScore(
        instrument=scale.instrument,
        items=MappingProxyType(ordered),
        total=sum(ordered.values()),
        max_total=scale.max_total,
    )
