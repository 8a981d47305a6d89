"""A questionnaire's items: who answers, the allowed answers with their points, and when an item is asked.

Answers are JSON values: a whole number (PHQ-9, GAD-7, QIDS-SR16, MADRS) or ``true``/``false`` (the C-SSRS
screener). An answer matches an option only if it has the option's JSON type, so ``true`` never passes for
``1`` and ``2.0`` never passes for ``2``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from ketaflow.domain.ruledata.fields import JsonFields

Answer: TypeAlias = int | bool

ITEM_ID = re.compile(r"[a-z][a-z0-9_]*")
_SET_NAME = re.compile(r"[a-z][a-z0-9_]*")
# Bounds for reading rule data only: far above any item's points on the shipped instruments.
_MAX_ANSWER_VALUE = 100
_MAX_POINTS = 100


class Respondent(StrEnum):
    """Who gives the answers: the patient (self-report) or a clinician (rated or asked at interview)."""

    PATIENT = "patient"
    CLINICIAN = "clinician"


@dataclass(frozen=True, slots=True)
class AnswerOption:
    """One allowed answer: its JSON value, a label to show, and the points it scores."""

    value: Answer
    label: str
    points: int

    def matches(self, answer: object) -> bool:
        """Same JSON type and value.

        >>> AnswerOption(1, "Several days", 1).matches(True), AnswerOption(True, "yes", 1).matches(True)
        (False, True)
        """
        return type(answer) is type(self.value) and answer == self.value


@dataclass(frozen=True, slots=True)
class AskedWhen:
    """Skip logic: the item is asked only when an earlier item was answered with ``answer``."""

    item: str
    answer: Answer


@dataclass(frozen=True, slots=True)
class ScaleItem:
    """One item: identifier, the text shown (licensed wording or a neutral label of ketaflow's), answers."""

    id: str
    text: str
    text_is_licensed_wording: bool
    answers: tuple[AnswerOption, ...]
    asked_when: AskedWhen | None = None

    @property
    def max_points(self) -> int:
        return max(option.points for option in self.answers)

    @property
    def is_yes_no(self) -> bool:
        return all(isinstance(option.value, bool) for option in self.answers)

    def get_option(self, answer: object) -> AnswerOption | None:
        """The option this answer selects, or None if it is not one of the item's answers."""
        return next((option for option in self.answers if option.matches(answer)), None)

    def describe_answers(self) -> str:
        """The allowed answers as an error message states them: ``0, 1, 2 or 3`` / ``true (yes) or false (no)``."""
        words = [
            f"{str(o.value).lower()} ({o.label})" if isinstance(o.value, bool) else str(o.value) for o in self.answers
        ]
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _read_value(f: JsonFields) -> Answer:
    value = f.data.get("value")
    if isinstance(value, bool):
        return value
    return f.get_int("value", low=0, high=_MAX_ANSWER_VALUE)


def read_answer_sets(f: JsonFields) -> Mapping[str, tuple[AnswerOption, ...]]:
    """``{"frequency": [{"value": 0, "label": "Not at all", "points": 0}, ...]}``: named lists of options."""
    sets: dict[str, tuple[AnswerOption, ...]] = {}
    for name in f.data:
        if not _SET_NAME.fullmatch(name):
            raise f.fail(name, "an answer-set name of lower-case letters, digits and underscores", name)
        options: list[AnswerOption] = []
        for row in f.get_objects(name):
            row.check_keys({"value", "label", "points"})
            value = _read_value(row)
            if any(o.matches(value) for o in options):
                raise row.fail("value", "a value used once in its answer set", value)
            if options and isinstance(value, bool) != isinstance(options[0].value, bool):
                raise row.fail("value", "the same JSON type as the set's other values", value)
            points = row.get_int("points", low=0, high=_MAX_POINTS)
            options.append(AnswerOption(value=value, label=row.get_str("label"), points=points))
        if len(options) < 2:
            raise f.fail(name, "at least two answers")
        sets[name] = tuple(options)
    if not sets:
        raise f.error(f.path, "at least one answer set", None)
    return sets


def read_item(
    f: JsonFields,
    answer_sets: Mapping[str, tuple[AnswerOption, ...]],
    earlier: Mapping[str, ScaleItem],
    *,
    licensed_wording: bool,
) -> ScaleItem:
    """One item row: ``id``, ``text`` (licensed wording) or ``label`` (neutral), ``answers``, ``asked_when``."""
    f.check_keys({"id", "text", "label", "answers", "asked_when", "notes"})
    item_id = f.get_str("id", pattern=ITEM_ID, expected="an item id of lower-case letters, digits and underscores")
    if item_id in earlier:
        raise f.fail("id", "an item id used once", item_id)
    wording_key, other_key = ("text", "label") if licensed_wording else ("label", "text")
    if f.has(other_key):
        why = "the licence allows the wording" if licensed_wording else "the licence does not allow the wording"
        raise f.fail(other_key, f"no {other_key} ({why}: use {wording_key})")
    set_name = f.get_str("answers")
    if set_name not in answer_sets:
        raise f.fail("answers", "the name of an answer set (one of " + ", ".join(answer_sets) + ")", set_name)
    return ScaleItem(
        id=item_id,
        text=f.get_str(wording_key),
        text_is_licensed_wording=licensed_wording,
        answers=answer_sets[set_name],
        asked_when=_read_asked_when(f, earlier),
    )


def _read_asked_when(f: JsonFields, earlier: Mapping[str, ScaleItem]) -> AskedWhen | None:
    condition = f.get_optional_object("asked_when")
    if condition is None:
        return None
    condition.check_keys({"item", "answer"})
    item_id = condition.get_str("item")
    if item_id not in earlier:
        raise condition.fail("item", "an item listed before this one", item_id)
    answer = condition.data.get("answer")
    option = earlier[item_id].get_option(answer)
    if option is None:
        raise condition.fail("answer", "one of that item's answers: " + earlier[item_id].describe_answers(), answer)
    return AskedWhen(item=item_id, answer=option.value)
