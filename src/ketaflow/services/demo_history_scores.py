"""Synthetic questionnaire answers: totals placed by the outcome definitions' own rules, spread over the items.

A synthetic patient has one latent outcome of the induction series (remitted, responded or not). Each total is
chosen among those that the clinic's outcome definitions (rules/outcomes/definitions.json) would judge that way
against the patient's baseline, so the demo's rates are what the dashboard computes, and no response or
remission threshold is repeated here.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ketaflow.domain.outcomes import Instrument
from ketaflow.domain.scales import Scale, ScoringMethod

REMITTED, RESPONDED, NOT_RESPONDED = "remitted", "responded", "not_responded"
RESPONDING = frozenset({REMITTED, RESPONDED})


def state_of(instrument: Instrument, baseline: int, total: int) -> str:
    """Where a total stands against the outcome definitions' response and remission rules."""
    if not instrument.response.is_met(baseline, total):
        return NOT_RESPONDED
    return REMITTED if instrument.remission.is_met(total) else RESPONDED


def total_in_state(
    instrument: Instrument, baseline: int, states: frozenset[str], quantile: float, rng: random.Random
) -> int:
    """A total (never above ``baseline``) in one of ``states``: at the patient's quantile, give or take one step.

    >>> from ketaflow.services.questionnaires import load_outcome_definitions
    >>> phq9 = load_outcome_definitions().get_instrument("phq9")
    >>> sorted({total_in_state(phq9, 20, frozenset({REMITTED}), q / 10, random.Random(q)) for q in range(11)})
    [0, 1, 2, 3, 4]
    """
    totals = range(instrument.total_min, baseline + 1)
    candidates = [t for t in totals if state_of(instrument, baseline, t) in states]
    if not candidates:  # no total of that kind for this baseline (e.g. responding without remitting): respond
        candidates = [t for t in totals if state_of(instrument, baseline, t) in RESPONDING] or [baseline]
    index = round(quantile * (len(candidates) - 1)) + rng.randint(-1, 1)
    return candidates[min(len(candidates) - 1, max(0, index))]


def answers_for_total(scale: Scale, total: int, kept_at_zero: Sequence[str], rng: random.Random) -> dict[str, int]:
    """Item answers that score ``total``: points spread at random over the items (or the domains, each scored as
    its highest item) that may carry them; items in ``kept_at_zero`` stay 0.

    >>> from ketaflow.services.scales import load_scale_library
    >>> from ketaflow.domain.scales import score_answers
    >>> qids = load_scale_library().get("qids_sr16")
    >>> answers = answers_for_total(qids, 17, ["q12"], random.Random(1))
    >>> score_answers(qids, answers).total, answers["q12"]
    (17, 0)
    """
    items = {item.id: item for item in scale.items}
    domains = scale.scoring.domains if scale.scoring.method is ScoringMethod.DOMAINS else ()
    groups = [[i for i in d.items if i not in kept_at_zero] for d in domains] or [
        [item_id] for item_id in items if item_id not in kept_at_zero
    ]
    capacity = [max((items[i].max_points for i in group), default=0) for group in groups]
    points = [0] * len(groups)
    for _ in range(min(total, sum(capacity))):
        points[rng.choice([g for g, cap in enumerate(capacity) if points[g] < cap])] += 1
    answers = dict.fromkeys(items, 0)
    for group, value in zip(groups, points, strict=True):
        if group:
            carrier = rng.choice(group)
            for item_id in group:
                answers[item_id] = value if item_id == carrier else rng.randint(0, value)
    return {item_id: _answer_with_points(scale, item_id, points) for item_id, points in answers.items()}


def _answer_with_points(scale: Scale, item_id: str, points: int) -> int:
    item = next(item for item in scale.items if item.id == item_id)
    option = next(option for option in item.answers if option.points == points)
    return int(option.value)


@dataclass(frozen=True, slots=True)
class ScoreMoment:
    """When a questionnaire is answered and which total it should carry (a state, or a fixed total)."""

    at_utc: datetime
    states: frozenset[str] | None = None
    fraction_of_change: float | None = None  # between baseline (0) and the series endpoint (1)
