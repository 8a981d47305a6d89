"""How an instrument is scored and banded, as cited rule data: sum, domain scores, or a triage on yes answers.

* ``sum``: the total is the sum of the items' points (PHQ-9, GAD-7, MADRS).
* ``domains``: each domain scores the highest (``max``) or the sum of its items' points, and the total is
  the sum of the domain scores (QIDS-SR16: sleep = max of items 1-4, and so on).
* ``triage``: no numeric total; the band is the first triage level with a yes to one of its items, or the
  closing ``otherwise`` level (C-SSRS screener: high / moderate / low).

Score bands must cover every total from 0 to the instrument's maximum exactly once, so no total is left
without a band and none falls in two.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import SourceRegistry
from ketaflow.domain.scales.items import ScaleItem

BAND_ID = re.compile(r"[a-z][a-z0-9_]*")
_CITE_KEYS = frozenset({"sources", "confidence", "notes"})
_MAX_TOTAL_BOUND = 10_000  # for reading rule data only: far above any instrument's total


class ScoringMethod(StrEnum):
    SUM = "sum"
    DOMAINS = "domains"
    TRIAGE = "triage"


class Combine(StrEnum):
    """How a domain combines its items' points."""

    MAX = "max"
    SUM = "sum"

    def apply(self, points: Sequence[int]) -> int:
        """
        >>> Combine.MAX.apply([1, 3, 0]), Combine.SUM.apply([1, 3, 0])
        (3, 4)
        """
        return max(points) if self is Combine.MAX else sum(points)


@dataclass(frozen=True, slots=True)
class Domain:
    """A group of items scored as one (QIDS-SR16 sleep: the highest of items 1-4)."""

    id: str
    items: tuple[str, ...]
    combine: Combine

    def max_points(self, items: Mapping[str, ScaleItem]) -> int:
        return self.combine.apply([items[item_id].max_points for item_id in self.items])


@dataclass(frozen=True, slots=True)
class ScoreBand:
    """A severity band: totals from ``min_total`` to ``max_total`` inclusive."""

    id: str
    label: str
    min_total: int
    max_total: int
    source: str

    def contains(self, total: int) -> bool:
        return self.min_total <= total <= self.max_total


@dataclass(frozen=True, slots=True)
class TriageLevel:
    """A triage level reached by a yes to any of ``any_yes``; the last level (``otherwise``) has none."""

    id: str
    label: str
    any_yes: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class Scoring:
    """The scoring method with its domains, bands or triage levels, and its cited source."""

    method: ScoringMethod
    max_total: int
    source: str
    domains: tuple[Domain, ...] = ()
    bands: tuple[ScoreBand, ...] = ()
    triage: tuple[TriageLevel, ...] = ()

    @property
    def band_ids(self) -> tuple[str, ...]:
        return tuple(b.id for b in self.bands) + tuple(t.id for t in self.triage)


def read_scoring(f: JsonFields, items: Mapping[str, ScaleItem], sources: SourceRegistry) -> Scoring:
    """Read a scale file's ``scoring`` object and its ``bands`` list, checked against its items."""
    scoring = f.get_object("scoring")
    scoring.check_keys({"method", "max_total", "domains"} | _CITE_KEYS)
    method = scoring.get_enum("method", ScoringMethod)
    source = sources.cite(scoring)
    if method is ScoringMethod.TRIAGE:
        if scoring.has("max_total") or scoring.has("domains"):
            raise scoring.fail("method", "no max_total or domains for a triage (it has no numeric total)")
        return _unique_ids(f, Scoring(method, 0, source, triage=_read_triage(f, items, sources)))
    domains = _read_domains(scoring, items) if method is ScoringMethod.DOMAINS else ()
    if method is ScoringMethod.SUM and scoring.has("domains"):
        raise scoring.fail("domains", "no domains for a plain sum (use method domains)")
    max_total = sum(d.max_points(items) for d in domains) if domains else sum(i.max_points for i in items.values())
    declared = scoring.get_int("max_total", low=1, high=_MAX_TOTAL_BOUND)
    if declared != max_total:
        raise scoring.fail("max_total", f"{max_total}, the highest total the items and domains allow", declared)
    return _unique_ids(f, Scoring(method, max_total, source, domains=domains, bands=_read_bands(f, max_total, sources)))


def _unique_ids(f: JsonFields, scoring: Scoring) -> Scoring:
    for key, ids in (("bands", scoring.band_ids), ("scoring", tuple(d.id for d in scoring.domains))):
        for name in ids:
            if ids.count(name) > 1:
                raise f.fail(key, "ids used once each", name)
    return scoring


def _read_domains(f: JsonFields, items: Mapping[str, ScaleItem]) -> tuple[Domain, ...]:
    domains: list[Domain] = []
    seen: set[str] = set()
    for row in f.get_objects("domains"):
        row.check_keys({"id", "items", "combine", "notes"})
        domain_items = row.get_strs("items")
        for item_id in domain_items:
            if item_id not in items:
                raise row.fail("items", "item ids of this scale", item_id)
            if item_id in seen:
                raise row.fail("items", "each item in one domain only", item_id)
            seen.add(item_id)
        if not domain_items:
            raise row.fail("items", "at least one item")
        domains.append(
            Domain(
                id=row.get_str("id", pattern=BAND_ID, expected="a lower-case domain id"),
                items=domain_items,
                combine=row.get_enum("combine", Combine),
            )
        )
    missing = [item_id for item_id in items if item_id not in seen]
    if missing:
        raise f.fail("domains", "every item in a domain", missing[0])
    return tuple(domains)


def _read_bands(f: JsonFields, max_total: int, sources: SourceRegistry) -> tuple[ScoreBand, ...]:
    bands: list[ScoreBand] = []
    next_total = 0
    for row in f.get_objects("bands"):
        row.check_keys({"id", "label", "min_total", "max_total"} | _CITE_KEYS)
        low = row.get_int("min_total", low=0, high=max_total)
        if low != next_total:
            raise row.fail("min_total", f"{next_total} (bands in order, no gap or overlap)", low)
        high = row.get_int("max_total", low=low, high=max_total)
        bands.append(
            ScoreBand(
                id=row.get_str("id", pattern=BAND_ID, expected="a lower-case band id"),
                label=row.get_str("label"),
                min_total=low,
                max_total=high,
                source=sources.cite(row),
            )
        )
        next_total = high + 1
    if next_total != max_total + 1:
        raise f.fail("bands", f"bands that reach the maximum total {max_total}")
    return tuple(bands)


def _read_triage(f: JsonFields, items: Mapping[str, ScaleItem], sources: SourceRegistry) -> tuple[TriageLevel, ...]:
    rows = list(f.get_objects("bands"))
    if len(rows) < 2:
        raise f.fail("bands", "at least two triage levels (the last one with otherwise: true)")
    levels: list[TriageLevel] = []
    for index, row in enumerate(rows):
        row.check_keys({"id", "label", "any_yes", "otherwise"} | _CITE_KEYS)
        last = index == len(rows) - 1
        if last:
            if not row.has("otherwise") or not row.get_bool("otherwise") or row.has("any_yes"):
                raise row.fail("otherwise", "true on the last level, with no any_yes (it applies when none above do)")
            any_yes: tuple[str, ...] = ()
        else:
            if row.has("otherwise"):
                raise row.fail("otherwise", "only on the last level")
            any_yes = read_yes_items(row, "any_yes", items)
        levels.append(
            TriageLevel(
                id=row.get_str("id", pattern=BAND_ID, expected="a lower-case level id"),
                label=row.get_str("label"),
                any_yes=any_yes,
                source=sources.cite(row),
            )
        )
    return tuple(levels)


def read_yes_items(f: JsonFields, key: str, items: Mapping[str, ScaleItem]) -> tuple[str, ...]:
    """A non-empty list of yes/no item ids."""
    ids = f.get_strs(key)
    if not ids:
        raise f.fail(key, "at least one yes/no item id")
    for item_id in ids:
        if item_id not in items or not items[item_id].is_yes_no:
            raise f.fail(key, "ids of this scale's yes/no items", item_id)
    return ids
