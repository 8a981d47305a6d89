"""Long-term safety surveillance for repeated infusions (clinical.md section 6), as cited rule data.

Signals: cumulative exposure and frequency; dose escalation and shortening intervals (tolerance or misuse);
bladder symptoms with a urinalysis prompt; liver tests and a brief cognitive screen due for recurring regimens;
new psychiatric events during treatment. Each is a ``Finding`` with its inputs and source, routed to the physician.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from itertools import pairwise
from statistics import median

from ketaflow.domain.basis import Finding, JsonValue, RuleRef
from ketaflow.domain.errors import InputError
from ketaflow.domain.outcomes.scores import check_utc
from ketaflow.domain.ruledata.fields import JsonFields, format_utc, rule_data_error
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis, SourceRegistry, format_number

_VERSION = re.compile(r"[0-9]{4}\.[0-9]{1,2}\.[0-9]+")
_KEY = re.compile(r"[a-z][a-z0-9_]*")
_SECONDS_PER_DAY = 86400.0

EXPOSURE_PLACEHOLDERS = (
    "infusions",
    "first_on",
    "last_on",
    "total_mg",
    "total_mg_per_kg",
    "recent",
    "recent_days",
)
ESCALATION_PLACEHOLDERS = ("latest_on", "latest_mg_per_kg", "increase_pct", "first_mg_per_kg", "first_on", "limit_pct")
INTERVAL_PLACEHOLDERS = (
    "interval_days",
    "previous_on",
    "latest_on",
    "pct_of_usual",
    "usual_days",
    "reference_count",
    "limit_pct",
)
BLADDER_POSITIVE_PLACEHOLDERS = ("answered_on", "symptoms")
BLADDER_DUE_PLACEHOLDERS = ("answered_on", "last_infusion_on", "unanswered")
PERIODIC_PLACEHOLDERS = ("infusions", "last_on", "every_months", "due_on")
PSYCHIATRIC_PLACEHOLDERS = ("kind", "on", "first_on")


@dataclass(frozen=True, slots=True)
class ExposureRecord:
    """One infusion given: when (UTC), how much (mg) and per kg of dosing weight."""

    at: datetime
    dose_mg: float
    dose_mg_per_kg: float


@dataclass(frozen=True, slots=True)
class SafetyHistory:
    """What surveillance reads about one patient.

    ``bladder_answers`` maps each bladder question key (see ``SafetyRules.bladder_questions``) to yes/no, as
    answered on ``bladder_answered_on``; ``psychiatric_events`` are (date, kind) pairs, kinds from the rule data.
    """

    exposures: Sequence[ExposureRecord]
    bladder_answers: Mapping[str, bool] | None = None
    bladder_answered_on: date | None = None
    last_liver_tests: date | None = None
    last_cognitive_screen: date | None = None
    psychiatric_events: Sequence[tuple[date, str]] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class BladderQuestion:
    key: str
    text: str


@dataclass(frozen=True, slots=True)
class PeriodicCheck:
    """A test due every ``every_months`` once a regimen is recurring (``recurring_from_infusions`` or more)."""

    basis: RuleBasis
    recurring_from_infusions: int
    every_months: int

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> PeriodicCheck:
        f.check_keys(BASIS_KEYS | {"recurring_from_infusions", "every_months"})
        return cls(
            basis=RuleBasis.from_fields(f, sources, placeholders=PERIODIC_PLACEHOLDERS),
            recurring_from_infusions=f.get_int("recurring_from_infusions", low=1, high=1000),
            every_months=f.get_int("every_months", low=1, high=120),
        )


@dataclass(frozen=True, slots=True)
class SafetyRules:
    """The versioned surveillance rules: every cut-off and interval with its source."""

    ref: RuleRef
    exposure: RuleBasis
    recent_days: int
    escalation: RuleBasis
    escalation_at_least_pct: float
    shortening: RuleBasis
    shortening_at_most_pct: float
    reference_intervals: int
    minimum_reference_intervals: int
    bladder_questions: tuple[BladderQuestion, ...]
    bladder_positive: RuleBasis
    bladder_due: RuleBasis
    liver_tests: PeriodicCheck
    cognitive_screen: PeriodicCheck
    psychiatric_event: RuleBasis
    psychiatric_kinds: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SafetyRules:
        """Check and read a long-term safety rule file (parsed JSON); raises ``RuleDataError`` if it is malformed."""
        f = JsonFields.of(data, "", rule_data_error)
        f.check_keys(
            {"id", "version", "title", "notes", "sources", "exposure", "dose_escalation", "shortening_interval"}
            | {"bladder", "liver_tests", "cognitive_screen", "psychiatric_events"}
        )
        sources = SourceRegistry.from_fields(f.get_object("sources"))
        exposure = f.get_object("exposure")
        exposure.check_keys(BASIS_KEYS | {"recent_days"})
        escalation = f.get_object("dose_escalation")
        escalation.check_keys(BASIS_KEYS | {"increase_at_least_pct"})
        shortening = f.get_object("shortening_interval")
        shortening.check_keys(
            BASIS_KEYS | {"at_most_pct_of_usual", "reference_intervals", "minimum_reference_intervals"}
        )
        reference_intervals = shortening.get_int("reference_intervals", low=1, high=100)
        minimum = shortening.get_int("minimum_reference_intervals", low=1, high=100)
        if minimum > reference_intervals:
            raise shortening.fail("minimum_reference_intervals", f"at most reference_intervals ({reference_intervals})")
        bladder = f.get_object("bladder")
        bladder.check_keys({"questions", "positive", "due", "sources", "confidence", "notes"})
        sources.cite(bladder)
        questions = tuple(_read_question(row) for row in bladder.get_objects("questions"))
        if not questions or len({q.key for q in questions}) != len(questions):
            raise bladder.fail("questions", "at least one question, each with its own key")
        psychiatric = f.get_object("psychiatric_events")
        psychiatric.check_keys(BASIS_KEYS | {"kinds"})
        kinds = psychiatric.get_strs("kinds")
        if not kinds or not all(_KEY.fullmatch(kind) for kind in kinds):
            raise psychiatric.fail("kinds", "a list of lower-case event kinds such as mania", kinds)
        return cls(
            ref=RuleRef(
                id=f.get_str("id"),
                version=f.get_str("version", pattern=_VERSION, expected="a version such as 2026.11.0"),
            ),
            exposure=RuleBasis.from_fields(exposure, sources, placeholders=EXPOSURE_PLACEHOLDERS),
            recent_days=exposure.get_int("recent_days", low=1, high=3650),
            escalation=RuleBasis.from_fields(escalation, sources, placeholders=ESCALATION_PLACEHOLDERS),
            escalation_at_least_pct=_positive_pct(escalation, "increase_at_least_pct", high=1000),
            shortening=RuleBasis.from_fields(shortening, sources, placeholders=INTERVAL_PLACEHOLDERS),
            shortening_at_most_pct=_positive_pct(shortening, "at_most_pct_of_usual", high=100),
            reference_intervals=reference_intervals,
            minimum_reference_intervals=minimum,
            bladder_questions=questions,
            bladder_positive=_read_row(bladder, "positive", sources, BLADDER_POSITIVE_PLACEHOLDERS),
            bladder_due=_read_row(bladder, "due", sources, BLADDER_DUE_PLACEHOLDERS),
            liver_tests=PeriodicCheck.from_fields(f.get_object("liver_tests"), sources),
            cognitive_screen=PeriodicCheck.from_fields(f.get_object("cognitive_screen"), sources),
            psychiatric_event=RuleBasis.from_fields(psychiatric, sources, placeholders=PSYCHIATRIC_PLACEHOLDERS),
            psychiatric_kinds=kinds,
        )


def _read_question(f: JsonFields) -> BladderQuestion:
    f.check_keys({"key", "text"})
    return BladderQuestion(
        key=f.get_str("key", pattern=_KEY, expected="a lower-case key such as haematuria"), text=f.get_str("text")
    )


def _read_row(f: JsonFields, key: str, sources: SourceRegistry, placeholders: tuple[str, ...]) -> RuleBasis:
    row = f.get_object(key)
    row.check_keys(BASIS_KEYS)
    return RuleBasis.from_fields(row, sources, placeholders=placeholders)


def _positive_pct(f: JsonFields, key: str, *, high: float) -> float:
    value = f.get_number(key, low=0, high=high)
    if value <= 0:
        raise f.fail(key, "a percentage above 0", value)
    return value


def evaluate_long_term_safety(
    rules: SafetyRules, history: SafetyHistory, *, today: date, clinic_zone: tzinfo = UTC
) -> tuple[Finding, ...]:
    """Every surveillance signal for one patient as of ``today``, each with its inputs and source.

    ``today`` and every date compared with it (answers, events, an infusion's day) are the clinic's local dates:
    an infusion at 21:00 in New York happened on that New York day, whatever the UTC date.
    """
    exposures = _check_exposures(history.exposures, today, clinic_zone)
    findings: list[Finding] = []
    if exposures:
        findings.append(_exposure_summary(rules, exposures, today))
        findings.extend(_dose_escalation(rules, exposures))
        findings.extend(_shortening_interval(rules, exposures))
    findings.extend(_bladder(rules, history, exposures, today))
    for check, last in (
        (rules.liver_tests, history.last_liver_tests),
        (rules.cognitive_screen, history.last_cognitive_screen),
    ):
        findings.extend(_periodic(check, last, len(exposures), today))
    findings.extend(_psychiatric_events(rules, history.psychiatric_events, exposures, today))
    return tuple(findings)


def _check_exposures(exposures: Sequence[ExposureRecord], today: date, zone: tzinfo) -> list[ExposureRecord]:
    """Checked records with their times in the clinic's zone, so ``at.date()`` is the clinic's day."""
    checked: list[ExposureRecord] = []
    for index, record in enumerate(exposures):
        path = f"exposures[{index}]"
        at = check_utc(record.at, f"{path}.at").astimezone(zone)
        if at.date() > today:
            raise InputError(f"{path}.at", f"a time on or before today {today}", format_utc(at))
        for name in ("dose_mg", "dose_mg_per_kg"):
            value = getattr(record, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise InputError(f"{path}.{name}", "a positive number", value)
        checked.append(ExposureRecord(at=at, dose_mg=record.dose_mg, dose_mg_per_kg=record.dose_mg_per_kg))
    return sorted(checked, key=lambda record: record.at)


def _exposure_summary(rules: SafetyRules, exposures: Sequence[ExposureRecord], today: date) -> Finding:
    recent = sum(1 for record in exposures if (today - record.at.date()).days < rules.recent_days)
    total_mg = math.fsum(record.dose_mg for record in exposures)
    total_mg_per_kg = math.fsum(record.dose_mg_per_kg for record in exposures)
    values = {
        "infusions": str(len(exposures)),
        "first_on": exposures[0].at.date().isoformat(),
        "last_on": exposures[-1].at.date().isoformat(),
        "total_mg": format_number(total_mg),
        "total_mg_per_kg": format_number(total_mg_per_kg),
        "recent": str(recent),
        "recent_days": str(rules.recent_days),
    }
    inputs: dict[str, JsonValue] = {
        "infusions": len(exposures),
        "total_dose_mg": total_mg,
        "total_dose_mg_per_kg": total_mg_per_kg,
        "infusions_in_recent_days": recent,
        "recent_days": rules.recent_days,
    }
    return rules.exposure.make_finding(values, inputs)


def _dose_escalation(rules: SafetyRules, exposures: Sequence[ExposureRecord]) -> list[Finding]:
    """The latest mg/kg against the first (the starting dose); exact at the boundary (no division)."""
    first, latest = exposures[0], exposures[-1]
    limit = rules.escalation_at_least_pct
    if len(exposures) < 2 or latest.dose_mg_per_kg * 100 < first.dose_mg_per_kg * (100 + limit):
        return []
    increase_pct = (latest.dose_mg_per_kg / first.dose_mg_per_kg - 1) * 100
    values = {
        "latest_on": latest.at.date().isoformat(),
        "latest_mg_per_kg": format_number(latest.dose_mg_per_kg),
        "increase_pct": format_number(increase_pct),
        "first_mg_per_kg": format_number(first.dose_mg_per_kg),
        "first_on": first.at.date().isoformat(),
        "limit_pct": format_number(limit),
    }
    inputs: dict[str, JsonValue] = {
        "first": {"at": format_utc(first.at), "dose_mg_per_kg": first.dose_mg_per_kg},
        "latest": {"at": format_utc(latest.at), "dose_mg_per_kg": latest.dose_mg_per_kg},
    }
    return [rules.escalation.make_finding(values, inputs)]


def _shortening_interval(rules: SafetyRules, exposures: Sequence[ExposureRecord]) -> list[Finding]:
    """The latest interval against the median of the intervals before it (up to ``reference_intervals``)."""
    intervals = [(later.at - earlier.at).total_seconds() / _SECONDS_PER_DAY for earlier, later in pairwise(exposures)]
    reference = intervals[-1 - rules.reference_intervals : -1]
    if len(intervals) < 2 or len(reference) < rules.minimum_reference_intervals:
        return []
    latest, usual = intervals[-1], float(median(reference))
    # usual == 0 only when earlier infusions share a time stamp: there is no usual interval to shorten.
    if usual <= 0 or latest * 100 > rules.shortening_at_most_pct * usual:
        return []
    values = {
        "interval_days": format_number(latest),
        "previous_on": exposures[-2].at.date().isoformat(),
        "latest_on": exposures[-1].at.date().isoformat(),
        "pct_of_usual": format_number(latest / usual * 100),
        "usual_days": format_number(usual),
        "reference_count": str(len(reference)),
        "limit_pct": format_number(rules.shortening_at_most_pct),
    }
    inputs: dict[str, JsonValue] = {
        "latest_interval_days": latest,
        "reference_intervals_days": list(reference),
        "usual_interval_days": usual,
    }
    return [rules.shortening.make_finding(values, inputs)]


def _bladder(
    rules: SafetyRules, history: SafetyHistory, exposures: Sequence[ExposureRecord], today: date
) -> list[Finding]:
    """Positive answers prompt a urinalysis; missing, incomplete or pre-infusion answers make the questions due."""
    answers = history.bladder_answers
    answered_on = history.bladder_answered_on
    keys = [question.key for question in rules.bladder_questions]
    if answers is not None:
        for key, value in answers.items():
            if key not in keys:
                raise InputError(f"bladder_answers.{key}", "one of " + ", ".join(keys), None)
            if not isinstance(value, bool):
                raise InputError(f"bladder_answers.{key}", "true or false", value)
        if answered_on is None:
            raise InputError("bladder_answered_on", "the date the bladder questions were answered")
    if answered_on is not None and answered_on > today:
        raise InputError("bladder_answered_on", f"a date on or before today {today}", answered_on.isoformat())
    findings: list[Finding] = []
    given = answers or {}
    last_infusion_on = exposures[-1].at.date() if exposures else None
    unanswered = [key for key in keys if key not in given]
    stale = answered_on is None or (last_infusion_on is not None and answered_on < last_infusion_on)
    if stale or unanswered:
        values = {
            "answered_on": "never" if answered_on is None else answered_on.isoformat(),
            "last_infusion_on": "none yet" if last_infusion_on is None else last_infusion_on.isoformat(),
            "unanswered": "; not answered: " + ", ".join(unanswered) if answers is not None and unanswered else "",
        }
        inputs: dict[str, JsonValue] = {
            "bladder_answered_on": None if answered_on is None else answered_on.isoformat(),
            "last_infusion_on": None if last_infusion_on is None else last_infusion_on.isoformat(),
            "unanswered": list(unanswered),
        }
        findings.append(rules.bladder_due.make_finding(values, inputs))
    positive = [key for key in keys if given.get(key) is True]
    if positive:
        assert answered_on is not None  # answers always come with their date (checked above)
        values = {"answered_on": answered_on.isoformat(), "symptoms": ", ".join(positive)}
        inputs = {"bladder_answered_on": answered_on.isoformat(), "bladder_answers": {k: given[k] for k in given}}
        findings.append(rules.bladder_positive.make_finding(values, inputs))
    return findings


def _periodic(check: PeriodicCheck, last: date | None, infusions: int, today: date) -> list[Finding]:
    """Due once the regimen is recurring and the last test is ``every_months`` old (due on that day) or absent."""
    if infusions < check.recurring_from_infusions:
        return []
    due_on = None if last is None else add_months(last, check.every_months)
    if due_on is not None and today < due_on:
        return []
    values = {
        "infusions": str(infusions),
        "last_on": "none on record" if last is None else last.isoformat(),
        "every_months": str(check.every_months),
        "due_on": "now" if due_on is None else due_on.isoformat(),
    }
    inputs: dict[str, JsonValue] = {
        "infusions": infusions,
        "last_on": None if last is None else last.isoformat(),
        "today": today.isoformat(),
    }
    return [check.basis.make_finding(values, inputs)]


def _psychiatric_events(
    rules: SafetyRules, events: Sequence[tuple[date, str]], exposures: Sequence[ExposureRecord], today: date
) -> list[Finding]:
    """Each event on or after the first infusion (treatment-emergent) holds for a physician's review."""
    first_on = exposures[0].at.date() if exposures else None
    findings: list[Finding] = []
    for index, (on, kind) in enumerate(events):
        if kind not in rules.psychiatric_kinds:
            raise InputError(f"psychiatric_events[{index}].kind", "one of " + ", ".join(rules.psychiatric_kinds), kind)
        if on > today:
            raise InputError(f"psychiatric_events[{index}].on", f"a date on or before today {today}", on.isoformat())
        if first_on is None or on < first_on:
            continue
        values = {"kind": kind.replace("_", " "), "on": on.isoformat(), "first_on": first_on.isoformat()}
        inputs: dict[str, JsonValue] = {"kind": kind, "on": on.isoformat(), "first_infusion_on": first_on.isoformat()}
        findings.append(rules.psychiatric_event.make_finding(values, inputs))
    return findings


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the end of the month when that month is shorter.

    >>> add_months(date(2026, 8, 31), 6), add_months(date(2026, 1, 15), 6)
    (datetime.date(2027, 2, 28), datetime.date(2026, 7, 15))
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
