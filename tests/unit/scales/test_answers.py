"""Answers are checked before anything is scored: a wrong one raises InputError naming the item and the options."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.errors import InputError
from ketaflow.domain.scales import ScaleLibrary, score_answers

from .builders import load_library, load_scale

PHQ9_ZERO = [0] * 9


def phq9_object(**answers: Any) -> dict[str, Any]:
    return {f"q{n}": 0 for n in range(1, 10)} | answers


@pytest.mark.parametrize(
    ("answers", "field", "expected", "got"),
    [
        ([0, 0, 0, 7, 0, 0, 0, 0, 0], "items[3]", "an answer to q4: 0, 1, 2 or 3", 7),
        ([0, 0, 0, -1, 0, 0, 0, 0, 0], "items[3]", "an answer to q4: 0, 1, 2 or 3", -1),
        ([0, 0, "2", 0, 0, 0, 0, 0, 0], "items[2]", "an answer to q3: 0, 1, 2 or 3", "2"),
        ([0, 0, 2.0, 0, 0, 0, 0, 0, 0], "items[2]", "an answer to q3: 0, 1, 2 or 3", 2.0),
        ([True, 0, 0, 0, 0, 0, 0, 0, 0], "items[0]", "an answer to q1: 0, 1, 2 or 3", True),
        ([0, [1], 0, 0, 0, 0, 0, 0, 0], "items[1]", "an answer to q2: 0, 1, 2 or 3", "a list"),
        ([0, 0, 0, 0, 0, 0, 0, 0, None], "items[8]", "an answer to q9: 0, 1, 2 or 3 (required)", None),
        (phq9_object(q4=4), "items.q4", "an answer to q4: 0, 1, 2 or 3", 4),
        (phq9_object(q4={"value": 1}), "items.q4", "an answer to q4: 0, 1, 2 or 3", "an object"),
    ],
    ids=[
        "out-of-range",
        "negative",
        "string",
        "float",
        "boolean",
        "list",
        "null",
        "object-form-out-of-range",
        "object-form-object",
    ],
)
def test_an_answer_that_is_not_an_option_is_refused(answers: object, field: str, expected: str, got: object) -> None:
    with pytest.raises(InputError) as caught:
        score_answers(load_scale("phq9"), answers)

    assert (caught.value.field, caught.value.expected, caught.value.got) == (field, expected, got)


def test_a_missing_item_in_the_object_form_is_named() -> None:
    answers = phq9_object()
    del answers["q4"]

    with pytest.raises(InputError) as caught:
        score_answers(load_scale("phq9"), answers)

    assert (caught.value.field, caught.value.expected) == ("items.q4", "an answer to q4: 0, 1, 2 or 3 (required)")


def test_an_unknown_item_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        score_answers(load_scale("gad7"), {f"q{n}": 0 for n in range(1, 8)} | {"q8": 0})

    assert caught.value.field == "items.q8"
    assert caught.value.expected == "an item of gad7 (one of: q1, q2, q3, q4, q5, q6, q7)"


def test_a_short_list_names_the_first_missing_entry() -> None:
    with pytest.raises(InputError) as caught:
        score_answers(load_scale("phq9"), PHQ9_ZERO[:8])

    assert caught.value.field == "items[8]"
    assert "an entry for q9" in caught.value.expected and "got 8" in caught.value.expected


def test_a_long_list_names_the_first_extra_entry() -> None:
    with pytest.raises(InputError) as caught:
        score_answers(load_scale("phq9"), [*PHQ9_ZERO, 0, 0])

    assert caught.value.field == "items[9]"
    assert caught.value.expected.startswith("no entry: phq9 has 9 items")


@pytest.mark.parametrize("answers", ["0,0,0", 3, None], ids=["string", "number", "null"])
def test_answers_must_be_a_list_or_an_object(answers: object) -> None:
    with pytest.raises(InputError) as caught:
        score_answers(load_scale("phq9"), answers)

    assert caught.value.field == "items"


def test_the_error_path_can_be_given_by_the_caller() -> None:
    with pytest.raises(InputError) as caught:
        score_answers(load_scale("phq9"), phq9_object(q2=9), path="questionnaires[0].items")

    assert caught.value.field == "questionnaires[0].items.q2"


def test_an_unknown_instrument_is_bad_input_naming_the_known_ones() -> None:
    with pytest.raises(InputError) as caught:
        load_library().get("phq8")

    assert caught.value.field == "instrument"
    assert caught.value.expected == "one of cssrs_screener, gad7, madrs, phq9, qids_sr16"


@given(st.data())
def test_the_list_and_the_object_form_score_alike(data: st.DataObject) -> None:
    library: ScaleLibrary = load_library()
    scale = library.get(data.draw(st.sampled_from(["phq9", "gad7", "qids_sr16", "madrs"])))
    answers = [data.draw(st.sampled_from([option.value for option in item.answers])) for item in scale.items]
    keyed = dict(zip(scale.item_ids, answers, strict=True))
    shuffled = dict(data.draw(st.permutations(list(keyed.items()))))

    from_list, from_object = score_answers(scale, answers), score_answers(scale, shuffled)

    assert from_list == from_object
    assert list(from_object.items) == list(scale.item_ids)
