"""Synthetic questionnaire totals and answers, and the synthetic-history rule file's checks."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.errors import RuleDataError
from ketaflow.domain.scales import score_answers
from ketaflow.rules import load_rule_file
from ketaflow.services.demo_history_params import AdverseEffect, HistoryParameters
from ketaflow.services.demo_history_scores import (
    NOT_RESPONDED,
    REMITTED,
    RESPONDED,
    answers_for_total,
    state_of,
    total_in_state,
)
from ketaflow.services.questionnaires import load_outcome_definitions
from ketaflow.services.scales import load_scale_library

PHQ9 = load_outcome_definitions().get_instrument("phq9")
QIDS = load_outcome_definitions().get_instrument("qids_sr16")


@pytest.mark.parametrize(
    ("baseline", "total", "state"),
    [
        (20, 10, RESPONDED),  # exactly 50 % lower: a response (at least 50 %); 10 is not below 5
        (20, 11, NOT_RESPONDED),  # 45 % lower
        (20, 5, RESPONDED),  # PHQ-9 remission is below 5, so 5 is not a remission
        (20, 4, REMITTED),
    ],
    ids=["half_is_response", "just_under_half", "five_is_not_remission", "four_is_remission"],
)
def test_phq9_totals_are_placed_by_the_outcome_definitions(baseline: int, total: int, state: str) -> None:
    assert state_of(PHQ9, baseline, total) == state


@given(
    baseline=st.integers(min_value=12, max_value=27),
    state=st.sampled_from([REMITTED, RESPONDED, NOT_RESPONDED]),
    quantile=st.floats(min_value=0, max_value=1),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_a_total_drawn_for_a_state_is_judged_that_state_and_never_above_baseline(
    baseline: int, state: str, quantile: float, seed: int
) -> None:
    for instrument in (PHQ9, QIDS):
        total = total_in_state(instrument, baseline, frozenset({state}), quantile, random.Random(seed))

        assert total <= baseline
        assert state_of(instrument, baseline, total) == state


@given(
    instrument=st.sampled_from(["phq9", "qids_sr16"]),
    total=st.integers(min_value=0, max_value=24),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_answers_score_the_requested_total_and_keep_self_harm_items_at_zero(
    instrument: str, total: int, seed: int
) -> None:
    scale = load_scale_library().get(instrument)
    kept = {"phq9": ["q9"], "qids_sr16": ["q12"]}[instrument]

    answers = answers_for_total(scale, total, kept, random.Random(seed))

    assert score_answers(scale, answers).total == total
    assert all(answers[item] == 0 for item in kept)


def test_a_per_patient_incidence_becomes_the_per_session_chance_that_gives_it_over_the_source_series() -> None:
    effect = AdverseEffect("drowsiness", incidence=0.564, infusions_in_source=4)

    per_session = effect.per_session_probability

    assert 1 - (1 - per_session) ** 4 == pytest.approx(0.564, abs=1e-12)


def _rule_file() -> dict[str, Any]:
    return copy.deepcopy(load_rule_file("demo", "synthetic_history"))


def test_the_shipped_rule_file_selects_the_community_rates() -> None:
    params = HistoryParameters.from_dict(_rule_file())

    assert (params.response_probability, params.remission_probability) == (0.27, 0.13)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["outcome"]["options"]["community_crtce"].update(remission_probability=0.5), "remission"),
        (lambda d: d["cohort"].update(qids_fraction=1.5), "cohort.qids_fraction"),
        (lambda d: d["pauses"].update(sources=["nowhere"]), "pauses.sources"),
        (lambda d: d["outcome"].update(selected="trial_magic"), "outcome.options.trial_magic"),
    ],
    ids=["remission_above_response", "fraction_above_one", "unknown_source", "unknown_option"],
)
def test_a_bad_rule_file_is_refused_naming_the_field(change: Any, message: str) -> None:
    data = _rule_file()
    change(data)

    with pytest.raises(RuleDataError, match=message.replace(".", r"\.")):
        HistoryParameters.from_dict(data)
