"""One synthetic infusion visit, charted through ``InfusionSession`` so every event is one the clinic could record.

The visit runs in clinical time order: check-in, the gate, baseline vitals, the start, a reading at every interval
of the monitoring rules (sooner when a reading asks for a recheck), side effects and a drug for some, pauses
(the rules' and the patient's), completion, recovery readings, PADSS and Aldrete scores, the escort and the
discharge the recovery rules allow. Each reading carries the monitoring rules' own verdict, and an alerting
verdict raises an alert that the physician acknowledges, exactly as ``services.sessions`` charts it.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from ketaflow.domain.access import Role
from ketaflow.domain.basis import JsonValue
from ketaflow.domain.monitoring import (
    Action,
    MonitoringResult,
    MonitoringRules,
    Observation,
    Phase,
    TimedObservation,
    evaluate_observation,
)
from ketaflow.domain.monitoring.observation import MOAA_S_HIGHEST
from ketaflow.domain.recovery import Instrument, RecoveryRules, score_recovery, suggest_circulation_points
from ketaflow.domain.sessions import Author, EventKind, InfusionSession, SessionHeader, SessionState
from ketaflow.domain.vitals import Vitals
from ketaflow.services.demo_history_params import HistoryParameters, Normal
from ketaflow.services.sessions import ALERTING_ACTIONS, evaluate_session_discharge

NURSE = Author("nurse", Role.NURSE.value)
PHYSICIAN = Author("physician", Role.PHYSICIAN.value)
# Minutes between steps at the chair that no rule times (the order in which a nurse does them, not a clinical
# interval): gate, baseline, checks, start; a physician's acknowledgement after an alert; a drug after a symptom.
_STEP_MIN = 2
SYNTHETIC_NOTE = "Synthetic demo session (generated, fictional patient)."


@dataclass(frozen=True, slots=True)
class VisitRules:
    """The rule sets a visit is charted against, loaded once per history."""

    monitoring: MonitoringRules
    recovery: RecoveryRules
    instructions: tuple[str, ...]
    cadss_licensed: bool


@dataclass(frozen=True, slots=True)
class RestingSigns:
    """The patient's signs at rest today (the baseline the session's rules compare against)."""

    systolic_mmhg: int
    diastolic_mmhg: int
    heart_rate_bpm: int
    spo2_pct: int
    respiratory_rate_per_min: int

    def vitals(self) -> Vitals:
        return Vitals(
            systolic_mmhg=self.systolic_mmhg,
            diastolic_mmhg=self.diastolic_mmhg,
            heart_rate_bpm=self.heart_rate_bpm,
            spo2_pct=self.spo2_pct,
            respiratory_rate_per_min=self.respiratory_rate_per_min,
        )


@dataclass
class VisitResult:
    session: InfusionSession
    side_effects: list[str] = field(default_factory=list)
    alerts: int = 0
    pauses: int = 0
    stopped_early: bool = False
    discharge_override: bool = False


def draw(rng: random.Random, normal: Normal) -> float:
    return rng.gauss(normal.mean, normal.sd)


def _rise(minutes: float, peak: float, params: HistoryParameters) -> float:
    """The straight-line rise to the peak and fall back to baseline (rule file: blood_pressure)."""
    if minutes <= 0 or minutes >= params.back_to_baseline_at_min:
        return 0.0
    if minutes <= params.peak_at_min:
        return peak * minutes / params.peak_at_min
    return peak * (params.back_to_baseline_at_min - minutes) / (params.back_to_baseline_at_min - params.peak_at_min)


class _Visit:
    def __init__(
        self,
        header: SessionHeader,
        checked_in_at: datetime,
        resting: RestingSigns,
        rng: random.Random,
        params: HistoryParameters,
        rules: VisitRules,
        escort_name: str,
    ) -> None:
        self.rng, self.params, self.rules, self.resting = rng, params, rules, resting
        self.escort_name = escort_name
        self.session = InfusionSession.check_in(header, at_utc=checked_in_at, author=NURSE)
        self.end_at = checked_in_at
        self.result = VisitResult(self.session)
        rise_z = rng.gauss(0, 1)  # one standard score for the systolic and diastolic rise (rule file notes)
        self.peak_systolic = params.peak_rise_systolic_mmhg.at(rise_z)
        self.peak_diastolic = params.peak_rise_diastolic_mmhg.at(rise_z)
        self.heart_rate_rise = draw(rng, params.heart_rate_rise_bpm)
        self.drowsy = False
        self.recent: list[TimedObservation] = []
        self.baseline = resting.vitals()  # the one baseline reading charted (session.baseline, without the replay)
        self.queue: list[tuple[datetime, int, str, str]] = []
        self.counter = 0

    # -- the signs ------------------------------------------------------------------------------------------
    def observe(self, at: datetime) -> Observation:
        start = self.session.started_at_utc
        minutes = 0.0 if start is None else (at - start).total_seconds() / 60.0
        noise = self.params.reading_noise_mmhg_sd
        p, rng = self.params, self.rng
        return Observation(
            vitals=Vitals(
                systolic_mmhg=round(
                    self.resting.systolic_mmhg + _rise(minutes, self.peak_systolic, p) + rng.gauss(0, noise)
                ),
                diastolic_mmhg=round(
                    self.resting.diastolic_mmhg + _rise(minutes, self.peak_diastolic, p) + rng.gauss(0, noise)
                ),
                heart_rate_bpm=round(
                    self.resting.heart_rate_bpm
                    + _rise(minutes, self.heart_rate_rise, p)
                    + rng.gauss(0, p.heart_rate_noise_bpm_sd)
                ),
                spo2_pct=rng.randint(*p.spo2_pct_range),
                respiratory_rate_per_min=rng.randint(*p.respiratory_rate_range),
            ),
            moaa_s=MOAA_S_HIGHEST - 1 if self.drowsy else MOAA_S_HIGHEST,
        )

    def evaluate(self, observation: Observation, at: datetime) -> MonitoringResult | None:
        """The monitoring rules' verdict, read as ``services.sessions`` reads it."""
        session = self.session
        phase, minutes = session.phase_at(at), session.minutes_since_start(at)
        if phase == "baseline" or minutes is None:
            return None
        # Only the readings the trend rule reads (the last ones before this): the verdict is the same as with the
        # whole list, which services.sessions passes, and the history stays fast.
        recent = self.recent[-(self.rules.monitoring.trend.consecutive_readings - 1) :]
        return evaluate_observation(
            self.rules.monitoring,
            phase=Phase.INFUSING if phase == "infusing" else Phase.RECOVERY,
            minutes_since_start=minutes,
            baseline=self.baseline,
            observation=observation,
            recent=recent,
            cadss_licensed=self.rules.cadss_licensed,
        )

    def alert_if_needed(self, result: MonitoringResult | None, seq: int, at: datetime) -> None:
        if result is None or result.action not in ALERTING_ACTIONS:
            return
        alerting = [f for f in result.findings if f.action in ALERTING_ACTIONS]
        alert_id = uuid4().hex[:12]
        self.session.raise_alert(
            alert_id=alert_id,
            action=result.action.value,
            summary="; ".join(f.finding.message for f in alerting),
            findings=[f.to_json() for f in alerting],
            reading_seq=seq,
            author=NURSE,
            now_utc=at,
        )
        self.result.alerts += 1
        self.push(at + timedelta(minutes=_STEP_MIN), "acknowledge", alert_id)

    def chart_reading(self, at: datetime) -> MonitoringResult | None:
        observation = self.observe(at)
        result = self.evaluate(observation, at)
        event = self.session.record_vitals(
            observation.to_json(), None if result is None else result.to_json(), author=NURSE, now_utc=at
        )
        minutes = self.session.minutes_since_start(at)
        if minutes is not None:
            self.recent.append(TimedObservation(minutes, observation))
        self.alert_if_needed(result, event.seq, at)
        return result

    # -- the queue of what happens next ----------------------------------------------------------------------
    def push(self, at: datetime, kind: str, payload: str = "") -> None:
        self.counter += 1
        heapq.heappush(self.queue, (at, self.counter, kind, payload))

    def run_until_empty(self) -> None:
        while self.queue:
            at, _, kind, payload = heapq.heappop(self.queue)
            getattr(self, f"on_{kind}")(at, payload)

    # -- infusion ----------------------------------------------------------------------------------------------
    def chart(self, gate_check_id: UUID, gate_decision: str) -> VisitResult:
        session, params, rng = self.session, self.params, self.rng
        step = timedelta(minutes=_STEP_MIN)
        session.add_note(SYNTHETIC_NOTE, author=NURSE, now_utc=session.checked_in_at_utc)
        t = session.checked_in_at_utc + step
        session.record_gate(gate_check_id=gate_check_id, clear=True, decision=gate_decision, author=NURSE, now_utc=t)
        t += step
        session.record_vitals(Observation(self.resting.vitals()).to_json(), None, author=NURSE, now_utc=t)
        t += step
        session.complete_checks(author=NURSE, now_utc=t)
        t += step
        header = session.header
        session.start(header.ordered_rate_ml_per_h, author=NURSE, now_utc=t)
        self.end_at = t + timedelta(minutes=header.ordered_duration_min)
        interval = timedelta(minutes=self.rules.monitoring.reading_intervals_min[Phase.INFUSING])
        self.push(t + interval, "reading")
        duration = header.ordered_duration_min
        for effect in params.adverse_effects:
            if rng.random() < effect.per_session_probability:
                self.push(t + timedelta(minutes=rng.uniform(1, duration - 1)), "side_effect", effect.code)
        if rng.random() < params.pause_probability:
            self.push(t + timedelta(minutes=rng.uniform(1, duration - 1)), "pause", "Patient asked for a short break")
        self.push(self.end_at, "end")
        self.run_until_empty()
        self.recover()
        return self.result

    def on_reading(self, at: datetime, _: str) -> None:
        if self.session.state not in (SessionState.INFUSING, SessionState.PAUSED):
            return  # the infusion ended before this reading fell due; recovery readings follow their own interval
        result = self.chart_reading(at)
        routine = self.rules.monitoring.reading_intervals_min[Phase.INFUSING]
        recheck = None if result is None else result.recheck_in_min
        self.push(at + timedelta(minutes=min(routine, recheck or routine)), "reading")
        if result is not None and result.action is Action.STOP:
            self.stop(at + timedelta(minutes=_STEP_MIN), "Stopped on the monitoring rules' verdict")
        elif result is not None and result.action is Action.PAUSE and self.session.state is SessionState.INFUSING:
            self.pause_for_rules(at + timedelta(minutes=_STEP_MIN), result)

    def pause_for_rules(self, at: datetime, result: MonitoringResult) -> None:
        reason = next((f.finding.rule_id for f in result.findings if f.action is Action.PAUSE), "monitoring rules")
        self.session.pause(f"Paused on {reason}", author=NURSE, now_utc=at)
        self.result.pauses += 1
        # The recheck reading (due at the rules' recheck time) decides: resume, or stop if it still pauses.
        self.push(at + timedelta(minutes=self.rules.monitoring.recheck_in_min.get(Action.PAUSE, _STEP_MIN)), "recheck")

    def on_recheck(self, at: datetime, _: str) -> None:
        if self.session.state is not SessionState.PAUSED:
            return
        result = self.chart_reading(at)
        if result is not None and result.action in (Action.PAUSE, Action.STOP):
            self.stop(at + timedelta(minutes=_STEP_MIN), "Blood pressure did not settle during the pause")
        else:
            self.resume(at + timedelta(minutes=_STEP_MIN))

    def on_side_effect(self, at: datetime, code: str) -> None:
        if self.session.state not in (SessionState.INFUSING, SessionState.PAUSED):
            return
        rng, params = self.rng, self.params
        severity = "moderate" if rng.random() < params.moderate_fraction else "mild"
        event = self.session.record_side_effect(code, severity, "", author=NURSE, now_utc=at)
        self.result.side_effects.append(code)
        self.drowsy = self.drowsy or code == "drowsiness"
        # Side effects feed the same rules, read with the latest vitals (as services.sessions does).
        latest = next((r for r in reversed(self.session.readings) if not r.is_baseline), None)
        vitals = latest.vitals if latest is not None else Vitals()
        self.alert_if_needed(self.evaluate(Observation(vitals=vitals, side_effects=(code,)), at), event.seq, at)
        if code == params.intervention_for and rng.random() < params.intervention_fraction:
            self.push(at + timedelta(minutes=_STEP_MIN), "intervention")

    def on_intervention(self, at: datetime, _: str) -> None:
        drug: dict[str, JsonValue] = dict(self.params.intervention)
        self.session.record_intervention(drug, author=PHYSICIAN, now_utc=at)

    def on_acknowledge(self, at: datetime, alert_id: str) -> None:
        self.session.acknowledge_alert(alert_id, "Seen by the physician at the chair.", author=PHYSICIAN, now_utc=at)

    def on_pause(self, at: datetime, reason: str) -> None:
        if self.session.state is not SessionState.INFUSING:
            return
        self.session.pause(reason, author=NURSE, now_utc=at)
        self.result.pauses += 1
        self.push(at + timedelta(minutes=self.params.pause_min), "resume")

    def on_resume(self, at: datetime, _: str) -> None:
        if self.session.state is SessionState.PAUSED:
            self.resume(at)

    def resume(self, at: datetime) -> None:
        paused = self.session.latest(EventKind.PAUSED)
        assert paused is not None  # resume() is only called while the session is paused
        self.session.resume(self.session.header.ordered_rate_ml_per_h, author=NURSE, now_utc=at)
        # The pump ran for less time than planned: it runs on until the ordered dose is in.
        self.end_at += at - paused.at_utc
        self.push(self.end_at, "end")

    def on_end(self, at: datetime, _: str) -> None:
        if at != self.end_at or self.session.state is not SessionState.INFUSING:
            return  # an end superseded by a pause (a later end is queued), or the infusion already stopped
        self.session.complete(author=NURSE, now_utc=at)
        self.session.begin_recovery(author=NURSE, now_utc=at)

    def stop(self, at: datetime, reason: str) -> None:
        if self.session.state not in (SessionState.INFUSING, SessionState.PAUSED):
            return
        self.session.stop(reason, author=NURSE, now_utc=at)
        self.session.begin_recovery(author=NURSE, now_utc=at)
        self.result.stopped_early = True

    # -- recovery ----------------------------------------------------------------------------------------------
    def score(self, instrument: Instrument, at: datetime) -> None:
        recovery, rng = self.rules.recovery, self.rng
        scale = recovery.scale(instrument)
        criterion = recovery.padss if instrument is Instrument.PADSS else recovery.aldrete
        answers = {item.id: item.max_points for item in scale.items}
        latest = next((r.vitals for r in reversed(self.session.readings) if not r.is_baseline), None)
        baseline = self.session.baseline
        if latest is not None and baseline is not None:
            suggested = suggest_circulation_points(recovery, baseline=baseline, latest=latest, instrument=instrument)
            if suggested is not None:
                answers[scale.circulation.item] = suggested
        held = {minimum.item for minimum in criterion.item_minimums} | {scale.circulation.item}
        lowerable = [item for item in scale.items if item.id not in held and len(item.allowed_points) > 1]
        if lowerable and rng.random() < self.params.item_below_best_fraction:
            item = rng.choice(lowerable)
            answers[item.id] = sorted(item.allowed_points, reverse=True)[1]
        score = score_recovery(recovery, instrument, answers)
        self.session.record_recovery_score(score.to_json(), author=NURSE, now_utc=at)

    def recover(self) -> None:
        session, recovery = self.session, self.rules.recovery
        ended = session.ended_at_utc
        assert ended is not None  # chart() ends every infusion (completed or stopped) before recovery
        interval = timedelta(minutes=self.rules.monitoring.reading_intervals_min[Phase.RECOVERY])
        observe_until = ended + timedelta(minutes=recovery.observation.minimum_min)
        padss_every = timedelta(minutes=self.params.padss_every_min)
        t = ended + interval
        while t <= observe_until:
            self.push(t, "recovery_reading")
            t += interval
        self.push(observe_until - padss_every, "padss")
        self.push(observe_until, "padss")
        self.push(observe_until, "aldrete")
        self.push(observe_until, "escort")
        self.run_until_empty()
        at = observe_until + timedelta(minutes=_STEP_MIN)
        evaluation = evaluate_session_discharge(session, at)
        for _ in range(self.params.extra_observation_steps):
            if evaluation.allowed:
                break
            at += interval
            self.chart_reading(at)
            self.score(Instrument.PADSS, at)
            self.score(Instrument.ALDRETE, at)
            self.run_until_empty()
            at += timedelta(minutes=_STEP_MIN)
            evaluation = evaluate_session_discharge(session, at)
        override = None
        if not evaluation.allowed:
            override = "Physician reviewed at the bedside and discharged with the escort (synthetic demo)."
            self.result.discharge_override = True
        session.discharge(
            evaluation=evaluation.to_json(),
            allowed=evaluation.allowed,
            override_reason=override,
            instructions=list(self.rules.instructions),
            author=PHYSICIAN if override else NURSE,
            now_utc=at,
        )

    def on_recovery_reading(self, at: datetime, _: str) -> None:
        self.chart_reading(at)

    def on_padss(self, at: datetime, _: str) -> None:
        self.score(Instrument.PADSS, at)

    def on_aldrete(self, at: datetime, _: str) -> None:
        self.score(Instrument.ALDRETE, at)

    def on_escort(self, at: datetime, _: str) -> None:
        self.session.confirm_escort(self.escort_name, "", author=NURSE, now_utc=at)


def chart_synthetic_visit(
    header: SessionHeader,
    *,
    checked_in_at: datetime,
    gate_check_id: UUID,
    gate_decision: str,
    resting: RestingSigns,
    escort_name: str,
    rng: random.Random,
    params: HistoryParameters,
    rules: VisitRules,
) -> VisitResult:
    """Chart one whole visit, check-in to discharge; every event goes through ``InfusionSession``'s rules."""
    visit = _Visit(header, checked_in_at, resting, rng, params, rules, escort_name)
    return visit.chart(gate_check_id, gate_decision)
