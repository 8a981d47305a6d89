"""Typed reading of parsed JSON, naming the JSON path of any field that breaks its contract.

One reader serves two contracts: a clinic's intake (errors are ``InputError``, which the CLI and API turn
into exit code 2 / HTTP 422) and the shipped rule data (errors are ``RuleDataError``: the rule set cannot
be used). Unknown keys are refused, because a misspelt optional field (``"pregant": true``) would
otherwise be dropped silently and screen as if the fact were absent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TypeVar

from ketaflow.domain.errors import ClinicError, InputError, RuleDataError

E = TypeVar("E", bound=Enum)
ErrorFactory = Callable[[str, str, object], ClinicError]


def input_error(field: str, expected: str, got: object) -> ClinicError:
    """Errors in a clinic's intake."""
    return InputError(field, expected, got)


def rule_data_error(field: str, expected: str, got: object) -> ClinicError:
    """Errors in a rule file: the rule set cannot be used."""
    detail = f"rule data {field}: expected {expected}"
    if got is not None:
        detail += f", got {got!r}"
    return RuleDataError(detail)


def _describe(value: object) -> object:
    """What to show for a wrong value: the value itself, or its JSON type when it is a container."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return value


@dataclass(frozen=True, slots=True)
class JsonFields:
    """One JSON object and its path, read one typed field at a time.

    >>> JsonFields.of({"weight_kg": -3}, "patient", input_error).get_number("weight_kg", low=0.5, high=650)
    Traceback (most recent call last):
    ...
    ketaflow.domain.errors.InputError: patient.weight_kg: expected a number from 0.5 to 650, got -3
    """

    data: Mapping[str, object]
    path: str
    error: ErrorFactory

    @classmethod
    def of(cls, value: object, path: str, error: ErrorFactory) -> JsonFields:
        if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
            raise error(path or "(top level)", "a JSON object", _describe(value))
        return cls(data=value, path=path, error=error)

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, expected: str, got: object = None) -> ClinicError:
        return self.error(self.at(key), expected, _describe(got))

    def check_keys(self, allowed: Collection[str]) -> None:
        """Refuse keys this contract does not define (a typo must not pass as an absent fact)."""
        for key in self.data:
            if key not in allowed:
                raise self.error(self.at(key), "a known field (one of: " + ", ".join(sorted(allowed)) + ")", None)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def get_object(self, key: str) -> JsonFields:
        if key not in self.data:
            raise self.fail(key, "a JSON object (required)")
        return JsonFields.of(self.data[key], self.at(key), self.error)

    def get_optional_object(self, key: str) -> JsonFields | None:
        return self.get_object(key) if self.has(key) else None

    def get_list(self, key: str) -> list[tuple[str, object]]:
        """The items of a list as (path, item) pairs; an absent or null list is empty."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(key, "a list", value)
        return [(f"{self.at(key)}[{index}]", item) for index, item in enumerate(value)]

    def get_objects(self, key: str) -> Iterator[JsonFields]:
        for path, item in self.get_list(key):
            yield JsonFields.of(item, path, self.error)

    def get_str(self, key: str, *, pattern: re.Pattern[str] | None = None, expected: str = "") -> str:
        value = self.data.get(key)
        wanted = expected or "a non-empty string"
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, wanted, value)
        if pattern is not None and not pattern.fullmatch(value.strip()):
            raise self.fail(key, wanted, value)
        return value.strip()

    def get_optional_str(self, key: str) -> str | None:
        return self.get_str(key) if self.has(key) else None

    def get_strs(self, key: str) -> tuple[str, ...]:
        return tuple(
            JsonFields.of({"item": item}, path, self.error).get_str("item") for path, item in self.get_list(key)
        )

    def get_bool(self, key: str) -> bool:
        value = self.data.get(key)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    def get_optional_bool(self, key: str) -> bool | None:
        return self.get_bool(key) if self.has(key) else None

    def get_number(self, key: str, *, low: float, high: float) -> float:
        """A finite number in [low, high]; JSON booleans are not numbers here."""
        value = self.data.get(key)
        expected = f"a number from {low:g} to {high:g}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, expected, value)
        number = float(value)
        if not math.isfinite(number) or not low <= number <= high:
            raise self.fail(key, expected, value)
        return number

    def get_optional_number(self, key: str, *, low: float, high: float) -> float | None:
        return self.get_number(key, low=low, high=high) if self.has(key) else None

    def get_int(self, key: str, *, low: int, high: int) -> int:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"a whole number from {low} to {high}", value)
        return value

    def get_optional_int(self, key: str, *, low: int, high: int) -> int | None:
        return self.get_int(key, low=low, high=high) if self.has(key) else None

    def get_enum(self, key: str, kind: type[E]) -> E:
        value = self.data.get(key)
        allowed = [member.value for member in kind]
        if value not in allowed:
            raise self.fail(key, "one of " + ", ".join(str(v) for v in allowed), value)
        return kind(value)

    def get_optional_enum(self, key: str, kind: type[E]) -> E | None:
        return self.get_enum(key, kind) if self.has(key) else None

    def get_enums(self, key: str, kind: type[E]) -> tuple[E, ...]:
        return tuple(
            JsonFields.of({"item": item}, path, self.error).get_enum("item", kind) for path, item in self.get_list(key)
        )

    def get_utc_datetime(self, key: str) -> datetime:
        """An ISO 8601 time with a UTC offset (``Z`` or ``+01:00``), returned in UTC."""
        value = self.data.get(key)
        expected = "an ISO 8601 date-time with a time zone, e.g. 2026-11-23T09:00:00Z"
        if not isinstance(value, str):
            raise self.fail(key, expected, value)
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise self.fail(key, expected, value) from exc
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise self.fail(key, expected, value)
        return parsed.astimezone(UTC)


def format_utc(moment: datetime) -> str:
    """The one text form of a UTC time in ketaflow's JSON.

    >>> format_utc(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    '2026-11-23T09:00:00Z'
    """
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
