"""Who charted an event, and what a session runs: the signed order's numbers copied at check-in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from ketaflow.domain.basis import JsonValue, RuleRef
from ketaflow.domain.sessions.dose import mg_per_h_of


@dataclass(frozen=True, slots=True)
class Author:
    username: str
    role: str


@dataclass(frozen=True, slots=True)
class SessionHeader:
    """What the session runs: the signed order's numbers, copied at check-in so the chart stands alone."""

    session_id: UUID
    patient_id: UUID
    order_id: UUID
    chair: str
    protocol: RuleRef
    monitoring_rules: str
    recovery_rules: str
    concentration_mg_per_ml: float
    ordered_dose_mg: float
    ordered_rate_ml_per_h: float
    ordered_duration_min: float
    weight_kg: float
    dosing_weight_kg: float | None
    # A stepped (target-controlled) order: (start_min, duration_min, rate_ml_per_h) to key in at each step.
    ordered_steps: tuple[tuple[float, float, float], ...] = ()

    @property
    def ordered_rate_mg_per_h(self) -> float:
        return mg_per_h_of(self.ordered_rate_ml_per_h, self.concentration_mg_per_ml)

    def to_json(self) -> dict[str, JsonValue]:
        body: dict[str, JsonValue] = {
            "session_id": str(self.session_id),
            "patient_id": str(self.patient_id),
            "order_id": str(self.order_id),
            "chair": self.chair,
            "protocol": self.protocol.to_json(),
            "monitoring_rules": self.monitoring_rules,
            "recovery_rules": self.recovery_rules,
            "concentration_mg_per_ml": self.concentration_mg_per_ml,
            "ordered_dose_mg": self.ordered_dose_mg,
            "ordered_rate_ml_per_h": self.ordered_rate_ml_per_h,
            "ordered_duration_min": self.ordered_duration_min,
            "weight_kg": self.weight_kg,
            "dosing_weight_kg": self.dosing_weight_kg,
        }
        if self.ordered_steps:
            body["ordered_steps"] = [[start, duration, rate] for start, duration, rate in self.ordered_steps]
        return body

    @classmethod
    def from_json(cls, data: Mapping[str, JsonValue]) -> SessionHeader:
        protocol = data["protocol"]
        assert isinstance(protocol, Mapping)
        dosing_weight = data.get("dosing_weight_kg")
        return cls(
            session_id=UUID(str(data["session_id"])),
            patient_id=UUID(str(data["patient_id"])),
            order_id=UUID(str(data["order_id"])),
            chair=str(data["chair"]),
            protocol=RuleRef(str(protocol["id"]), str(protocol["version"])),
            monitoring_rules=str(data["monitoring_rules"]),
            recovery_rules=str(data["recovery_rules"]),
            concentration_mg_per_ml=read_number(data["concentration_mg_per_ml"]),
            ordered_dose_mg=read_number(data["ordered_dose_mg"]),
            ordered_rate_ml_per_h=read_number(data["ordered_rate_ml_per_h"]),
            ordered_duration_min=read_number(data["ordered_duration_min"]),
            weight_kg=read_number(data["weight_kg"]),
            dosing_weight_kg=None if dosing_weight is None else read_number(dosing_weight),
            ordered_steps=tuple(
                (read_number(step[0]), read_number(step[1]), read_number(step[2]))
                for step in steps
                if isinstance(step, list) and len(step) == 3
            )
            if isinstance(steps := data.get("ordered_steps"), list)
            else (),
        )


def read_number(value: JsonValue) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")  # our own stored JSON: a bug, not user input
    return float(value)
