"""A set of vital signs taken at one moment, as charted by a nurse (or, later, read from a monitor).

Shared by the infusion session (what was charted), the monitoring rules (what it means) and recovery
(is the patient back near baseline). Every sign is optional: a nurse may chart only a blood pressure, and
a rule that needs a missing sign says so rather than passing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum

from ketaflow.domain.ruledata.fields import ErrorFactory, JsonFields


class VitalSign(StrEnum):
    """The signs a reading may hold; the value is the field name in JSON and in the dataclass."""

    SYSTOLIC = "systolic_mmhg"
    DIASTOLIC = "diastolic_mmhg"
    HEART_RATE = "heart_rate_bpm"
    SPO2 = "spo2_pct"
    RESPIRATORY_RATE = "respiratory_rate_per_min"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def unit(self) -> str:
        return _UNITS[self]


_LABELS = {
    VitalSign.SYSTOLIC: "Systolic BP",
    VitalSign.DIASTOLIC: "Diastolic BP",
    VitalSign.HEART_RATE: "Heart rate",
    VitalSign.SPO2: "SpO2",
    VitalSign.RESPIRATORY_RATE: "Respiratory rate",
}
_UNITS = {
    VitalSign.SYSTOLIC: "mmHg",
    VitalSign.DIASTOLIC: "mmHg",
    VitalSign.HEART_RATE: "/min",
    VitalSign.SPO2: "%",
    VitalSign.RESPIRATORY_RATE: "/min",
}

# Plausibility bounds for a charted value (not clinical thresholds: a value outside them is a typing error,
# e.g. 1200 for 120). Wide enough for any living patient in a chair.
_PLAUSIBLE = {
    VitalSign.SYSTOLIC: (40.0, 300.0),
    VitalSign.DIASTOLIC: (20.0, 200.0),
    VitalSign.HEART_RATE: (20.0, 250.0),
    VitalSign.SPO2: (50.0, 100.0),
    VitalSign.RESPIRATORY_RATE: (2.0, 60.0),
}


@dataclass(frozen=True, slots=True)
class Vitals:
    """One set of vital signs; ``None`` means not measured this time."""

    systolic_mmhg: float | None = None
    diastolic_mmhg: float | None = None
    heart_rate_bpm: float | None = None
    spo2_pct: float | None = None
    respiratory_rate_per_min: float | None = None

    def get(self, sign: VitalSign) -> float | None:
        value: float | None = getattr(self, sign.value)
        return value

    def is_empty(self) -> bool:
        return all(self.get(sign) is None for sign in VitalSign)

    def to_json(self) -> dict[str, float | None]:
        return {sign.value: self.get(sign) for sign in VitalSign}

    @classmethod
    def from_json(cls, value: object, path: str, error: ErrorFactory, *, require_any: bool = True) -> Vitals:
        """Read ``{"systolic_mmhg": 128, ...}``; unknown keys and implausible values name the field."""
        f = JsonFields.of(value, path, error)
        f.check_keys({sign.value for sign in VitalSign})
        read: dict[str, float | None] = {}
        for sign in VitalSign:
            low, high = _PLAUSIBLE[sign]
            read[sign.value] = f.get_number(sign.value, low=low, high=high) if f.has(sign.value) else None
        vitals = cls(**read)
        if require_any and vitals.is_empty():
            raise error(path or "(top level)", "at least one vital sign (" + ", ".join(VitalSign) + ")", None)
        return vitals


VITAL_FIELDS = tuple(field.name for field in fields(Vitals))


def describe_vitals(vitals: Vitals) -> Mapping[str, float]:
    """Only the measured signs, for a finding's inputs."""
    return {sign.value: value for sign in VitalSign if (value := vitals.get(sign)) is not None}
