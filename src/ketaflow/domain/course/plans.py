"""Treatment-course plans as versioned, cited rule data: phases (induction, maintenance, taper), reminders, boosters.

``CoursePlan.from_dict`` checks ``rules/courses/<id>.json`` once and raises ``RuleDataError`` on anything
malformed. A phase gives its number of infusions (none: open-ended, until the physician ends the course) and
the window of days between infusions; the schedule is computed from the dates actually given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ketaflow.domain.basis import RuleRef
from ketaflow.domain.ruledata.comparison import Comparison
from ketaflow.domain.ruledata.fields import JsonFields, rule_data_error
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis, SourceRegistry

_VERSION = re.compile(r"[0-9]{4}\.[0-9]{1,2}\.[0-9]+")
_KEY = re.compile(r"[a-z][a-z0-9_]*")
_PARAMETER_KEYS = frozenset({"sources", "confidence", "notes"})
_MAX_INTERVAL_DAYS = 366

SLOT_PLACEHOLDERS = ("number", "phase", "number_in_phase", "earliest", "latest", "given_on", "days")
PHASE_START_PLACEHOLDERS = ("phase", "number", "earliest", "latest")
BEYOND_PLAN_PLACEHOLDERS = ("planned", "given", "given_on")
COMPLETE_PLACEHOLDERS = ("planned", "last_on")
REMINDER_PLACEHOLDERS = ("instrument", "due_on", "number")
BOOSTER_PLACEHOLDERS = ("instrument", "total", "at", "comparison", "limit", "phase")


class ReminderKind(StrEnum):
    """When a plan asks for a questionnaire."""

    BEFORE_INFUSION = "before_infusion"  # on the day of each infusion, before it starts
    AFTER_INFUSION = "after_infusion"  # ``offset_days`` after each infusion (24 h after = the next day)
    WEEKLY = "weekly"  # every ``interval_days`` after the last infusion, when no infusion comes sooner


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase of a course: ``infusions`` (None = open-ended) spaced ``min_interval_days``..``max_interval_days``."""

    name: str
    description: str
    infusions: int | None
    per_week: float | None
    min_interval_days: int
    max_interval_days: int
    source: str
    interval_source: str
    on_start: RuleBasis | None

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> Phase:
        f.check_keys({"name", "description", "infusions", "per_week", "interval_days", "on_start", *BASIS_KEYS})
        interval = f.get_object("interval_days")
        interval.check_keys({"min", "max", *_PARAMETER_KEYS})
        low = interval.get_int("min", low=0, high=_MAX_INTERVAL_DAYS)
        high = interval.get_int("max", low=1, high=_MAX_INTERVAL_DAYS)
        if high < low:
            raise interval.fail("max", f"a number of days at least min ({low})", high)
        on_start = f.get_optional_object("on_start")
        if on_start is not None:
            on_start.check_keys(BASIS_KEYS)
        return cls(
            name=f.get_str("name", pattern=_KEY, expected="a lower-case phase name such as induction"),
            description=f.get_str("description"),
            infusions=f.get_optional_int("infusions", low=1, high=1000),
            per_week=f.get_optional_number("per_week", low=0, high=21),
            min_interval_days=low,
            max_interval_days=high,
            source=sources.cite(f),
            interval_source=sources.cite(interval),
            on_start=None
            if on_start is None
            else RuleBasis.from_fields(on_start, sources, placeholders=PHASE_START_PLACEHOLDERS),
        )


@dataclass(frozen=True, slots=True)
class Reminder:
    """A questionnaire the plan asks for, on which instruments, and when."""

    basis: RuleBasis
    kind: ReminderKind
    instruments: tuple[str, ...]
    offset_days: int
    interval_days: int

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> Reminder:
        kind = f.get_enum("kind", ReminderKind)
        extra = {ReminderKind.AFTER_INFUSION: {"offset_days"}, ReminderKind.WEEKLY: {"interval_days"}}.get(kind, set())
        f.check_keys(BASIS_KEYS | {"kind", "instruments"} | extra)
        instruments = f.get_strs("instruments")
        if not instruments or not all(_KEY.fullmatch(key) for key in instruments):
            raise f.fail("instruments", "a list of instrument keys such as phq9", instruments)
        return cls(
            basis=RuleBasis.from_fields(f, sources, placeholders=REMINDER_PLACEHOLDERS),
            kind=kind,
            instruments=instruments,
            offset_days=f.get_int("offset_days", low=1, high=_MAX_INTERVAL_DAYS) if "offset_days" in extra else 0,
            interval_days=f.get_int("interval_days", low=1, high=_MAX_INTERVAL_DAYS) if "interval_days" in extra else 0,
        )


@dataclass(frozen=True, slots=True)
class BoosterRule:
    """Suggest a booster when the latest score on ``instrument`` is ``comparison`` ``limit``, once ``after_phase``
    is complete (boosters belong to maintenance, not to the induction series itself)."""

    basis: RuleBasis
    instrument: str
    comparison: Comparison
    limit: float
    after_phase: str

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry, phases: tuple[Phase, ...]) -> BoosterRule:
        f.check_keys(BASIS_KEYS | {"instrument", "comparison", "limit", "after_phase"})
        comparison = f.get_enum("comparison", Comparison)
        if comparison not in (Comparison.AT_OR_ABOVE, Comparison.ABOVE):
            raise f.fail("comparison", ">= or > (a booster answers a rising score)", comparison.value)
        after_phase = f.get_str("after_phase")
        finite = [phase.name for phase in phases if phase.infusions is not None]
        if after_phase not in finite:
            raise f.fail("after_phase", "the name of a phase with a set number of infusions", after_phase)
        return cls(
            basis=RuleBasis.from_fields(f, sources, placeholders=BOOSTER_PLACEHOLDERS),
            instrument=f.get_str("instrument", pattern=_KEY, expected="an instrument key such as phq9"),
            comparison=comparison,
            limit=f.get_number("limit", low=0, high=1000),
            after_phase=after_phase,
        )


@dataclass(frozen=True, slots=True)
class ScheduleChecks:
    """The findings the schedule raises about the dates themselves."""

    early: RuleBasis
    late: RuleBasis
    overdue: RuleBasis
    beyond_plan: RuleBasis
    complete: RuleBasis

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> ScheduleChecks:
        placeholders = {
            "early": SLOT_PLACEHOLDERS,
            "late": SLOT_PLACEHOLDERS,
            "overdue": SLOT_PLACEHOLDERS,
            "beyond_plan": BEYOND_PLAN_PLACEHOLDERS,
            "complete": COMPLETE_PLACEHOLDERS,
        }
        f.check_keys(set(placeholders) | {"notes"})
        rows: dict[str, RuleBasis] = {}
        for key, allowed in placeholders.items():
            row = f.get_object(key)
            row.check_keys(BASIS_KEYS)
            rows[key] = RuleBasis.from_fields(row, sources, placeholders=allowed)
        return cls(**rows)


@dataclass(frozen=True, slots=True)
class CoursePlan:
    """A versioned course plan: its phases in order, its questionnaire reminders and its booster rule."""

    ref: RuleRef
    title: str
    indications: tuple[str, ...]
    phases: tuple[Phase, ...]
    reminders: tuple[Reminder, ...]
    booster: BoosterRule | None
    checks: ScheduleChecks

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> CoursePlan:
        """Check and read a course-plan file (parsed JSON); raises ``RuleDataError`` if it is malformed."""
        f = JsonFields.of(data, "", rule_data_error)
        f.check_keys(
            {"id", "version", "title", "indications", "notes", "sources", "phases", "reminders", "booster", "checks"}
        )
        sources = SourceRegistry.from_fields(f.get_object("sources"))
        phases = tuple(Phase.from_fields(row, sources) for row in f.get_objects("phases"))
        if not phases:
            raise f.fail("phases", "at least one phase")
        for index, phase in enumerate(phases[:-1]):
            if phase.infusions is None:
                raise f.fail(f"phases[{index}].infusions", "a number of infusions (only the last phase is open-ended)")
        if len({phase.name for phase in phases}) != len(phases):
            raise f.fail("phases", "phases with distinct names")
        booster = f.get_optional_object("booster")
        return cls(
            ref=RuleRef(
                id=f.get_str("id", pattern=_KEY, expected="a lower-case plan id such as depression_thrice_weekly"),
                version=f.get_str("version", pattern=_VERSION, expected="a version such as 2026.11.0"),
            ),
            title=f.get_str("title"),
            indications=f.get_strs("indications"),
            phases=phases,
            reminders=tuple(Reminder.from_fields(row, sources) for row in f.get_objects("reminders")),
            booster=None if booster is None else BoosterRule.from_fields(booster, sources, phases),
            checks=ScheduleChecks.from_fields(f.get_object("checks"), sources),
        )

    @property
    def planned_infusions(self) -> int | None:
        """The number of infusions the plan sets; None when its last phase is open-ended."""
        counts = [phase.infusions for phase in self.phases]
        return None if None in counts else sum(count or 0 for count in counts)

    def infusions_through(self, phase_name: str) -> int:
        """Infusions planned up to and including the named (finite) phase."""
        through = [phase.name for phase in self.phases].index(phase_name) + 1
        return sum(phase.infusions or 0 for phase in self.phases[:through])

    def list_slots(self) -> Iterator[tuple[Phase, int]]:
        """Every planned infusion as (phase, number in phase), in order; endless when the last phase is open-ended."""
        for phase in self.phases:
            number = 1
            while phase.infusions is None or number <= phase.infusions:
                yield phase, number
                number += 1
