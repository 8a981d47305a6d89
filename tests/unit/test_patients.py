from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from ketaflow.domain.errors import InputError, InputErrors
from ketaflow.domain.patients import (
    BodyMeasurement,
    MeasurementKind,
    PatientDetails,
    age_years,
    check_measurement,
    check_mrn,
    check_reason,
    latest_measurements,
)

TODAY = date(2026, 11, 25)
VALID = {"family_name": "Rivera", "given_names": "Ana", "date_of_birth": "1984-03-02", "sex": "female"}


def test_valid_details_are_accepted_with_optional_contacts_empty() -> None:
    details = PatientDetails.create(VALID, today=TODAY)

    assert (details.family_name, details.date_of_birth, details.phone) == ("Rivera", date(1984, 3, 2), "")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("family_name", "", "required"),
        ("given_names", "x" * 101, "at most 100"),
        ("date_of_birth", "02/03/1984", "YYYY-MM-DD"),
        ("date_of_birth", "2026-11-26", "not in the future"),
        ("date_of_birth", "1890-01-01", "within the last 130 years"),
        ("sex", "f", "one of female, male, other, unknown"),
        ("phone", "call me", "phone number"),
        ("email", "not-an-email", "e-mail address"),
        ("address", "line\x00break", "plain text"),
        ("nickname", "Annie", "no such field"),
    ],
    ids=lambda v: str(v)[:20],
)
def test_each_bad_field_is_named_with_what_was_expected(field: str, value: str, expected: str) -> None:
    with pytest.raises(InputErrors) as caught:
        PatientDetails.create({**VALID, field: value}, today=TODAY)

    assert field in caught.value.by_field
    assert expected in caught.value.by_field[field]


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(InputErrors) as caught:
        PatientDetails.create({"family_name": "", "given_names": "", "date_of_birth": "", "sex": ""}, today=TODAY)

    assert set(caught.value.by_field) == {"family_name", "given_names", "date_of_birth", "sex"}


def test_changed_fields_names_only_what_differs() -> None:
    before = PatientDetails.create(VALID, today=TODAY)
    after = PatientDetails.create({**VALID, "date_of_birth": "1984-03-20", "phone": "+1 555 0100"}, today=TODAY)

    assert after.changed_fields(before) == ["date_of_birth", "phone"]


@pytest.mark.parametrize("raw", ["", "a b", "-KF1", "X" * 33, "KF_01"])
def test_mrn_must_be_letters_digits_and_hyphens(raw: str) -> None:
    with pytest.raises(InputError, match="mrn"):
        check_mrn(raw)


@pytest.mark.parametrize("raw", ["", "ok", "x" * 301])
def test_an_amendment_needs_a_real_reason(raw: str) -> None:
    with pytest.raises(InputError, match="reason"):
        check_reason(raw)


@pytest.mark.parametrize(
    ("kind", "value", "ok"),
    [
        (MeasurementKind.WEIGHT, 70, True),
        (MeasurementKind.WEIGHT, 1.9, False),  # a unit slip, not a patient
        (MeasurementKind.WEIGHT, 401, False),
        (MeasurementKind.HEIGHT, 1.75, False),  # metres typed for centimetres
        (MeasurementKind.HEIGHT, 175, True),
        (MeasurementKind.WEIGHT, "seventy", False),
        (MeasurementKind.WEIGHT, True, False),
    ],
)
def test_measurements_outside_plausible_bounds_are_refused(kind: MeasurementKind, value: object, ok: bool) -> None:
    if ok:
        assert check_measurement(kind, value, "2026-11-20", today=TODAY)[0] == float(str(value))
    else:
        with pytest.raises(InputErrors) as caught:
            check_measurement(kind, value, "2026-11-20", today=TODAY)
        assert "value" in caught.value.by_field


def test_a_measurement_dated_tomorrow_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        check_measurement(MeasurementKind.WEIGHT, 70, "2026-11-26", today=TODAY)

    assert "measured_on" in caught.value.by_field


def _m(kind: MeasurementKind, value: float, day: int, amends: BodyMeasurement | None = None) -> BodyMeasurement:
    return BodyMeasurement(
        uuid4(),
        uuid4(),
        kind,
        value,
        date(2026, 11, day),
        datetime(2026, 11, day, tzinfo=UTC),
        "nurse",
        amends_id=amends.id if amends else None,
    )


def test_latest_measurement_skips_values_that_were_corrected() -> None:
    first = _m(MeasurementKind.WEIGHT, 70, 1)
    typo = _m(MeasurementKind.WEIGHT, 700, 10)
    fix = _m(MeasurementKind.WEIGHT, 70.5, 10, amends=typo)
    height = _m(MeasurementKind.HEIGHT, 170, 2)

    current = latest_measurements([first, typo, fix, height])

    assert current[MeasurementKind.WEIGHT].value == 70.5
    assert current[MeasurementKind.HEIGHT].value == 170


def test_age_counts_completed_years() -> None:
    assert age_years(date(2000, 2, 29), date(2026, 2, 28)) == 25
