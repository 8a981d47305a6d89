"""Builders for the recovery tests: the shipped rule file (fresh copies), answers, scores and vitals."""

from __future__ import annotations

import copy
from typing import Any

from ketaflow.domain.recovery import Instrument, RecoveryRules, RecoveryScore, score_recovery
from ketaflow.domain.vitals import Vitals
from ketaflow.rules import load_rule_file

# Any: parsed JSON that tests edit freely before RecoveryRules.from_dict checks it.
JsonDoc = dict[str, Any]
_SHIPPED: JsonDoc = load_rule_file("recovery", "iv_ketamine_outpatient")
RULES = RecoveryRules.from_dict(copy.deepcopy(_SHIPPED))

PADSS_ITEMS = ("vital_signs", "activity_mental_status", "pain_nausea_vomiting", "surgical_bleeding", "intake_output")
ALDRETE_ITEMS = ("activity", "respiration", "circulation", "consciousness", "o2_saturation")
ITEMS = {Instrument.PADSS: PADSS_ITEMS, Instrument.ALDRETE: ALDRETE_ITEMS}

BASELINE = Vitals(systolic_mmhg=120, diastolic_mmhg=80, heart_rate_bpm=70, spo2_pct=98, respiratory_rate_per_min=14)
RECOVERED = Vitals(systolic_mmhg=126, diastolic_mmhg=82, heart_rate_bpm=72, spo2_pct=97, respiratory_rate_per_min=14)


def load_rule_data() -> JsonDoc:
    """A fresh parsed copy of rules/recovery/iv_ketamine_outpatient.json (tests may mutate it)."""
    return copy.deepcopy(_SHIPPED)


def full_marks(instrument: Instrument, **changes: int) -> dict[str, int]:
    """Answers scoring 2 on every item, with the given items changed."""
    return dict.fromkeys(ITEMS[instrument], 2) | changes


def padss(total: int) -> RecoveryScore:
    """A PADSS score with the given total (points taken off items that allow 0)."""
    answers = full_marks(Instrument.PADSS)
    for item in ("activity_mental_status", "pain_nausea_vomiting", "intake_output", "vital_signs"):
        missing = sum(answers.values()) - total
        if missing <= 0:
            break
        answers[item] = 2 - min(2, missing)
    return score_recovery(RULES, Instrument.PADSS, answers)


def aldrete(total: int = 10, **changes: int) -> RecoveryScore:
    answers = full_marks(Instrument.ALDRETE, **changes)
    for item in ("activity", "consciousness", "circulation"):
        missing = sum(answers.values()) - total
        if missing <= 0:
            break
        answers[item] = answers[item] - min(answers[item], missing)
    return score_recovery(RULES, Instrument.ALDRETE, answers)
