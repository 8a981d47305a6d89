"""Questionnaires: PHQ-9, GAD-7, QIDS-SR16, MADRS and the C-SSRS screener as versioned, cited rule data.

The public API is small and pinned here::

    library = ScaleLibrary.from_dicts(documents)          # the service reads rules/scales/*.json
    scale = library.get("phq9")                           # InputError on an unknown instrument
    result = score_answers(scale, [1, 2, 0, 3, 1, 0, 2, 1, 0])   # or {"q1": 1, ...}; InputError names the item
    result.to_json()  # {"instrument", "total", "band", "flags", "items", "domains", "rule_set"}

Instruments whose wording is not licensed for software ship item ids and neutral labels only;
``Scale.with_item_text`` shows a clinic's licensed wording instead.
"""

from ketaflow.domain.scales.flags import FlagRule, ScoredAnswers
from ketaflow.domain.scales.items import Answer, AnswerOption, AskedWhen, Respondent, ScaleItem
from ketaflow.domain.scales.library import ScaleLibrary
from ketaflow.domain.scales.scale import ItemTextPolicy, LicenceBasis, Scale
from ketaflow.domain.scales.scoring import ScaleResult, score_answers
from ketaflow.domain.scales.scoring_rules import (
    Combine,
    Domain,
    ScoreBand,
    Scoring,
    ScoringMethod,
    TriageLevel,
)

__all__ = [
    "Answer",
    "AnswerOption",
    "AskedWhen",
    "Combine",
    "Domain",
    "FlagRule",
    "ItemTextPolicy",
    "LicenceBasis",
    "Respondent",
    "Scale",
    "ScaleItem",
    "ScaleLibrary",
    "ScaleResult",
    "ScoreBand",
    "ScoredAnswers",
    "Scoring",
    "ScoringMethod",
    "TriageLevel",
    "score_answers",
]
