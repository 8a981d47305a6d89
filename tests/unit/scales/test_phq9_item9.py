"""PHQ-9 item 9 above 0 raises an urgent flag for the physician, labelled as a ketaflow default."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Effect
from ketaflow.domain.scales import score_answers

from .builders import load_scale


@pytest.mark.parametrize(("item9", "flagged"), [(0, False), (1, True), (2, True), (3, True)], ids=str)
def test_item_9_is_flagged_from_its_first_non_zero_answer(item9: int, flagged: bool) -> None:
    answers = [0] * 8 + [item9]

    result = score_answers(load_scale("phq9"), answers)

    assert [f.rule_id for f in result.flags] == (["phq9.item9_positive"] if flagged else [])
    assert result.urgent is flagged


def test_the_item_9_flag_shows_the_answer_and_its_ketaflow_default_basis() -> None:
    result = score_answers(load_scale("phq9"), [0, 0, 0, 0, 0, 0, 0, 0, 1])

    (flag,) = result.flags

    assert flag.effect is Effect.HOLD
    assert flag.inputs == {"items.q9": 1}
    assert "'Several days' (1 of 3)" in flag.message and "C-SSRS" in flag.message
    assert flag.source.startswith("ketaflow implementation choice") and flag.source.endswith("[NF]")


def test_a_low_total_still_flags_item_9() -> None:
    result = score_answers(load_scale("phq9"), {f"q{n}": 0 for n in range(1, 9)} | {"q9": 2})

    assert (result.total, result.band, result.urgent) == (2, "minimal", True)
