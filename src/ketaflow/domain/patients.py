"""A patient's identity and demographics, kept as append-only versions; body measurements with dates."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar
from uuid import UUID

from ketaflow.domain.errors import InputError, InputErrors

MRN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()./-]{6,24}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,24}$")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
MAX_AGE_YEARS = 130
NAME_MAX_CHARS = 100
TEXT_MAX_CHARS = 300
# Plausibility bounds, not clinical thresholds: they catch unit slips (lb for kg, m for cm).
WEIGHT_KG_RANGE = (2.0, 400.0)
HEIGHT_CM_RANGE = (40.0, 250.0)


class Sex(StrEnum):
    """Administrative sex (FHIR AdministrativeGender)."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class MeasurementKind(StrEnum):
    WEIGHT = "weight"
    HEIGHT = "height"

    @property
    def unit(self) -> str:
        return "kg" if self is MeasurementKind.WEIGHT else "cm"

    @property
    def bounds(self) -> tuple[float, float]:
        return WEIGHT_KG_RANGE if self is MeasurementKind.WEIGHT else HEIGHT_CM_RANGE


@dataclass(frozen=True, slots=True)
class PatientDetails:
    """Demographics and contacts. Create with ``PatientDetails.create`` so every field is checked once."""

    family_name: str
    given_names: str
    date_of_birth: date
    sex: Sex
    phone: str = ""
    email: str = ""
    address: str = ""
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""
    emergency_contact_relationship: str = ""

    @classmethod
    def create(cls, raw: Mapping[str, object], *, today: date) -> PatientDetails:
        """Check raw input (form or JSON) and build the details, reporting every bad field at once.

        >>> d = PatientDetails.create({"family_name": "Rivera", "given_names": "Ana",
        ...     "date_of_birth": "1984-03-02", "sex": "female"}, today=date(2026, 11, 25))
        >>> d.date_of_birth, d.sex.value
        (datetime.date(1984, 3, 2), 'female')
        """
        errors: list[InputError] = []
        check = _Checker(raw, errors)
        phone_hint = "a phone number such as +1 555 0100"
        family_name = check.text("family_name", NAME_MAX_CHARS, required=True)
        given_names = check.text("given_names", NAME_MAX_CHARS, required=True)
        date_of_birth = check.date_of_birth("date_of_birth", today)
        sex = check.choice("sex", Sex)
        phone = check.pattern("phone", PHONE_PATTERN, phone_hint)
        email = check.pattern("email", EMAIL_PATTERN, "an e-mail address such as name@example.org")
        address = check.text("address", TEXT_MAX_CHARS)
        contact_name = check.text("emergency_contact_name", NAME_MAX_CHARS)
        contact_phone = check.pattern("emergency_contact_phone", PHONE_PATTERN, phone_hint)
        relationship = check.text("emergency_contact_relationship", NAME_MAX_CHARS)
        check.no_unknown({f.name for f in fields(cls)})
        if errors or date_of_birth is None or sex is None:
            raise InputErrors(errors)
        return cls(
            family_name=family_name,
            given_names=given_names,
            date_of_birth=date_of_birth,
            sex=sex,
            phone=phone,
            email=email,
            address=address,
            emergency_contact_name=contact_name,
            emergency_contact_phone=contact_phone,
            emergency_contact_relationship=relationship,
        )

    def to_json(self) -> dict[str, str]:
        return {
            f.name: (getattr(self, f.name).isoformat() if f.name == "date_of_birth" else str(getattr(self, f.name)))
            for f in fields(self)
        }

    def changed_fields(self, other: PatientDetails) -> list[str]:
        """Names of the fields whose values differ from ``other``."""
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]

    @property
    def display_name(self) -> str:
        return f"{self.family_name.upper()}, {self.given_names}"


@dataclass(frozen=True, slots=True)
class PatientVersion:
    """One version of a patient's record: version 1 is the registration, later ones are amendments."""

    patient_id: UUID
    mrn: str
    version: int
    details: PatientDetails
    recorded_at_utc: datetime
    recorded_by: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class BodyMeasurement:
    """A dated weight or height. A correction is a new row that names the one it amends, with a reason."""

    id: UUID
    patient_id: UUID
    kind: MeasurementKind
    value: float
    measured_on: date
    recorded_at_utc: datetime
    recorded_by: str
    amends_id: UUID | None = None
    reason: str = ""

    @property
    def unit(self) -> str:
        return self.kind.unit


def check_mrn(raw: object) -> str:
    """A medical record number: letters, digits and hyphens, at most 32.

    >>> check_mrn(" kf-0001 ")
    'KF-0001'
    """
    value = str(raw or "").strip().upper()
    if not MRN_PATTERN.fullmatch(value):
        raise InputError("mrn", "1-32 letters, digits or hyphens", raw)
    return value


def check_reason(raw: object) -> str:
    """An amendment reason: required, at least a few words' worth."""
    value = str(raw or "").strip()
    if len(value) < 3 or len(value) > TEXT_MAX_CHARS or _CONTROL_CHARS.search(value):
        raise InputError("reason", f"why the record is corrected (3-{TEXT_MAX_CHARS} characters)", raw)
    return value


def check_measurement(kind: MeasurementKind, raw_value: object, raw_date: object, *, today: date) -> tuple[float, date]:
    """Check a weight (kg) or height (cm) and the date it was measured."""
    errors: list[InputError] = []
    check = _Checker({"value": raw_value, "measured_on": raw_date}, errors)
    low, high = kind.bounds
    value = check.number("value", low, high, kind.unit)
    measured_on = check.past_date("measured_on", today)
    if errors or value is None or measured_on is None:
        raise InputErrors(errors)
    return value, measured_on


def age_years(date_of_birth: date, on: date) -> int:
    """Completed years of age on a date.

    >>> age_years(date(1984, 3, 2), date(2026, 3, 1)), age_years(date(1984, 3, 2), date(2026, 3, 2))
    (41, 42)
    """
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def latest_measurements(measurements: list[BodyMeasurement]) -> dict[MeasurementKind, BodyMeasurement]:
    """The current weight and height: the most recent measurement of each kind not superseded by an amendment."""
    superseded = {m.amends_id for m in measurements if m.amends_id is not None}
    current: dict[MeasurementKind, BodyMeasurement] = {}
    for m in sorted(measurements, key=lambda m: (m.measured_on, m.recorded_at_utc)):
        if m.id not in superseded:
            current[m.kind] = m
    return current


E = TypeVar("E", bound=StrEnum)


class _Checker:
    """Collects one InputError per bad field while converting raw values."""

    def __init__(self, raw: Mapping[str, object], errors: list[InputError]) -> None:
        self.raw = raw
        self.errors = errors

    def _str(self, name: str) -> str:
        value = self.raw.get(name)
        return "" if value is None else str(value).strip()

    def _fail(self, name: str, expected: str) -> None:
        self.errors.append(InputError(name, expected, self.raw.get(name)))

    def text(self, name: str, max_chars: int, *, required: bool = False) -> str:
        value = self._str(name)
        if required and not value:
            self._fail(name, "a value (this field is required)")
        elif len(value) > max_chars or _CONTROL_CHARS.search(value):
            self._fail(name, f"at most {max_chars} characters of plain text")
        return value

    def pattern(self, name: str, regex: re.Pattern[str], expected: str) -> str:
        value = self._str(name)
        if value and not regex.fullmatch(value):
            self._fail(name, expected)
        return value

    def choice(self, name: str, enum: type[E]) -> E | None:
        return self._convert(name, enum, "one of " + ", ".join(e.value for e in enum))

    def _convert(self, name: str, convert: Callable[[str], E], expected: str) -> E | None:
        try:
            return convert(self._str(name))
        except ValueError:
            self._fail(name, expected)
            return None

    def _date(self, name: str) -> date | None:
        value = self.raw.get(name)
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        try:
            return date.fromisoformat(self._str(name))
        except ValueError:
            self._fail(name, "a date as YYYY-MM-DD")
            return None

    def past_date(self, name: str, today: date) -> date | None:
        value = self._date(name)
        if value is not None and value > today:
            self._fail(name, "a date that is not in the future")
            return None
        return value

    def date_of_birth(self, name: str, today: date) -> date | None:
        value = self.past_date(name, today)
        if value is not None and age_years(value, today) > MAX_AGE_YEARS:
            self._fail(name, f"a date of birth within the last {MAX_AGE_YEARS} years")
            return None
        return value

    def number(self, name: str, low: float, high: float, unit: str) -> float | None:
        raw = self.raw.get(name)
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = float(raw if isinstance(raw, int | float) else self._str(name))
        except ValueError:
            self._fail(name, f"a number in {unit}")
            return None
        if not low <= value <= high:
            self._fail(name, f"a value between {low:g} and {high:g} {unit}")
            return None
        return value

    def no_unknown(self, allowed: set[str]) -> None:
        for name in sorted(set(self.raw) - allowed - {"csrf_token"}):
            self.errors.append(InputError(name, "no such field"))
