"""Builders for the scale tests: the shipped scale files (fresh copies) and answer sets that reach a total."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from ketaflow.domain.scales import Scale, ScaleLibrary

SCALE_DIR = Path(__file__).resolve().parents[3] / "src" / "ketaflow" / "rules" / "scales"
# Any: parsed JSON that tests edit freely before Scale.from_dict checks it.
JsonDoc = dict[str, Any]
_DOCS: dict[str, JsonDoc] = {
    path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(SCALE_DIR.glob("*.json"))
}


def load_scale_data(instrument: str) -> JsonDoc:
    """A fresh parsed copy of rules/scales/<instrument>.json (tests may mutate it)."""
    return copy.deepcopy(_DOCS[instrument])


def load_scale(instrument: str) -> Scale:
    return Scale.from_dict(load_scale_data(instrument))


def load_library() -> ScaleLibrary:
    return ScaleLibrary.from_dicts(load_scale_data(name) for name in _DOCS)


def answers_totalling(scale: Scale, total: int) -> list[int]:
    """Item answers (in item order) whose score is ``total``: each domain's first item, or each item, filled in turn.

    For a summed scale that is plain filling; for QIDS-SR16 only the first item of each domain gets points, so the
    domain score (the highest item) and the total are exactly what was put in.
    """
    answers = {item.id: 0 for item in scale.items}
    slots = [d.items[0] for d in scale.scoring.domains] or [item.id for item in scale.items]
    maxima = {item.id: item.max_points for item in scale.items}
    remaining = total
    for item_id in slots:
        answers[item_id] = min(remaining, maxima[item_id])
        remaining -= answers[item_id]
    assert remaining == 0, f"{scale.id} cannot reach {total}"
    return [answers[item.id] for item in scale.items]


def cssrs(**yes: bool) -> dict[str, bool | None]:
    """C-SSRS screener answers: no to q1, q2 and q6_lifetime unless given; follow-ups only as given."""
    answers: dict[str, bool | None] = {"q1": False, "q2": False, "q6_lifetime": False}
    return answers | yes
