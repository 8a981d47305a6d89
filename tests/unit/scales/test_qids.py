"""QIDS-SR16 is scored by its nine domains (Rush 2003), not by summing its sixteen items."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.scales import score_answers

from .builders import load_scale


def test_domain_scoring_differs_from_the_plain_sum_and_changes_the_band() -> None:
    """Hand computation.

    items   1  2  3  4 | 5 | 6  7  8  9 | 10 | 11 | 12 | 13 | 14 | 15 16
    answer  3  1  0  2 | 1 | 0  2  1  0 |  1 |  1 |  0 |  1 |  1 |  2  0
    plain sum of the 16 items = 16 (would read "severe", 16-20)
    domains: sleep max(3,1,0,2)=3, sad mood 1, appetite/weight max(0,2,1,0)=2, concentration 1,
             self-view 1, suicidal ideation 0, interest 1, energy 1, psychomotor max(2,0)=2
    total = 3+1+2+1+1+0+1+1+2 = 12 -> "moderate" (11-15)
    """
    answers = [3, 1, 0, 2, 1, 0, 2, 1, 0, 1, 1, 0, 1, 1, 2, 0]

    result = score_answers(load_scale("qids_sr16"), answers)

    assert sum(answers) == 16
    assert result.total == 12
    assert result.band == "moderate"
    assert dict(result.domains) == {
        "sleep": 3,
        "sad_mood": 1,
        "appetite_weight": 2,
        "concentration": 1,
        "self_view": 1,
        "suicidal_ideation": 0,
        "interest": 1,
        "energy": 1,
        "psychomotor": 2,
    }


def test_every_sleep_item_at_three_counts_three_not_twelve() -> None:
    answers = {f"q{n}": 0 for n in range(1, 17)} | {"q1": 3, "q2": 3, "q3": 3, "q4": 3}

    result = score_answers(load_scale("qids_sr16"), answers)

    assert (result.total, result.domains["sleep"]) == (3, 3)


def test_only_qids_reports_domains() -> None:
    result = score_answers(load_scale("phq9"), [0] * 9)

    assert dict(result.domains) == {} and result.to_json()["domains"] == {}


@given(st.lists(st.integers(0, 3), min_size=16, max_size=16))
def test_the_total_is_the_sum_of_the_domains_and_never_above_the_plain_sum(answers: list[int]) -> None:
    result = score_answers(load_scale("qids_sr16"), answers)

    assert result.total == sum(result.domains.values())
    assert result.total is not None and 0 <= result.total <= min(27, sum(answers))
