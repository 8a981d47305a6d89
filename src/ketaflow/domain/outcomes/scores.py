"""A questionnaire total at one moment: the unit every outcome is computed from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.errors import InputError
from ketaflow.domain.ruledata.fields import ErrorFactory, JsonFields, format_utc, input_error


@dataclass(frozen=True, slots=True)
class ScorePoint:
    """One instrument total (PHQ-9, MADRS, QIDS-SR16, ...) and when it was scored, in UTC."""

    at: datetime
    total: int

    @classmethod
    def from_json(cls, value: object, path: str = "score", error: ErrorFactory = input_error) -> ScorePoint:
        """Read ``{"at": "2026-11-23T09:00:00Z", "total": 14}``; the range is checked against the instrument later.

        >>> ScorePoint.from_json({"at": "2026-11-23T10:00:00+01:00", "total": 14}).to_json()
        {'at': '2026-11-23T09:00:00Z', 'total': 14}
        """
        f = JsonFields.of(value, path, error)
        f.check_keys({"at", "total"})
        return cls(at=f.get_utc_datetime("at"), total=f.get_int("total", low=0, high=1000))

    def to_json(self) -> dict[str, JsonValue]:
        return {"at": format_utc(self.at), "total": self.total}


def check_utc(moment: datetime, field: str) -> datetime:
    """A time with a zone, in UTC; a naive time is refused (it would be compared with the wrong offset)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(field, "a date-time with a time zone (UTC)", moment.isoformat())
    return moment.astimezone(UTC)


def check_scores(scores: Sequence[ScorePoint], low: int, high: int, field: str = "scores") -> tuple[ScorePoint, ...]:
    """The scores in time order, each in UTC and inside the instrument's range ``low``..``high``."""
    checked: list[ScorePoint] = []
    for index, point in enumerate(scores):
        at = check_utc(point.at, f"{field}[{index}].at")
        if isinstance(point.total, bool) or not isinstance(point.total, int) or not low <= point.total <= high:
            raise InputError(f"{field}[{index}].total", f"a whole number from {low} to {high}", point.total)
        checked.append(ScorePoint(at=at, total=point.total))
    return tuple(sorted(checked, key=lambda point: point.at))
