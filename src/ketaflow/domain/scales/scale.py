"""One questionnaire as versioned, cited rule data: items, scoring, bands, flags and the licence basis of its text.

``Scale.from_dict`` checks a whole file (rules/scales/<instrument>.json) and raises ``RuleDataError`` on
anything malformed, so a bad file fails when it is loaded, never while a patient's answers are scored.

The licence decides what text ships: ``embedded`` (PHQ-9, GAD-7: the instrument's wording, with its
attribution) or ``identifiers_only`` (QIDS-SR16, MADRS, C-SSRS: item ids and short neutral labels of
ketaflow's own) until a clinic loads wording it is licensed for (``Scale.with_item_text``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ketaflow.domain.basis import RuleRef
from ketaflow.domain.ruledata.fields import ErrorFactory, JsonFields, rule_data_error
from ketaflow.domain.ruledata.rulebasis import SourceRegistry
from ketaflow.domain.scales.flags import FlagRule
from ketaflow.domain.scales.items import Answer, Respondent, ScaleItem, read_answer_sets, read_item
from ketaflow.domain.scales.scoring_rules import Scoring, read_scoring

_VERSION = re.compile(r"[0-9]{4}\.[0-9]{1,2}\.[0-9]+")
_SCALE_ID = re.compile(r"[a-z][a-z0-9_]*")
_MAX_ITEM_TEXT_CHARS = 2000  # an item's wording, not a document: longer text is a wrong file


class ItemTextPolicy(StrEnum):
    """Whether the instrument's own wording may ship with ketaflow."""

    EMBEDDED = "embedded"
    IDENTIFIERS_ONLY = "identifiers_only"


@dataclass(frozen=True, slots=True)
class LicenceBasis:
    """The permission basis for the item text that ships, with its cited source."""

    item_text: ItemTextPolicy
    basis: str
    source: str

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> LicenceBasis:
        f.check_keys({"item_text", "basis", "sources", "confidence", "notes"})
        return cls(
            item_text=f.get_enum("item_text", ItemTextPolicy),
            basis=f.get_str("basis"),
            source=sources.cite(f),
        )


@dataclass(frozen=True, slots=True)
class Scale:
    """One instrument at one version: what to ask, how to score and band it, and what to flag."""

    ref: RuleRef
    title: str
    respondent: Respondent
    items: tuple[ScaleItem, ...]
    attribution: str
    recall_period: str
    instructions: str
    licence: LicenceBasis
    scoring: Scoring
    flags: tuple[FlagRule, ...]

    @property
    def id(self) -> str:
        """The instrument id (``phq9``), as the CLI, the API and stored results name it."""
        return self.ref.id

    @property
    def max_total(self) -> int:
        """The highest possible total; 0 for a triage-only instrument (no numeric total)."""
        return self.scoring.max_total

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Scale:
        """Check and read a scale file (parsed JSON); raises ``RuleDataError`` if it is malformed."""
        f = JsonFields.of(data, "", rule_data_error)
        f.check_keys(
            {
                "id",
                "version",
                "title",
                "respondent",
                "recall_period",
                "instructions",
                "attribution",
                "notes",
                "sources",
                "licence",
                "answer_sets",
                "items",
                "scoring",
                "bands",
                "flags",
            }
        )
        sources = SourceRegistry.from_fields(f.get_object("sources"))
        licence = LicenceBasis.from_fields(f.get_object("licence"), sources)
        answer_sets = read_answer_sets(f.get_object("answer_sets"))
        items: dict[str, ScaleItem] = {}
        for row in f.get_objects("items"):
            item = read_item(row, answer_sets, items, licensed_wording=licence.item_text is ItemTextPolicy.EMBEDDED)
            items[item.id] = item
        if not items:
            raise f.fail("items", "at least one item")
        scoring = read_scoring(f, items, sources)
        return cls(
            ref=RuleRef(
                id=f.get_str("id", pattern=_SCALE_ID, expected="a lower-case instrument id such as phq9"),
                version=f.get_str("version", pattern=_VERSION, expected="a version such as 2026.11.0"),
            ),
            title=f.get_str("title"),
            respondent=f.get_enum("respondent", Respondent),
            items=tuple(items.values()),
            attribution=f.get_str("attribution"),
            recall_period=f.get_str("recall_period"),
            instructions=f.get_str("instructions"),
            licence=licence,
            scoring=scoring,
            flags=_read_flags(f, items, scoring, sources),
        )

    def with_item_text(
        self, texts: Mapping[str, object], *, origin: str = "item text", error: ErrorFactory = rule_data_error
    ) -> Scale:
        """This scale showing a clinic's licensed wording for the items in ``texts`` (the others keep theirs).

        An unknown item id or an empty text is refused, naming ``origin`` (the clinic's file) and the item.
        """
        f = JsonFields.of(texts, f"{origin} items", error)
        f.check_keys(self.item_ids)
        wording: dict[str, str] = {}
        for item_id in texts:
            text = f.get_str(item_id)
            if len(text) > _MAX_ITEM_TEXT_CHARS:
                raise f.fail(item_id, f"an item text of at most {_MAX_ITEM_TEXT_CHARS} characters", text[:40] + "...")
            wording[item_id] = text
        items = tuple(
            dataclasses.replace(item, text=wording[item.id], text_is_licensed_wording=True)
            if item.id in wording
            else item
            for item in self.items
        )
        return dataclasses.replace(self, items=items)

    def is_asked(self, item: ScaleItem, answers: Mapping[str, Answer | None]) -> bool:
        """Whether the skip logic asks this item, given the answers so far (C-SSRS: q3-q5 only after a yes to q2)."""
        condition = item.asked_when
        if condition is None:
            return True
        answer = answers.get(condition.item)
        return type(answer) is type(condition.answer) and answer == condition.answer

    def visible_items(self, answers: Mapping[str, Answer | None]) -> tuple[ScaleItem, ...]:
        """The items to ask, in order, given the answers so far (an item hides what it skips)."""
        shown: dict[str, Answer | None] = {}
        visible: list[ScaleItem] = []
        for item in self.items:
            if self.is_asked(item, shown):
                visible.append(item)
                shown[item.id] = answers.get(item.id)
        return tuple(visible)


def _read_flags(
    f: JsonFields, items: Mapping[str, ScaleItem], scoring: Scoring, sources: SourceRegistry
) -> tuple[FlagRule, ...]:
    flags = tuple(FlagRule.from_fields(row, items, scoring, sources) for row in f.get_objects("flags"))
    ids = [flag.basis.rule_id for flag in flags]
    for rule_id in ids:
        if ids.count(rule_id) > 1:
            raise f.fail("flags", "rule ids used once each", rule_id)
    return flags
