"""One charted reading during or after an infusion: vital signs, sedation and dissociation scores, side effects."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.ruledata.fields import ErrorFactory, JsonFields
from ketaflow.domain.vitals import VITAL_FIELDS, Vitals

# MOAA/S has six levels, 0 (no response to a painful trapezius squeeze) to 5 (responds readily to the name):
# clinical.md 3.6, Chernik 1990 [C].
MOAA_S_LOWEST = 0
MOAA_S_HIGHEST = 5
# CADSS, 23-item version: items 0-4, total 0-92 (clinical.md 3.6 [NF - verify against Bremner 1998]).
CADSS_TOTAL_LOWEST = 0
CADSS_TOTAL_HIGHEST = 92
# Not a clinical limit: a session older than a week is a typing error (the longest protocol runs 4 days).
MAX_MINUTES_SINCE_START = 7 * 24 * 60

SIDE_EFFECT_CODE = re.compile(r"[a-z][a-z0-9_]*")
OBSERVATION_KEYS = frozenset(VITAL_FIELDS) | {"moaa_s", "cadss_total", "side_effects"}


@dataclass(frozen=True, slots=True)
class Observation:
    """One charted reading; any part may be absent (a rule that needs it says so)."""

    vitals: Vitals
    moaa_s: int | None = None
    cadss_total: int | None = None
    side_effects: tuple[str, ...] = ()

    @classmethod
    def from_json(
        cls,
        value: object,
        path: str,
        error: ErrorFactory,
        *,
        side_effect_codes: Collection[str] | None = None,
    ) -> Observation:
        """Read ``{"systolic_mmhg": 150, ..., "moaa_s": 5, "cadss_total": 12, "side_effects": ["nausea"]}``.

        The signs may instead be nested as ``{"vitals": {...}, ...}``, the form ``to_json`` writes, so a stored
        reading reads back. ``side_effect_codes``, when given, are the codes the rule set knows; any other code
        names its field.

        >>> from ketaflow.domain.ruledata.fields import input_error
        >>> Observation.from_json({"systolic_mmhg": 150, "moaa_s": 7}, "reading", input_error)
        Traceback (most recent call last):
        ...
        ketaflow.domain.errors.InputError: reading.moaa_s: expected a whole number from 0 to 5, got 7
        """
        f = JsonFields.of(value, path, error)
        f.check_keys(OBSERVATION_KEYS | {"vitals"})
        if f.has("vitals"):
            # The stored form (``to_json``) nests the signs; it must not also give them at the top level.
            flat = [key for key in f.data if key in VITAL_FIELDS]
            if flat:
                raise f.fail(flat[0], "no top-level vital signs when 'vitals' is given")
            vitals = Vitals.from_json(f.data["vitals"], f.at("vitals"), error, require_any=False)
        else:
            signs = {key: item for key, item in f.data.items() if key in VITAL_FIELDS}
            vitals = Vitals.from_json(signs, path, error, require_any=False)
        side_effects: list[str] = []
        wanted = "a side-effect code" + (f" (one of: {', '.join(side_effect_codes)})" if side_effect_codes else "")
        for item_path, item in f.get_list("side_effects"):
            if not isinstance(item, str) or not SIDE_EFFECT_CODE.fullmatch(item):
                raise error(item_path, wanted, item if isinstance(item, str | int | float) else "a list or object")
            if side_effect_codes is not None and item not in side_effect_codes:
                raise error(item_path, wanted, item)
            if item not in side_effects:
                side_effects.append(item)
        observation = cls(
            vitals=vitals,
            moaa_s=f.get_optional_int("moaa_s", low=MOAA_S_LOWEST, high=MOAA_S_HIGHEST),
            cadss_total=f.get_optional_int("cadss_total", low=CADSS_TOTAL_LOWEST, high=CADSS_TOTAL_HIGHEST),
            side_effects=tuple(side_effects),
        )
        if observation.is_empty():
            raise error(path or "(top level)", "at least one vital sign, moaa_s, cadss_total or side effect", None)
        return observation

    def to_json(self) -> dict[str, JsonValue]:
        """The stored form: ``{"vitals": {...}, "moaa_s", "cadss_total", "side_effects"}`` (``from_json`` reads it)."""
        return {
            "vitals": dict(self.vitals.to_json()),
            "moaa_s": self.moaa_s,
            "cadss_total": self.cadss_total,
            "side_effects": list(self.side_effects),
        }

    def is_empty(self) -> bool:
        return self.vitals.is_empty() and self.moaa_s is None and self.cadss_total is None and not self.side_effects


@dataclass(frozen=True, slots=True)
class TimedObservation:
    """A reading with its time, in minutes since the infusion started."""

    minutes_since_start: float
    observation: Observation

    @classmethod
    def from_json(
        cls,
        value: object,
        path: str,
        error: ErrorFactory,
        *,
        side_effect_codes: Collection[str] | None = None,
    ) -> TimedObservation:
        """Read a reading object that also carries ``minutes_since_start``."""
        f = JsonFields.of(value, path, error)
        f.check_keys(OBSERVATION_KEYS | {"vitals", "minutes_since_start"})
        minutes = f.get_number("minutes_since_start", low=0, high=MAX_MINUTES_SINCE_START)
        rest = {key: item for key, item in f.data.items() if key != "minutes_since_start"}
        return cls(minutes, Observation.from_json(rest, path, error, side_effect_codes=side_effect_codes))
