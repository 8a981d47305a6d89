"""One patient's outcome: baseline window, assessment points, missing data, time to response, relapse, input errors."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.basis import Effect
from ketaflow.domain.errors import InputError
from ketaflow.domain.outcomes import (
    Assessment,
    PatientOutcome,
    ScorePoint,
    evaluate_first_infusion_outcome,
    evaluate_patient_outcome,
)

from .builders import FIRST_INFUSION, SERIES_END, at_day, score, shipped_definitions, thrice_weekly_infusions

DEFINITIONS = shipped_definitions()


def after_series(scores: list[ScorePoint], instrument: str = "madrs") -> PatientOutcome:
    return evaluate_patient_outcome(
        DEFINITIONS,
        instrument=instrument,
        scores=scores,
        infusion_times=thrice_weekly_infusions(),
        series_end=SERIES_END,
    )


def after_first(scores: list[ScorePoint]) -> PatientOutcome:
    return evaluate_first_infusion_outcome(
        DEFINITIONS, instrument="madrs", scores=scores, infusion_times=thrice_weekly_infusions()
    )


# Baseline --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline_at", "found"),
    [
        (FIRST_INFUSION, True),  # at the first infusion: "at or before"
        (FIRST_INFUSION - timedelta(days=14), True),  # exactly the 14-day window
        (FIRST_INFUSION - timedelta(days=14, minutes=1), False),
        (FIRST_INFUSION + timedelta(minutes=1), False),  # after the first infusion it is a follow-up
    ],
    ids=["at-first-infusion", "14-days-before", "14-days-and-a-minute-before", "a-minute-after"],
)
def test_baseline_is_the_last_score_in_the_14_days_up_to_the_first_infusion(baseline_at: datetime, found: bool) -> None:
    outcome = after_series([ScorePoint(baseline_at, 30), score(12, 12)])

    assert (outcome.baseline is not None) is found


def test_the_latest_score_before_the_first_infusion_is_the_baseline() -> None:
    outcome = after_series([score(-7, 34), score(-0.01, 30), score(12, 15)])

    assert outcome.baseline == score(-0.01, 30)
    assert outcome.responded is True


def test_without_a_baseline_nothing_is_evaluated_and_a_finding_says_why() -> None:
    outcome = after_series([score(-20, 30), score(12, 5), score(20, 25), score(27, 26)])

    assert (outcome.baseline, outcome.change, outcome.percent_change) == (None, None, None)
    assert (outcome.responded, outcome.remitted, outcome.time_to_response_days) == (None, None, None)
    assert (outcome.relapsed_at, outcome.durability_days, outcome.relapse_censored) == (None, None, None)
    (finding,) = outcome.findings
    assert (finding.rule_id, finding.effect) == ("outcomes.no_baseline", Effect.INSUFFICIENT_DATA)
    assert "never as a response" in finding.message
    assert outcome.latest == score(27, 26)


def test_without_infusions_there_is_nothing_to_evaluate() -> None:
    outcome = evaluate_patient_outcome(DEFINITIONS, instrument="phq9", scores=[score(0, 12)], infusion_times=[])

    assert outcome.responded is None
    assert [f.rule_id for f in outcome.findings] == ["outcomes.no_infusions"]


# Missing follow-up -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "follow_ups",
    [
        [],
        [score(11 + 7.01, 5)],  # after the 7-day window: not the series outcome
        [score(11, 5)],  # at the last infusion itself (a pre-infusion score), not after it
    ],
    ids=["none", "after-the-window", "at-the-last-infusion"],
)
def test_a_missing_follow_up_is_missing_never_a_response(follow_ups: list[ScorePoint]) -> None:
    outcome = after_series([score(-0.01, 30), *follow_ups])

    assert (outcome.responded, outcome.remitted, outcome.endpoint) == (None, None, None)
    (finding,) = outcome.findings
    assert (finding.rule_id, finding.effect) == ("outcomes.no_endpoint", Effect.INSUFFICIENT_DATA)
    assert "after the induction series" in finding.message


def test_the_series_outcome_is_read_at_the_score_nearest_24_hours_after_the_last_infusion() -> None:
    scores = [score(-0.01, 30), score(11.5, 18), score(12.25, 14), score(15, 20)]

    outcome = after_series(scores)

    assert outcome.endpoint == score(12.25, 14)  # 30 h after (6 h from target) beats 12 h after (12 h from target)
    assert outcome.latest == score(15, 20)
    assert outcome.responded is True


def test_of_two_scores_equally_near_the_target_the_later_is_used() -> None:
    outcome = after_series([score(-0.01, 30), score(11.5, 20), score(12.5, 14)])

    assert outcome.endpoint == score(12.5, 14)


@pytest.mark.parametrize(
    ("hours_after", "read"),
    [(11, False), (12, True), (24, True), (47.9, True), (48, False)],
    ids=["11h-too-early", "12h-window-opens", "24h-target", "just-before-second-infusion", "at-second-infusion"],
)
def test_the_first_infusion_outcome_is_read_12_h_after_it_and_before_the_second(hours_after: float, read: bool) -> None:
    outcome = after_first([score(-0.01, 30), ScorePoint(FIRST_INFUSION + timedelta(hours=hours_after), 14)])

    assert (outcome.endpoint is not None) is read
    assert outcome.assessment is Assessment.FIRST_INFUSION
    assert (outcome.responded is True) is read


def test_the_first_infusion_outcome_never_looks_for_relapse() -> None:
    outcome = after_first([score(-0.01, 30), score(1, 10), score(20, 28), score(27, 29)])

    assert outcome.responded is True
    assert (outcome.relapsed_at, outcome.durability_days) == (None, None)


# Time to response ------------------------------------------------------------------------------------------------


def test_time_to_response_counts_days_and_infusions_from_the_first_infusion() -> None:
    scores = [score(-0.01, 30), score(1, 20), score(3, 16), score(5, 14), score(12, 10)]

    outcome = after_series(scores)

    assert outcome.time_to_response_days == 5.0
    assert outcome.infusions_to_response == 3  # days 0, 2 and 4 came before the responding score


def test_a_non_responder_has_no_time_to_response() -> None:
    outcome = after_series([score(-0.01, 30), score(1, 20), score(12, 16)])

    assert (outcome.responded, outcome.time_to_response_days, outcome.infusions_to_response) == (False, None, None)


# Relapse ---------------------------------------------------------------------------------------------------------


def test_relapse_is_two_consecutive_scores_without_response_dated_at_the_first() -> None:
    """Baseline 30; response at day 12 (12). Day 19: 16 (lost), day 26: 14 (responds again: the run breaks),
    day 33: 17 and day 40: 18 (lost twice in a row): relapse dated day 33, 22 days after the series ended (day 11)."""
    scores = [score(-0.01, 30), score(12, 12), score(19, 16), score(26, 14), score(33, 17), score(40, 18)]

    outcome = after_series(scores)

    assert outcome.relapsed_at == at_day(33)
    assert outcome.durability_days == pytest.approx(22.0)
    assert outcome.relapse_censored is False
    relapse = outcome.findings[-1]
    assert (relapse.rule_id, relapse.effect) == ("outcomes.relapse", Effect.WARN)
    assert "(17, 18)" in relapse.message and relapse.source.endswith("[NF]")


def test_a_score_at_exactly_half_the_baseline_keeps_the_response() -> None:
    scores = [score(-0.01, 30), score(12, 12), score(19, 15), score(26, 16), score(33, 15)]

    outcome = after_series(scores)

    assert outcome.relapsed_at is None
    assert outcome.relapse_censored is True
    assert outcome.durability_days == pytest.approx(22.0)  # censored at the last score, day 33


def test_a_responder_without_later_scores_is_censored_at_the_series_outcome() -> None:
    outcome = after_series([score(-0.01, 30), score(12, 12)])

    assert (outcome.relapsed_at, outcome.relapse_censored) == (None, True)
    assert outcome.durability_days == pytest.approx(1.0)


def test_relapse_is_not_evaluated_in_a_non_responder() -> None:
    outcome = after_series([score(-0.01, 30), score(12, 20), score(19, 28), score(26, 29)])

    assert (outcome.relapsed_at, outcome.durability_days, outcome.relapse_censored) == (None, None, None)


def test_without_a_series_end_the_latest_score_is_assessed_and_relapse_timed_from_the_first_response() -> None:
    scores = [score(-0.01, 30), score(5, 14), score(12, 12), score(19, 16), score(26, 17)]

    outcome = evaluate_patient_outcome(
        DEFINITIONS, instrument="madrs", scores=scores, infusion_times=thrice_weekly_infusions()
    )

    assert outcome.assessment is Assessment.LATEST
    assert (outcome.endpoint, outcome.responded) == (score(26, 17), False)
    assert outcome.relapsed_at == at_day(19)
    assert outcome.durability_days == pytest.approx(14.0)  # first response day 5, relapse day 19


def test_without_a_series_end_and_without_follow_up_the_outcome_is_missing() -> None:
    outcome = evaluate_patient_outcome(
        DEFINITIONS, instrument="phq9", scores=[score(-0.01, 12)], infusion_times=thrice_weekly_infusions()
    )

    assert outcome.responded is None
    assert outcome.findings[0].rule_id == "outcomes.no_endpoint"
    assert "now" in outcome.findings[0].message


def test_the_outcome_json_states_every_result_and_its_definitions() -> None:
    outcome = after_series([score(-0.01, 30), score(12, 12), score(19, 16), score(26, 17)])

    document = outcome.to_json()

    assert document["definitions"] == {"id": "ketaflow.outcomes", "version": "2026.11.0"}
    assert document["baseline"] == {"at": "2026-01-05T08:45:36Z", "total": 30}
    assert (document["responded"], document["remitted"], document["relapse_censored"]) == (True, False, False)
    assert document["relapsed_at"] == "2026-01-24T09:00:00Z"
    assert document["findings"] == [finding.to_json() for finding in outcome.findings]
    assert [finding.rule_id for finding in outcome.findings] == [
        "outcomes.madrs.response",
        "outcomes.madrs.remission_below_10",
        "outcomes.relapse",
    ]


@given(st.permutations([score(-0.01, 30), score(1, 20), score(5, 14), score(12, 12), score(19, 16), score(26, 17)]))
def test_the_order_the_scores_arrive_in_does_not_matter(scores: list[ScorePoint]) -> None:
    outcome = after_series(scores)

    assert (outcome.responded, outcome.time_to_response_days, outcome.relapsed_at) == (True, 5.0, at_day(19))


# Input errors ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"instrument": "hamd"}, "instrument"),
        ({"scores": [ScorePoint(datetime(2026, 1, 4, 9, 0), 20)]}, "scores[0].at"),  # naive on purpose
        ({"scores": [score(-1, 20), score(1, 61)]}, "scores[1].total"),
        ({"scores": [score(-1, -1)]}, "scores[0].total"),
        ({"infusion_times": [datetime(2026, 1, 5, 9, 0)]}, "infusion_times[0]"),  # naive on purpose
        ({"series_end": at_day(-1)}, "series_end"),
    ],
    ids=["unknown-instrument", "naive-score-time", "above-range", "below-range", "naive-infusion", "end-before-start"],
)
def test_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {
        "instrument": "madrs",
        "scores": [score(-1, 20)],
        "infusion_times": thrice_weekly_infusions(),
        "series_end": SERIES_END,
    } | kwargs

    with pytest.raises(InputError) as error:
        # arg-type: keyword arguments assembled from a case table of mixed types.
        evaluate_patient_outcome(DEFINITIONS, **arguments)  # type: ignore[arg-type]

    assert error.value.field == field


def test_a_score_point_is_read_from_json_in_utc() -> None:
    point = ScorePoint.from_json({"at": "2026-01-05T10:00:00+01:00", "total": 12})

    assert point == ScorePoint(FIRST_INFUSION, 12)
    with pytest.raises(InputError, match=r"score\.total"):
        ScorePoint.from_json({"at": "2026-01-05T10:00:00Z", "total": "12"})


def test_a_response_after_the_second_infusion_is_not_a_first_infusion_response() -> None:
    outcome = after_first([score(-0.01, 30), score(2.5, 10)])  # 60 h: in the 72-h window but after day 2's infusion

    assert (outcome.endpoint, outcome.responded, outcome.time_to_response_days) == (None, None, None)
    assert outcome.findings[0].rule_id == "outcomes.no_endpoint"
