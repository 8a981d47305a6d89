"""One patient's outcome on one instrument: baseline, change, response, remission, time to response and relapse.

An outcome is read at one assessment point (after the first infusion, after the induction series, or the latest
score). A missing baseline or a missing score at that point makes the outcome "not evaluable" (``None``) with an
insufficient-data finding, so a clinic rate counts it as missing and never as a response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ketaflow.domain.basis import Finding, JsonValue, RuleRef
from ketaflow.domain.errors import InputError
from ketaflow.domain.outcomes.definitions import Endpoint, Instrument, OutcomeDefinitions
from ketaflow.domain.outcomes.scores import ScorePoint, check_scores, check_utc
from ketaflow.domain.ruledata.fields import format_utc
from ketaflow.domain.ruledata.rulebasis import format_number

_SECONDS_PER_DAY = 86400.0


class Assessment(StrEnum):
    """The point an outcome is read at."""

    FIRST_INFUSION = "first_infusion"  # the score nearest 24 h after the first infusion
    SERIES = "series"  # the score nearest 24 h after the last infusion of the induction series
    LATEST = "latest"  # the latest score after the first infusion


@dataclass(frozen=True, slots=True)
class PatientOutcome:
    """The outcome on one instrument at one assessment point, with the findings that state and cite each result.

    ``endpoint`` is the score the result is read at; ``latest`` is the last score after the first infusion.
    ``durability_days`` runs from the last infusion of the series (or, for the latest assessment, from the first
    response) to the relapse, or to the last score when there was none (then the relapse is censored).
    """

    ref: RuleRef
    instrument: str
    assessment: Assessment
    baseline: ScorePoint | None
    endpoint: ScorePoint | None
    latest: ScorePoint | None
    change: int | None
    percent_change: float | None
    responded: bool | None
    remitted: bool | None
    time_to_response_days: float | None
    infusions_to_response: int | None
    relapsed_at: datetime | None
    durability_days: float | None
    findings: tuple[Finding, ...]

    @property
    def relapse_censored(self) -> bool | None:
        """True when a responder was followed without a relapse; None when relapse was not evaluated."""
        if self.durability_days is None:
            return None
        return self.relapsed_at is None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "definitions": self.ref.to_json(),
            "instrument": self.instrument,
            "assessment": self.assessment.value,
            "baseline": None if self.baseline is None else self.baseline.to_json(),
            "endpoint": None if self.endpoint is None else self.endpoint.to_json(),
            "latest": None if self.latest is None else self.latest.to_json(),
            "change": self.change,
            "percent_change": self.percent_change,
            "responded": self.responded,
            "remitted": self.remitted,
            "time_to_response_days": self.time_to_response_days,
            "infusions_to_response": self.infusions_to_response,
            "relapsed_at": None if self.relapsed_at is None else format_utc(self.relapsed_at),
            "durability_days": self.durability_days,
            "relapse_censored": self.relapse_censored,
            "findings": [finding.to_json() for finding in self.findings],
        }


def evaluate_patient_outcome(
    definitions: OutcomeDefinitions,
    *,
    instrument: str,
    scores: Sequence[ScorePoint],
    infusion_times: Sequence[datetime],
    series_end: datetime | None = None,
) -> PatientOutcome:
    """The outcome after the induction series ending at ``series_end`` (its last infusion), or at the latest score.

    With ``series_end`` the result is read at the score nearest the rule data's target after it, and relapse is
    looked for in responders after that score, timed from ``series_end``. Without it the result is read at the
    latest score, and relapse is looked for after the first response.
    """
    assessment = Assessment.LATEST if series_end is None else Assessment.SERIES
    return _evaluate(definitions, instrument, scores, infusion_times, assessment, series_end)


def evaluate_first_infusion_outcome(
    definitions: OutcomeDefinitions,
    *,
    instrument: str,
    scores: Sequence[ScorePoint],
    infusion_times: Sequence[datetime],
) -> PatientOutcome:
    """The outcome after the first infusion: the score nearest the target (24 h) before the second infusion."""
    return _evaluate(definitions, instrument, scores, infusion_times, Assessment.FIRST_INFUSION, None)


@dataclass(frozen=True, slots=True)
class _Evaluation:
    """The checked inputs of one evaluation."""

    definitions: OutcomeDefinitions
    instrument: Instrument
    points: tuple[ScorePoint, ...]
    infusions: tuple[datetime, ...]
    assessment: Assessment
    series_end: datetime | None

    def empty(self, latest: ScorePoint | None, findings: list[Finding]) -> PatientOutcome:
        return PatientOutcome(
            ref=self.definitions.ref,
            instrument=self.instrument.key,
            assessment=self.assessment,
            baseline=None,
            endpoint=None,
            latest=latest,
            change=None,
            percent_change=None,
            responded=None,
            remitted=None,
            time_to_response_days=None,
            infusions_to_response=None,
            relapsed_at=None,
            durability_days=None,
            findings=tuple(findings),
        )

    def inputs(self, extra: Mapping[str, JsonValue] | None = None) -> dict[str, JsonValue]:
        return {
            "instrument": self.instrument.key,
            "assessment": self.assessment.value,
            "definitions": f"{self.definitions.ref.id} {self.definitions.ref.version}",
            **(extra or {}),
        }


def _evaluate(
    definitions: OutcomeDefinitions,
    instrument_key: str,
    scores: Sequence[ScorePoint],
    infusion_times: Sequence[datetime],
    assessment: Assessment,
    series_end: datetime | None,
) -> PatientOutcome:
    instrument = definitions.get_instrument(instrument_key)
    evaluation = _Evaluation(
        definitions=definitions,
        instrument=instrument,
        points=check_scores(scores, instrument.total_min, instrument.total_max),
        infusions=tuple(
            sorted(check_utc(moment, f"infusion_times[{index}]") for index, moment in enumerate(infusion_times))
        ),
        assessment=assessment,
        series_end=None if series_end is None else check_utc(series_end, "series_end"),
    )
    label = {"instrument": instrument.label}
    if not evaluation.infusions:
        basis = definitions.not_evaluable["no_infusions"]
        return evaluation.empty(None, [basis.make_finding(label, evaluation.inputs())])
    first = evaluation.infusions[0]
    if evaluation.series_end is not None and evaluation.series_end < first:
        raise InputError("series_end", f"a time at or after the first infusion {format_utc(first)}", series_end)
    follow_ups = tuple(point for point in evaluation.points if point.at > first)
    latest = follow_ups[-1] if follow_ups else None
    baseline = _find_baseline(evaluation.points, first, definitions.baseline_window_days)
    if baseline is None:
        values = label | {
            "window_days": format_number(definitions.baseline_window_days),
            "first_infusion_at": format_utc(first),
        }
        finding = definitions.not_evaluable["no_baseline"].make_finding(
            values, evaluation.inputs({"first_infusion_at": format_utc(first), "scores": len(evaluation.points)})
        )
        return evaluation.empty(latest, [finding])
    return _evaluate_from_baseline(evaluation, baseline, follow_ups, latest)


def _find_baseline(points: Sequence[ScorePoint], first: datetime, window_days: float) -> ScorePoint | None:
    """The last score at or before the first infusion, no older than the baseline window."""
    candidates = [point for point in points if first - timedelta(days=window_days) <= point.at <= first]
    return candidates[-1] if candidates else None


def _evaluate_from_baseline(
    evaluation: _Evaluation, baseline: ScorePoint, follow_ups: tuple[ScorePoint, ...], latest: ScorePoint | None
) -> PatientOutcome:
    instrument, definitions = evaluation.instrument, evaluation.definitions
    first = evaluation.infusions[0]
    findings: list[Finding] = []
    reading = _find_endpoint(evaluation, follow_ups, latest)
    endpoint = reading.endpoint
    responding = baseline.total > 0
    considered = [point for point in follow_ups if reading.covers(point)]
    first_response = next(
        (point for point in considered if responding and instrument.response.is_met(baseline.total, point.total)),
        None,
    )
    change: int | None = None
    percent_change: float | None = None
    responded: bool | None = None
    remitted: bool | None = None
    if endpoint is None:
        findings.append(_no_endpoint_finding(evaluation, reading.window))
    else:
        change = endpoint.total - baseline.total
        remitted = instrument.remission.is_met(endpoint.total)
        if responding:
            percent_change = change / baseline.total * 100
            responded = instrument.response.is_met(baseline.total, endpoint.total)
            findings.append(_response_finding(evaluation, baseline, endpoint, percent_change, responded=responded))
        else:
            label = {"instrument": instrument.label}
            inputs = evaluation.inputs({"baseline.total": baseline.total, "baseline.at": format_utc(baseline.at)})
            findings.append(definitions.not_evaluable["zero_baseline"].make_finding(label, inputs))
        findings.append(_remission_finding(evaluation, endpoint, remitted=remitted))
    relapsed_at, durability_days, relapse_finding = _find_relapse(
        evaluation, baseline, endpoint, responded, first_response
    )
    if relapse_finding is not None:
        findings.append(relapse_finding)
    return PatientOutcome(
        ref=definitions.ref,
        instrument=instrument.key,
        assessment=evaluation.assessment,
        baseline=baseline,
        endpoint=endpoint,
        latest=latest,
        change=change,
        percent_change=percent_change,
        responded=responded,
        remitted=remitted,
        time_to_response_days=None if first_response is None else _days(first_response.at - first),
        infusions_to_response=None
        if first_response is None
        else sum(1 for moment in evaluation.infusions if moment < first_response.at),
        relapsed_at=relapsed_at,
        durability_days=durability_days,
        findings=tuple(findings),
    )


@dataclass(frozen=True, slots=True)
class _Reading:
    """Where an outcome is read: the chosen score, the window it was chosen from (None for the latest score),
    and the next infusion after the window's anchor (scores from then on belong to that infusion)."""

    endpoint: ScorePoint | None
    window: tuple[datetime, datetime] | None = None
    next_infusion: datetime | None = None

    def covers(self, point: ScorePoint) -> bool:
        """Whether a follow-up score belongs to this assessment (for the time to response)."""
        if self.endpoint is not None:
            return point.at <= self.endpoint.at
        assert self.window is not None  # without a window the endpoint is the latest score, there whenever any is
        return point.at <= self.window[1] and (self.next_infusion is None or point.at < self.next_infusion)


def _find_endpoint(evaluation: _Evaluation, follow_ups: tuple[ScorePoint, ...], latest: ScorePoint | None) -> _Reading:
    """The score the outcome is read at: the latest, or the one nearest the target inside the window."""
    if evaluation.assessment is Assessment.LATEST:
        return _Reading(latest)
    if evaluation.assessment is Assessment.FIRST_INFUSION:
        anchor, endpoint = evaluation.infusions[0], evaluation.definitions.first_infusion_endpoint
    else:
        assert evaluation.series_end is not None  # SERIES is chosen only with a series end
        anchor, endpoint = evaluation.series_end, evaluation.definitions.series_endpoint
    earliest, latest_allowed = _window(anchor, endpoint)
    next_infusion = next((moment for moment in evaluation.infusions if moment > anchor), None)
    candidates = [
        point
        for point in follow_ups
        if anchor < point.at
        and earliest <= point.at <= latest_allowed
        and (next_infusion is None or point.at < next_infusion)
    ]
    target = anchor + timedelta(hours=endpoint.target_hours)
    # Nearest the target; of two equally near, the later one (it reflects the whole interval).
    best = min(
        candidates,
        key=lambda point: (abs((point.at - target).total_seconds()), -point.at.timestamp()),
        default=None,
    )
    return _Reading(best, (earliest, latest_allowed), next_infusion)


def _window(anchor: datetime, endpoint: Endpoint) -> tuple[datetime, datetime]:
    return anchor + timedelta(hours=endpoint.earliest_hours), anchor + timedelta(hours=endpoint.latest_hours)


def _no_endpoint_finding(evaluation: _Evaluation, window: tuple[datetime, datetime] | None) -> Finding:
    if window is None:
        assessment, earliest, latest = "after the first infusion", format_utc(evaluation.infusions[0]), "now"
    else:
        assessment = {
            Assessment.FIRST_INFUSION: "after the first infusion",
            Assessment.SERIES: "after the induction series",
        }[evaluation.assessment]
        earliest, latest = format_utc(window[0]), format_utc(window[1])
    values = {
        "instrument": evaluation.instrument.label,
        "assessment": assessment,
        "earliest": earliest,
        "latest": latest,
    }
    return evaluation.definitions.not_evaluable["no_endpoint"].make_finding(
        values, evaluation.inputs({"window_from": earliest, "window_to": latest})
    )


def _response_finding(
    evaluation: _Evaluation, baseline: ScorePoint, endpoint: ScorePoint, percent_change: float, *, responded: bool
) -> Finding:
    rule = evaluation.instrument.response
    values = {
        "instrument": evaluation.instrument.label,
        "endpoint_total": str(endpoint.total),
        "endpoint_at": format_utc(endpoint.at),
        "baseline_total": str(baseline.total),
        "change_pct": format_number(percent_change),
        "verdict": "response" if responded else "no response",
        "limit_pct": format_number(rule.reduction_at_least_pct),
    }
    inputs = evaluation.inputs(
        {
            "baseline.total": baseline.total,
            "baseline.at": format_utc(baseline.at),
            "endpoint.total": endpoint.total,
            "endpoint.at": format_utc(endpoint.at),
            "responded": responded,
        }
    )
    return rule.basis.make_finding(values, inputs)


def _remission_finding(evaluation: _Evaluation, endpoint: ScorePoint, *, remitted: bool) -> Finding:
    rule = evaluation.instrument.remission
    values = {
        "instrument": evaluation.instrument.label,
        "endpoint_total": str(endpoint.total),
        "endpoint_at": format_utc(endpoint.at),
        "verdict": "remission" if remitted else "no remission",
        "comparison": rule.comparison.wording,
        "limit": format_number(rule.limit),
    }
    inputs = evaluation.inputs(
        {
            "endpoint.total": endpoint.total,
            "endpoint.at": format_utc(endpoint.at),
            "remission_option": rule.option,
            "remitted": remitted,
        }
    )
    return rule.basis.make_finding(values, inputs)


def _find_relapse(
    evaluation: _Evaluation,
    baseline: ScorePoint,
    endpoint: ScorePoint | None,
    responded: bool | None,
    first_response: ScorePoint | None,
) -> tuple[datetime | None, float | None, Finding | None]:
    """Relapse in a responder: the onset time, the days it was durable (to onset or last score), the finding."""
    if evaluation.assessment is Assessment.SERIES and responded and endpoint is not None:
        assert evaluation.series_end is not None  # SERIES is chosen only with a series end
        reference, start, reference_text = evaluation.series_end, endpoint, "the last infusion of the series"
    elif evaluation.assessment is Assessment.LATEST and first_response is not None:
        reference, start, reference_text = first_response.at, first_response, "the first response"
    else:
        return None, None, None
    rule = evaluation.definitions.relapse
    later = [point for point in evaluation.points if point.at > start.at]
    run: list[ScorePoint] = []
    for point in later:
        run = [*run, point] if rule.is_lost(baseline.total, point.total) else []
        if len(run) == rule.consecutive:
            onset = run[0].at
            days = _days(onset - reference)
            values = {
                "instrument": evaluation.instrument.label,
                "relapsed_at": format_utc(onset),
                "consecutive": str(rule.consecutive),
                "totals": ", ".join(str(p.total) for p in run),
                "baseline_total": str(baseline.total),
                "reduction_below_pct": format_number(rule.reduction_below_pct),
                "days": format_number(days),
                "reference": f"{reference_text} on {format_utc(reference)}",
            }
            inputs = evaluation.inputs(
                {
                    "baseline.total": baseline.total,
                    "scores": [p.to_json() for p in run],
                    "reference_at": format_utc(reference),
                }
            )
            return onset, days, rule.basis.make_finding(values, inputs)
    last = later[-1] if later else start
    return None, _days(last.at - reference), None


def _days(span: timedelta) -> float:
    return span.total_seconds() / _SECONDS_PER_DAY
