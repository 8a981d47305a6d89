"""One synthetic patient's records, written through the repositories: registration, intake screening and consent,
the infusions of the course plan's phases (each visit charted by ``demo_history_session``), questionnaires with
missed ones, maintenance for some responders, relapse, the synthetic mark and one audit event.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from ketaflow.domain.audit import ActionCode
from ketaflow.domain.basis import Decision, JsonValue
from ketaflow.domain.course import CoursePlan, Phase
from ketaflow.domain.dosing import DosingPatient, Preparation, Protocol, plan_infusion
from ketaflow.domain.dosing.orders import DoseOrder, OrderSignature, check_order_decision, order_digest
from ketaflow.domain.errors import Conflict, RuleDataError
from ketaflow.domain.outcomes import OutcomeDefinitions
from ketaflow.domain.patients import BodyMeasurement, MeasurementKind, PatientDetails, PatientVersion, age_years
from ketaflow.domain.questionnaires import ScaleResponse
from ketaflow.domain.scales import Respondent, ScaleLibrary, score_answers
from ketaflow.domain.screening import Intake, ScreeningRuleSet, screen_patient
from ketaflow.domain.screening.gate import CONFIRMED_BY_STAFF, GateChecklist, GateRules, evaluate_gate
from ketaflow.domain.screening.records import Consent, GateCheck, Purpose, ScreeningRecord
from ketaflow.domain.sessions import SessionHeader
from ketaflow.rules import load_rule_file
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, record_audit
from ketaflow.services.courses import ENDED
from ketaflow.services.demo_history_params import HistoryParameters, load_history_parameters
from ketaflow.services.demo_history_scores import (
    NOT_RESPONDED,
    REMITTED,
    RESPONDED,
    RESPONDING,
    answers_for_total,
    total_in_state,
)
from ketaflow.services.demo_history_session import (
    NURSE,
    PHYSICIAN,
    RestingSigns,
    VisitRules,
    chart_synthetic_visit,
    draw,
)
from ketaflow.services.dosing import load_protocol_library
from ketaflow.services.information import InformationSheet, list_information_sheets
from ketaflow.services.monitoring import load_monitoring_rules
from ketaflow.services.ports import CourseEvent, TreatmentCourse, UnitOfWork
from ketaflow.services.questionnaires import load_outcome_definitions
from ketaflow.services.scales import load_scale_library
from ketaflow.services.screening import load_gate_rules, load_screening_rules
from ketaflow.services.sessions import load_recovery_rules

MRN_PREFIX = "SYN-"
AUDIT_ACTION = "demo.synthetic_history"
ACTOR = Actor.system("demo-history")
# Patients per transaction: large enough that SQLite commits are few, small enough to keep a transaction short.
BATCH_PATIENTS = 25
# Not clinical: answers and arrivals do not fall on the exact hour (hours either side of the target).
TIMING_JITTER_H = 2.0
# Minutes before check-in at which the pre-infusion steps happen (the order of a morning at the chair).
SCREEN_BEFORE_MIN, RESCREEN_BEFORE_MIN, ORDER_BEFORE_MIN, GATE_BEFORE_MIN = 20, 10, 8, 2
CHECK_IN_MINUTES = (0, 15, 30, 45)
ProgressCallback = Callable[[int, int], None]
# Bounds on the command's arguments (not clinical): a demo, not a load test.
MAX_PATIENTS, MAX_DAYS = 20_000, 3650

# Invented names (common given and family names combined at random: no real person is described).
GIVEN_FEMALE = (
    "Amara", "Beatriz", "Chloe", "Dana", "Elif", "Farah", "Grace", "Hana", "Imogen", "Jolene", "Keiko", "Lena",
    "Mira", "Nadia", "Olga", "Priya", "Quinn", "Rosa", "Sana", "Tova", "Una", "Vera", "Wren", "Yara", "Zoe",
)  # fmt: skip
GIVEN_MALE = (
    "Aaron", "Bruno", "Caleb", "Dmitri", "Emeka", "Felix", "Goran", "Hugo", "Idris", "Jonas", "Kofi", "Luca",
    "Mateo", "Nikhil", "Omar", "Pavel", "Rafael", "Soren", "Tariq", "Umar", "Victor", "Wes", "Yusuf", "Zane",
)  # fmt: skip
FAMILY = (
    "Abernathy", "Baptiste", "Castellano", "Delacroix", "Eriksen", "Fairweather", "Galloway", "Hargrove",
    "Ibarra", "Janssen", "Kowalczyk", "Lindqvist", "Marchetti", "Nakagawa", "Okonkwo", "Pemberton", "Quintero",
    "Rasmussen", "Sandoval", "Thackeray", "Underwood", "Valdivia", "Whitcombe", "Yamamoto", "Zielinski",
)  # fmt: skip


@dataclass
class HistoryCounts:
    patients: int = 0
    screened_out: int = 0
    sessions: int = 0
    deferred: int = 0
    responses: int = 0
    responders: int = 0
    remitters: int = 0
    relapses: int = 0
    maintenance: int = 0
    side_effects: int = 0
    alerts: int = 0


@dataclass(frozen=True, slots=True)
class HistorySetting:
    """Everything one history reads, loaded once."""

    params: HistoryParameters
    visit_rules: VisitRules
    screening_rules: ScreeningRuleSet
    gate_rules: GateRules
    protocol: Protocol
    plan: CoursePlan
    induction: Phase
    maintenance: Phase
    library: ScaleLibrary
    definitions: OutcomeDefinitions
    sheet: InformationSheet
    zone: ZoneInfo
    now: datetime
    seed: int


@cache
def _course_plan(plan_id: str) -> CoursePlan:
    return CoursePlan.from_dict(load_rule_file("courses", plan_id))


def _phase(plan: CoursePlan, name: str) -> Phase:
    found = next((phase for phase in plan.phases if phase.name == name), None)
    if found is None or found.infusions is None:
        raise RuleDataError(f"rule data: course plan {plan.ref.id} has no phase {name!r} with a number of infusions")
    return found


def load_history_setting(svc: AppServices, seed: int) -> HistorySetting:
    params = load_history_parameters()
    protocol = load_protocol_library().get_protocol(params.protocol_id)
    if protocol is None:
        raise RuleDataError(f"rule data: synthetic history names no shipped protocol {params.protocol_id!r}")
    recovery = load_recovery_rules(protocol.recovery_rules)
    plan = _course_plan(params.course_plan_id)
    sheet = next((s for s in list_information_sheets() if protocol.indications[0] in s.applies_to_indications), None)
    if sheet is None:
        raise RuleDataError(f"rule data: no information sheet for {protocol.indications[0]}")
    return HistorySetting(
        params=params,
        visit_rules=VisitRules(
            monitoring=load_monitoring_rules(protocol.monitoring_rules),
            recovery=recovery,
            instructions=recovery.instructions(clinic_name=svc.clinic_name, clinic_phone=svc.clinic_phone),
            cadss_licensed=svc.cadss_licensed,
        ),
        screening_rules=load_screening_rules(),
        gate_rules=load_gate_rules(),
        protocol=protocol,
        plan=plan,
        induction=_phase(plan, params.induction_phase),
        maintenance=_phase(plan, params.maintenance_phase),
        library=load_scale_library(),
        definitions=load_outcome_definitions(),
        sheet=sheet,
        zone=ZoneInfo(svc.clinic_timezone),
        now=svc.clock.now(),
        seed=seed,
    )


# -- one patient ---------------------------------------------------------------------------------------------
@dataclass
class _Patient:
    index: int
    rng: random.Random
    version: PatientVersion
    weight_kg: float
    height_cm: float
    resting_systolic: float
    resting_diastolic: float
    resting_heart_rate: float
    instruments: tuple[str, ...]
    baselines: dict[str, int]
    category: str
    early_response: bool
    quantile: float
    quits_after_adverse_event: bool
    endpoint_totals: dict[str, int] = field(default_factory=dict)
    had_side_effect: bool = False
    discontinued: bool = False

    @property
    def patient_id(self) -> UUID:
        return self.version.patient_id

    @property
    def details(self) -> PatientDetails:
        return self.version.details


def _fictional_details(
    rng: random.Random, index: int, today: date, setting: HistorySetting
) -> tuple[PatientDetails, str]:
    params = setting.params
    female = rng.random() < params.female_fraction
    given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
    family = rng.choice(FAMILY)
    age = rng.randint(*params.age_years_range)
    born = today - timedelta(days=round(age * 365.25) + rng.randint(0, 364))
    contact_female = rng.random() < params.female_fraction
    contact = f"{rng.choice(GIVEN_FEMALE if contact_female else GIVEN_MALE)} {family}"
    details = PatientDetails.create(
        {
            "family_name": family,
            "given_names": given,
            "date_of_birth": born.isoformat(),
            "sex": "female" if female else "male",
            "phone": f"+1 555 01{index % 100:02d}",
            "email": f"{given.lower()}.{family.lower()}.{index}@example.org",
            "emergency_contact_name": contact,
            "emergency_contact_phone": f"+1 555 01{(index + 50) % 100:02d}",
            "emergency_contact_relationship": "family",
        },
        today=today,
    )
    return details, contact


class HistoryWriter:
    def __init__(self, svc: AppServices, setting: HistorySetting) -> None:
        self.svc, self.setting, self.counts = svc, setting, HistoryCounts()

    # -- time -------------------------------------------------------------------------------------------------
    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.setting.zone).date()

    def clinic_time(self, day: date, rng: random.Random) -> datetime:
        first, last = self.setting.params.check_in_hour_range
        local = datetime.combine(day, time(rng.randint(first, last), rng.choice(CHECK_IN_MINUTES)), self.setting.zone)
        return local.astimezone(self.setting.now.tzinfo)

    @staticmethod
    def weekday(day: date) -> date:
        """The clinic runs infusions on weekdays."""
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day

    def has_happened(self, check_in: datetime) -> bool:
        """A whole visit (infusion and observation) is over by now, so it belongs to the history."""
        visit = timedelta(minutes=self.setting.visit_rules.recovery.observation.minimum_min) * 2
        return check_in + visit < self.setting.now

    # -- the patient ------------------------------------------------------------------------------------------
    def make_patient(self, index: int, days: int) -> tuple[_Patient, date, date]:
        setting, params = self.setting, self.setting.params
        rng = random.Random(f"{setting.seed}:{index}")  # noqa: S311  # synthetic demo data, not a secret
        today = self.local_day(setting.now)
        lead_max = params.intake_days_range[1]
        first_day = self.weekday(today - timedelta(days=rng.randint(1, max(1, days - lead_max))))
        if first_day >= today:
            first_day -= timedelta(days=7)
        details, _ = _fictional_details(rng, index, today, setting)
        intake_day = first_day - timedelta(days=rng.randint(*params.intake_days_range))
        version = PatientVersion(
            patient_id=uuid4(),
            mrn=f"{MRN_PREFIX}{index + 1:05d}",
            version=1,
            details=details,
            recorded_at_utc=self.clinic_time(intake_day, rng),
            recorded_by="frontdesk",
        )
        height = draw(rng, params.height_cm_female if details.sex.value == "female" else params.height_cm_male)
        low, high = params.weight_kg_range
        instruments = ("phq9", "qids_sr16") if rng.random() < params.qids_fraction else ("phq9",)
        blood_pressure_z = rng.gauss(0, 1)  # one standard score for systolic and diastolic (rule file notes)
        u = rng.random()
        category = (
            REMITTED
            if u < params.remission_probability
            else RESPONDED
            if u < params.response_probability
            else NOT_RESPONDED
        )
        patient = _Patient(
            index=index,
            rng=rng,
            version=version,
            weight_kg=round(min(high, max(low, draw(rng, params.weight_kg))), 1),
            height_cm=round(height, 1),
            resting_systolic=params.systolic_mmhg.at(blood_pressure_z),
            resting_diastolic=params.diastolic_mmhg.at(blood_pressure_z),
            resting_heart_rate=draw(rng, params.heart_rate_bpm),
            instruments=instruments,
            baselines={i: rng.randint(*params.baseline_total_ranges[i]) for i in instruments},
            category=category,
            early_response=rng.random() < params.first_infusion_response_probability,
            quantile=rng.random(),
            quits_after_adverse_event=rng.random() < params.discontinuation_for_adverse_event,
        )
        for instrument in instruments:
            definition = setting.definitions.get_instrument(instrument)
            patient.endpoint_totals[instrument] = total_in_state(
                definition, patient.baselines[instrument], frozenset({category}), patient.quantile, rng
            )
        return patient, intake_day, first_day

    def resting(self, patient: _Patient) -> RestingSigns:
        params, rng = self.setting.params, patient.rng
        noise = params.reading_noise_mmhg_sd
        return RestingSigns(
            systolic_mmhg=round(patient.resting_systolic + rng.gauss(0, noise)),
            diastolic_mmhg=round(patient.resting_diastolic + rng.gauss(0, noise)),
            heart_rate_bpm=round(patient.resting_heart_rate + rng.gauss(0, params.heart_rate_noise_bpm_sd)),
            spo2_pct=rng.randint(*params.spo2_pct_range),
            respiratory_rate_per_min=rng.randint(*params.respiratory_rate_range),
        )

    def screening(
        self, uow: UnitOfWork, patient: _Patient, purpose: Purpose, at: datetime, signs: RestingSigns
    ) -> ScreeningRecord:
        details = patient.details
        person: dict[str, object] = {
            "age_years": age_years(details.date_of_birth, self.local_day(at)),
            "sex": details.sex.value,
            "weight_kg": patient.weight_kg,
        }
        if details.sex.value == "female":
            person |= {"pregnant": False, "breastfeeding": False}
        document = {
            "patient": person,
            "indication": self.setting.protocol.indications[0],
            "vitals": {
                "systolic_mmhg": signs.systolic_mmhg,
                "diastolic_mmhg": signs.diastolic_mmhg,
                "heart_rate_bpm": signs.heart_rate_bpm,
                "spo2_pct": signs.spo2_pct,
                "measured_at": at.isoformat(),
            },
            "conditions": [{"code": "F33.2", "clinical_status": "active"}],
            "antidepressant_trials": [
                {"drug": "sertraline", "adequate": True, "outcome": "no_response"},
                {"drug": "bupropion", "adequate": True, "outcome": "no_response"},
            ],
            "assessments": {"cssrs_screener": {"q1": False, "q2": False, "q6_lifetime": False}},
        }
        # The one condition code is a fixed, valid ICD-10-CM code; parsing skips loading the code set (seconds).
        intake = Intake.from_json(document)
        result = screen_patient(intake, self.setting.screening_rules, now_utc=at)
        record = ScreeningRecord(
            id=uuid4(),
            patient_id=patient.patient_id,
            purpose=purpose,
            intake=intake.to_json(),
            result=result.to_json(),
            decision=result.decision,
            ruleset=result.ruleset,
            urgent_safety_referral=result.urgent_safety_referral,
            screened_at_utc=at,
            screened_by=NURSE.username,
        )
        uow.screenings.add_screening(record)
        return record

    def screen_until_clear(
        self, uow: UnitOfWork, patient: _Patient, purpose: Purpose, at: datetime, retake: datetime
    ) -> tuple[ScreeningRecord, RestingSigns]:
        """Screen; a held resting BP is measured again after rest and screened once more (rule file notes)."""
        signs = self.resting(patient)
        record = self.screening(uow, patient, purpose, at, signs)
        if record.decision not in (Decision.PROCEED, Decision.PROCEED_WITH_WARNINGS):
            signs = self.resting(patient)
            record = self.screening(uow, patient, purpose, retake, signs)
        return record, signs

    def order(self, uow: UnitOfWork, patient: _Patient, at: datetime) -> tuple[DoseOrder, dict[str, JsonValue]]:
        params, details = self.setting.params, patient.details
        age = age_years(details.date_of_birth, self.local_day(at))
        dosing = DosingPatient.create(
            weight_kg=patient.weight_kg, height_cm=patient.height_cm, sex=details.sex.value, age_years=age
        )
        preparation = Preparation.create(drug_mg=params.preparation_drug_mg, volume_ml=params.preparation_volume_ml)
        plan = plan_infusion(dosing, self.setting.protocol, preparation=preparation)
        acknowledgement = check_order_decision(
            plan.decision, "" if plan.decision is Decision.PROCEED else "Reviewed for this patient (synthetic demo)."
        )
        order = DoseOrder(
            id=uuid4(),
            patient_id=patient.patient_id,
            protocol=plan.protocol,
            inputs={
                "weight_kg": patient.weight_kg,
                "height_cm": patient.height_cm,
                "sex": details.sex.value,
                "age_years": age,
                "preparation": {"drug_mg": params.preparation_drug_mg, "volume_ml": params.preparation_volume_ml},
                "overrides": {},
            },
            plan=plan.to_json(),
            decision=plan.decision,
            acknowledgement=acknowledgement,
            created_at_utc=at,
            created_by=PHYSICIAN.username,
        )
        uow.orders.add_order(order)
        signed_at = at + timedelta(minutes=GATE_BEFORE_MIN)
        uow.orders.add_signature(order.id, OrderSignature(order_digest(order), signed_at, PHYSICIAN.username))
        return order, order.plan

    def visit(self, uow: UnitOfWork, patient: _Patient, consent: Consent, check_in: datetime) -> datetime | None:
        """One infusion day; the start time, or None when the gate did not clear (the infusion is deferred)."""
        minutes = timedelta(minutes=1)
        record, signs = self.screen_until_clear(
            uow,
            patient,
            Purpose.PRE_INFUSION,
            check_in - SCREEN_BEFORE_MIN * minutes,
            check_in - RESCREEN_BEFORE_MIN * minutes,
        )
        escort = patient.details.emergency_contact_name
        checklist = GateChecklist(confirmed=frozenset(CONFIRMED_BY_STAFF), escort_name=escort)
        gate_at = check_in - GATE_BEFORE_MIN * minutes
        result = evaluate_gate(record, None, consent, checklist, self.setting.gate_rules, now_utc=gate_at)
        gate = GateCheck(
            id=uuid4(),
            patient_id=patient.patient_id,
            screening_id=record.id,
            checklist=checklist.to_json(),
            result=result.to_json(),
            decision=result.decision,
            clear=result.is_clear,
            checked_at_utc=gate_at,
            checked_by=NURSE.username,
        )
        uow.screenings.add_gate_check(gate)
        if not gate.clear:
            self.counts.deferred += 1
            return None
        order, plan = self.order(uow, patient, check_in - ORDER_BEFORE_MIN * minutes)
        protocol, params = self.setting.protocol, self.setting.params
        header = SessionHeader(
            session_id=uuid4(),
            patient_id=patient.patient_id,
            order_id=order.id,
            chair=str(patient.rng.randint(1, params.chairs)),
            protocol=order.protocol,
            monitoring_rules=protocol.monitoring_rules,
            recovery_rules=protocol.recovery_rules,
            concentration_mg_per_ml=_plan_number(plan, "concentration_mg_per_ml"),
            ordered_dose_mg=_plan_number(plan, "dose_mg"),
            ordered_rate_ml_per_h=_plan_number(plan, "rate_ml_per_h"),
            ordered_duration_min=_plan_number(plan, "duration_min"),
            weight_kg=patient.weight_kg,
            dosing_weight_kg=None if plan.get("dosing_weight_kg") is None else _plan_number(plan, "dosing_weight_kg"),
        )
        result_visit = chart_synthetic_visit(
            header,
            checked_in_at=check_in,
            gate_check_id=gate.id,
            gate_decision=gate.decision.value,
            resting=signs,
            escort_name=escort,
            rng=patient.rng,
            params=params,
            rules=self.setting.visit_rules,
        )
        session = result_visit.session
        uow.infusions.add_session(header, check_in, NURSE.username)
        uow.infusions.append_events(session.id, session.pending)
        self.counts.sessions += 1
        self.counts.side_effects += len(result_visit.side_effects)
        self.counts.alerts += result_visit.alerts
        patient.had_side_effect = bool(result_visit.side_effects)
        assert session.started_at_utc is not None  # every charted visit starts its infusion
        return session.started_at_utc

    def series(self, uow: UnitOfWork, patient: _Patient, consent: Consent, phase: Phase, first: date) -> list[datetime]:
        """The starts of one phase's infusions that have happened by now; a deferred day moves to the next weekday."""
        params, rng = self.setting.params, patient.rng
        assert phase.infusions is not None  # _phase() refuses an open-ended phase
        starts: list[datetime] = []
        day = first
        for number in range(phase.infusions):
            if number > 0:
                if patient.discontinued or rng.random() < params.dropout_per_infusion:
                    break
                day = self.weekday(day + timedelta(days=rng.randint(phase.min_interval_days, phase.max_interval_days)))
            started = None
            for _ in range(phase.max_interval_days):
                check_in = self.clinic_time(day, rng)
                if not self.has_happened(check_in):
                    return starts
                started = self.visit(uow, patient, consent, check_in)
                if started is not None:
                    break
                day = self.weekday(day + timedelta(days=1))
            if started is None:
                break
            starts.append(started)
            if patient.had_side_effect and patient.quits_after_adverse_event:
                patient.discontinued = True  # stops after the session with an adverse event (rule file: course)
        return starts

    # -- questionnaires ---------------------------------------------------------------------------------------
    def answer(self, uow: UnitOfWork, patient: _Patient, at: datetime, total_of: Callable[[str, int], int]) -> None:
        """Every instrument the patient answers, at ``at``, with the total ``total_of(instrument, baseline)``."""
        if at >= self.setting.now:
            return
        kept = self.setting.params.items_kept_at_zero
        for instrument in patient.instruments:
            scale = self.setting.library.get(instrument)
            total = total_of(instrument, patient.baselines[instrument])
            answers = answers_for_total(scale, total, kept.get(instrument, ()), patient.rng)
            response = ScaleResponse.from_result(
                score_answers(scale, answers),
                patient_id=patient.patient_id,
                respondent=Respondent.PATIENT,
                answered_at_utc=at,
                recorded_by=NURSE.username,
            )
            uow.questionnaires.add_response(response)
            self.counts.responses += 1

    def in_state(self, patient: _Patient, states: frozenset[str]) -> Callable[[str, int], int]:
        def total(instrument: str, baseline: int) -> int:
            definition = self.setting.definitions.get_instrument(instrument)
            return total_in_state(definition, baseline, states, patient.quantile, patient.rng)

        return total

    def on_the_way(self, patient: _Patient, fraction: float) -> Callable[[str, int], int]:
        """A total ``fraction`` of the way from the baseline to the series endpoint, give or take one point."""

        def total(instrument: str, baseline: int) -> int:
            endpoint = patient.endpoint_totals[instrument]
            return min(
                baseline, max(0, round(baseline + (endpoint - baseline) * fraction) + patient.rng.randint(-1, 1))
            )

        return total

    def jitter(self, rng: random.Random) -> timedelta:
        return timedelta(hours=rng.uniform(-TIMING_JITTER_H, TIMING_JITTER_H))

    # -- the whole patient -------------------------------------------------------------------------------------
    def write_patient(self, uow: UnitOfWork, index: int, days: int) -> None:
        setting, params = self.setting, self.setting.params
        patient, intake_day, first_day = self.make_patient(index, days)
        rng, pid = patient.rng, patient.patient_id
        step = timedelta(minutes=SCREEN_BEFORE_MIN)
        intake_at = patient.version.recorded_at_utc
        if uow.patients.mrn_exists(patient.version.mrn):
            raise Conflict(f"MRN {patient.version.mrn} is already registered: the synthetic history exists")
        uow.patients.add_version(patient.version)
        uow.courses.mark_synthetic(pid, setting.now, params.ref.version, setting.seed)
        record_audit(
            uow,
            self.svc.clock,
            ACTOR,
            AUDIT_ACTION,
            ActionCode.CREATE,
            patient_id=pid,
            resource_type="Patient",
            resource_id=str(pid),
            detail=f"synthetic demo patient: {params.ref.id} {params.ref.version}, seed {setting.seed}",
        )
        self.counts.patients += 1
        for kind, value in ((MeasurementKind.WEIGHT, patient.weight_kg), (MeasurementKind.HEIGHT, patient.height_cm)):
            uow.patients.add_measurement(
                BodyMeasurement(uuid4(), pid, kind, value, intake_day, intake_at, NURSE.username)
            )
        record, _ = self.screen_until_clear(uow, patient, Purpose.INTAKE, intake_at + step, intake_at + 2 * step)
        self.answer(uow, patient, intake_at + 3 * step, self.on_the_way(patient, 0.0))
        if record.decision not in (Decision.PROCEED, Decision.PROCEED_WITH_WARNINGS):
            self.counts.screened_out += 1
            return
        details = patient.details
        consent = Consent(
            id=uuid4(),
            patient_id=pid,
            sheet_id=setting.sheet.id,
            sheet_version=setting.sheet.version,
            explained_by=PHYSICIAN.username,
            signed_by_name=f"{details.given_names} {details.family_name}",
            signed_on=intake_day,
            recorded_at_utc=intake_at + 4 * step,
            recorded_by=NURSE.username,
        )
        uow.screenings.add_consent(consent)
        course = TreatmentCourse(
            id=uuid4(),
            patient_id=pid,
            plan_id=setting.plan.ref.id,
            plan_version=setting.plan.ref.version,
            start_date=first_day,
            created_at_utc=consent.recorded_at_utc,
            created_by=PHYSICIAN.username,
            reason="Synthetic demo history: induction for treatment-resistant depression.",
        )
        uow.courses.add_course(course)
        induction = self.series(uow, patient, consent, setting.induction, first_day)
        if not induction:
            return
        self.questionnaires_of_induction(uow, patient, induction)
        responding = patient.category in RESPONDING
        self.counts.responders += responding
        self.counts.remitters += patient.category == REMITTED
        last = induction[-1]
        maintenance: list[datetime] = []
        if responding and len(induction) == setting.induction.infusions and rng.random() < params.maintenance_fraction:
            gap = rng.randint(setting.maintenance.min_interval_days, setting.maintenance.max_interval_days)
            first = self.weekday(self.local_day(last) + timedelta(days=gap))
            maintenance = self.series(uow, patient, consent, setting.maintenance, first)
            self.counts.maintenance += bool(maintenance)
        # No further infusion planned once the last interval of the plan's weekly phase has passed: the course ends.
        ended_at = (maintenance or induction)[-1] + timedelta(days=setting.maintenance.max_interval_days)
        if ended_at < setting.now:
            reason = "Synthetic demo history: no further infusions planned."
            uow.courses.add_event(
                CourseEvent(uuid4(), course.id, ENDED, {"reason": reason}, ended_at, PHYSICIAN.username)
            )
        relapse_at = setting.now + timedelta(days=days)  # never, within the history
        if responding:
            rate_per_day = math.log(2) / params.relapse_median_days
            relapse_at = (maintenance or induction)[-1] + timedelta(days=rng.expovariate(rate_per_day))
            self.counts.relapses += relapse_at < setting.now

        def state_at(at: datetime) -> frozenset[str]:
            return frozenset({patient.category if at < relapse_at else NOT_RESPONDED})

        for start in maintenance:
            at = start - timedelta(minutes=RESCREEN_BEFORE_MIN)
            if rng.random() >= params.missing_visit_fraction:
                self.answer(uow, patient, at, self.in_state(patient, state_at(at)))
        target = timedelta(hours=setting.definitions.series_endpoint.target_hours)
        if rng.random() >= params.missing_endpoint_fraction:
            at = last + target + abs(self.jitter(rng))
            self.answer(uow, patient, at, self.in_state(patient, state_at(at)))
        at = last + target
        follow_up_end = last + timedelta(weeks=params.follow_up_weeks)
        while True:
            at += timedelta(days=rng.randint(*params.follow_up_every_days_range))
            if at >= follow_up_end or at >= setting.now:
                break
            if rng.random() >= params.missing_follow_up_fraction:
                self.answer(uow, patient, at, self.in_state(patient, state_at(at)))

    def questionnaires_of_induction(self, uow: UnitOfWork, patient: _Patient, starts: Sequence[datetime]) -> None:
        """Before every infusion (the first is the baseline) and about 24 h after the first."""
        params, rng = self.setting.params, patient.rng
        planned = self.setting.induction.infusions or len(starts)
        for number, start in enumerate(starts):
            at = start - timedelta(minutes=RESCREEN_BEFORE_MIN)
            if number == 0 or rng.random() >= params.missing_visit_fraction:
                self.answer(uow, patient, at, self.on_the_way(patient, number / planned))
        if rng.random() >= params.missing_24h_fraction:
            target = timedelta(hours=self.setting.definitions.first_infusion_endpoint.target_hours)
            at = starts[0] + target + self.jitter(rng)
            states = RESPONDING if patient.early_response else frozenset({NOT_RESPONDED})
            if len(starts) == 1 or at < starts[1]:
                self.answer(uow, patient, at, self.in_state(patient, states))


def _plan_number(plan: dict[str, JsonValue], key: str) -> float:
    value = plan.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleDataError(f"the dose planner's plan has no number {key!r}")  # a planner bug, not user input
    return float(value)
