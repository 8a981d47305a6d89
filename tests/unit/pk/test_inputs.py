"""Bad input raises InputError naming the field, as the CLI and API report it (exit 2 / 422)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from ketaflow.domain.errors import InputError
from ketaflow.domain.pk import (
    Bolus,
    Cohort,
    Infusion,
    PkPatient,
    WeightBasedBolus,
    WeightBasedInfusion,
    evaluate_auc,
    evaluate_peak,
    evaluate_time_above,
    plan_tci,
    probability_cmax_above,
    simulate,
    simulate_cohort,
)

# Any: these tests pass values of the wrong type on purpose, as JSON from outside might.
NOT_A_NUMBER: Any = "0"
PATIENT = PkPatient(70.0, 40.0, PkPatient.create(weight_kg=70, age_years=40, sex="male", height_cm=175).sex, 175.0)
OK = [Infusion(0.0, 40.0, 52.5)]
TIMES = [0.0, 10.0, 40.0]

CASES: list[tuple[str, Callable[[], object], str]] = [
    ("unknown model", lambda: simulate("propofol", PATIENT, OK, TIMES), "model_id"),
    ("negative bolus", lambda: simulate("domino", PATIENT, [Bolus(0.0, -1.0)], TIMES), "doses[0].mg"),
    (
        "negative rate",
        lambda: simulate("domino", PATIENT, [*OK, Infusion(5.0, 1.0, -3.0)], TIMES),
        "doses[1].mg_per_h",
    ),
    (
        "zero duration",
        lambda: simulate("domino", PATIENT, [*OK, Infusion(5.0, 0.0, 3.0)], TIMES),
        "doses[1].duration_min",
    ),
    (
        "nan duration",
        lambda: simulate("domino", PATIENT, [Infusion(5.0, float("nan"), 3.0)], TIMES),
        "doses[0].duration_min",
    ),
    ("negative time", lambda: simulate("domino", PATIENT, [Bolus(-1.0, 3.0)], TIMES), "doses[0].at_min"),
    (
        "text start",
        lambda: simulate("domino", PATIENT, [Infusion(NOT_A_NUMBER, 1.0, 3.0)], TIMES),
        "doses[0].start_min",
    ),
    (
        "boolean dose",
        lambda: simulate("domino", PATIENT, [WeightBasedBolus(0.0, True)], TIMES),
        "doses[0].mg_per_kg",
    ),
    (
        "negative per-kg rate",
        lambda: simulate("domino", PATIENT, [WeightBasedInfusion(0.0, 1.0, -0.5)], TIMES),
        "doses[0].mg_per_kg_per_h",
    ),
    ("not a dose", lambda: simulate("domino", PATIENT, ["bolus"], TIMES), "doses[0]"),  # type: ignore[list-item]
    ("times not increasing", lambda: simulate("domino", PATIENT, OK, [0.0, 10.0, 10.0]), "times_min[2]"),
    ("negative time point", lambda: simulate("domino", PATIENT, OK, [-5.0, 10.0]), "times_min[0]"),
    ("no times", lambda: simulate("domino", PATIENT, OK, []), "times_min"),
    ("2-D times", lambda: simulate("domino", PATIENT, OK, [[0.0, 1.0]]), "times_min"),
    ("effect without ke0", lambda: evaluate_peak("elkomy2015", PATIENT, OK, site="effect"), "site"),
    ("unknown site", lambda: evaluate_peak("domino", PATIENT, OK, site="brain"), "site"),  # type: ignore[arg-type]
    ("negative auc end", lambda: evaluate_auc("domino", PATIENT, OK, until_min=-1.0), "until_min"),
    ("zero threshold", lambda: evaluate_time_above("domino", PATIENT, OK, 0.0), "threshold_ng_per_ml"),
    ("text threshold", lambda: evaluate_time_above("domino", PATIENT, OK, "high"), "threshold_ng_per_ml"),  # type: ignore[arg-type]
    (
        "tci zero target",
        lambda: plan_tci("domino", PATIENT, 0.0, duration_min=1, max_rate_mg_per_h=100),
        "target_ng_per_ml",
    ),
    (
        "tci no max rate",
        lambda: plan_tci("domino", PATIENT, 100.0, duration_min=1, max_rate_mg_per_h=float("inf")),
        "max_rate_mg_per_h",
    ),
    (
        "tci zero update",
        lambda: plan_tci("domino", PATIENT, 100.0, duration_min=1, update_s=0, max_rate_mg_per_h=1),
        "update_s",
    ),
    (
        "tci no duration",
        lambda: plan_tci("domino", PATIENT, 100.0, duration_min=-1, max_rate_mg_per_h=1),
        "duration_min",
    ),
    (
        "patient weight",
        lambda: PkPatient.create(weight_kg=0, age_years=40, sex="male", height_cm=170),
        "patient.weight_kg",
    ),
    (
        "patient age",
        lambda: PkPatient.create(weight_kg=70, age_years=-1, sex="male", height_cm=170),
        "patient.age_years",
    ),
    (
        "patient sex",
        lambda: PkPatient.create(weight_kg=70, age_years=40, sex="x", height_cm=170),
        "patient.sex",
    ),
    (
        "patient height",
        lambda: PkPatient.create(weight_kg=70, age_years=40, sex="female", height_cm=NOT_A_NUMBER),
        "patient.height_cm",
    ),
]


@pytest.mark.parametrize(("call", "field"), [(c, f) for _, c, f in CASES], ids=[name for name, _, _ in CASES])
def test_bad_input_names_the_field(call: Callable[[], object], field: str) -> None:
    with pytest.raises(InputError) as error:
        call()

    assert error.value.field == field


def _cohort(n: int) -> Cohort:
    return Cohort.create(
        weight_kg=np.full(n, 70.0),
        age_years=np.full(n, 40.0),
        is_female=np.zeros(n),
        height_cm=np.full(n, 170.0),
    )


@pytest.mark.parametrize(
    "buffer",
    [np.empty((2, 2)), np.empty((3, 2), dtype=np.float32), np.empty((2, 3), order="F"), [[0.0] * 3] * 3],
    ids=["wrong shape", "float32", "Fortran order", "not an array"],
)
def test_a_buffer_that_cannot_hold_the_result_is_refused(buffer: Any) -> None:
    cohort = _cohort(3) if not isinstance(buffer, np.ndarray) or buffer.shape[0] == 3 else _cohort(2)

    with pytest.raises(InputError) as error:
        simulate_cohort("domino", cohort, OK, [0.0, 1.0, 2.0], buffer)

    assert error.value.field == "out"


def test_a_read_only_buffer_is_refused() -> None:
    buffer = np.empty((3, 3))
    buffer.flags.writeable = False

    with pytest.raises(InputError) as error:
        simulate_cohort("domino", _cohort(3), OK, [0.0, 1.0, 2.0], buffer)

    assert error.value.field == "out"


def test_chunk_size_must_be_a_positive_count() -> None:
    with pytest.raises(InputError) as error:
        probability_cmax_above("domino", _cohort(3), OK, 100.0, chunk_size=0)

    assert error.value.field == "chunk_size"
