"""Questionnaires (`ketaflow score`): load the shipped scales (with a clinic's licensed wording), score answers.

A clinic that holds a licence for an instrument's wording puts it in a directory of JSON files named after
the instrument (``madrs.json``: ``{"items": {"q1": "...", ...}}``); ``load_scale_library(that_directory)``
shows that wording instead of ketaflow's neutral labels. Every file is checked when it is read: a file
named after no instrument, an unknown item id or an empty text is refused, naming the file and the item.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from ketaflow.domain.errors import RuleDataError
from ketaflow.domain.ruledata.fields import JsonFields, input_error
from ketaflow.domain.scales import ScaleLibrary, score_answers
from ketaflow.rules import list_rule_files, load_rule_file

_DOCUMENT_KEYS = ("items",)
_ITEM_TEXT_KEYS = ("items",)


@cache
def _shipped_library() -> ScaleLibrary:
    """Every scale in rules/scales/, parsed and checked once per process."""
    return ScaleLibrary.from_dicts(load_rule_file("scales", name) for name in list_rule_files("scales"))


def load_scale_library(item_text_dir: Path | None = None) -> ScaleLibrary:
    """The shipped scales (cached); with ``item_text_dir``, showing the clinic's licensed item wording from it."""
    library = _shipped_library()
    if item_text_dir is None:
        return library
    if not item_text_dir.is_dir():
        raise RuleDataError(f"clinic item text: {item_text_dir} is not a directory")
    for path in sorted(item_text_dir.glob("*.json")):
        if path.stem not in library.ids:
            raise RuleDataError(
                f"clinic item text {path}: expected a file named after an instrument "
                f"({', '.join(i + '.json' for i in library.ids)})"
            )
        texts = _read_item_text_file(path)
        library = library.with_scale(library.get(path.stem).with_item_text(texts, origin=str(path)))
    return library


def _read_item_text_file(path: Path) -> Mapping[str, object]:
    """The ``items`` object of one clinic file; RuleDataError names the file if it is not that shape."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RuleDataError(f"clinic item text {path}: expected a readable UTF-8 JSON file ({exc})") from exc
    if not isinstance(document, dict):
        raise RuleDataError(f'clinic item text {path}: expected a JSON object {{"items": {{"item_id": "text"}}}}')
    unknown = sorted(set(document) - set(_ITEM_TEXT_KEYS))
    if unknown:
        raise RuleDataError(f"clinic item text {path}: unknown key {unknown[0]!r} (expected only: items)")
    items = document.get("items")
    if not isinstance(items, dict):
        raise RuleDataError(f'clinic item text {path}: expected "items" as an object of item id to text')
    return items


def score_document(
    instrument: str, document: Mapping[str, object], *, library: ScaleLibrary | None = None
) -> dict[str, object]:
    """`ketaflow score`: one questionnaire's total, band and flags (docs/scales.md); InputError names the item."""
    scale = (library or load_scale_library()).get(instrument)
    f = JsonFields.of(document, "", input_error)
    f.check_keys(_DOCUMENT_KEYS)
    if "items" not in document:
        raise f.fail("items", "the answers: a list in item order or an object keyed by item id (required)")
    return dict(score_answers(scale, document["items"]).to_json())
