"""Flags on a scored questionnaire (PHQ-9 item 9 above 0, C-SSRS high risk): cited rule rows that become findings.

A flag row holds one or more conditions, all of which must hold: ``bands`` (the result's band or triage
level is one of these), ``any_yes`` (a yes to any of these items) and ``item`` with ``points_at_least``
(that item scored at least so many points). Its ``effect`` says how loud it is: ``block`` or ``hold`` is an
urgent alert to the physician, ``warn`` is shown with the result, ``info`` is recorded for the basis only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ketaflow.domain.basis import Finding, JsonValue
from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis, SourceRegistry
from ketaflow.domain.scales.items import Answer, ScaleItem
from ketaflow.domain.scales.scoring_rules import Scoring, read_yes_items

_PLACEHOLDERS = ("band", "total", "positive_items")
_ITEM_PLACEHOLDERS = ("item", "points", "answer")


@dataclass(frozen=True, slots=True)
class ScoredAnswers:
    """What a flag may look at: the recorded answers (None = skipped), their points, total and band."""

    items: Mapping[str, ScaleItem]
    answers: Mapping[str, Answer | None]
    points: Mapping[str, int]
    total: int | None
    band: str | None

    @property
    def positive_items(self) -> tuple[str, ...]:
        return tuple(item_id for item_id, answer in self.answers.items() if answer is True)


@dataclass(frozen=True, slots=True)
class FlagRule:
    """One flag: its conditions and the cited basis its finding is built from."""

    basis: RuleBasis
    bands: tuple[str, ...] = ()
    any_yes: tuple[str, ...] = ()
    item: str | None = None
    points_at_least: int = 0

    @classmethod
    def from_fields(
        cls, f: JsonFields, items: Mapping[str, ScaleItem], scoring: Scoring, sources: SourceRegistry
    ) -> FlagRule:
        f.check_keys(BASIS_KEYS | {"bands", "any_yes", "item", "points_at_least"})
        bands = f.get_strs("bands")
        for band in bands:
            if band not in scoring.band_ids:
                raise f.fail("bands", "band ids of this scale (" + ", ".join(scoring.band_ids) + ")", band)
        any_yes = read_yes_items(f, "any_yes", items) if f.has("any_yes") else ()
        item: str | None = None
        points_at_least = 0
        if f.has("item"):
            item = f.get_str("item")
            if item not in items:
                raise f.fail("item", "an item id of this scale", item)
            points_at_least = f.get_int("points_at_least", low=1, high=items[item].max_points)
        elif f.has("points_at_least"):
            raise f.fail("points_at_least", "no value without an item")
        if not (bands or any_yes or item):
            raise f.fail("id", "a flag with at least one condition: bands, any_yes, or item with points_at_least")
        placeholders = _PLACEHOLDERS + (_ITEM_PLACEHOLDERS if item else ())
        return cls(
            basis=RuleBasis.from_fields(f, sources, placeholders=placeholders),
            bands=bands,
            any_yes=any_yes,
            item=item,
            points_at_least=points_at_least,
        )

    def holds(self, scored: ScoredAnswers) -> bool:
        """Every condition of the row holds (a skipped item never reaches ``points_at_least``)."""
        if self.bands and scored.band not in self.bands:
            return False
        if self.any_yes and not any(scored.answers.get(item_id) is True for item_id in self.any_yes):
            return False
        return self.item is None or scored.points.get(self.item, 0) >= self.points_at_least

    def evaluate(self, scored: ScoredAnswers) -> Finding | None:
        """The finding, with the answers it used as inputs, if the flag's conditions hold."""
        if not self.holds(scored):
            return None
        values = {
            "band": scored.band or "none",
            "total": "none" if scored.total is None else str(scored.total),
            "positive_items": ", ".join(scored.positive_items) or "none",
        }
        used = set(self.any_yes)
        inputs: dict[str, JsonValue] = {}
        if self.bands:
            inputs["band"] = scored.band
            used |= set(scored.answers)  # the band came from every answer
        if self.item is not None:
            answer = scored.answers.get(self.item)
            option = scored.items[self.item].get_option(answer)
            values |= {
                "item": self.item,
                "points": str(scored.points.get(self.item, 0)),
                "answer": "not asked" if option is None else option.label,
            }
            used.add(self.item)
        inputs |= {f"items.{item_id}": scored.answers.get(item_id) for item_id in scored.answers if item_id in used}
        return self.basis.make_finding(values, inputs)
