"""A patient ready for an infusion session: weight, height, a proceeding pre-infusion screening, consent,
a clear gate and a signed order. Shared by the integration, e2e and browser tests of the session."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

from ketaflow.domain.dosing.orders import DoseOrder, OrderSignature, order_digest
from ketaflow.domain.sessions import Author, InfusionSession, SessionHeader
from ketaflow.services import orders, patients, screening
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor
from ketaflow.services.information import list_information_sheets

CONSOLE = Actor.system("test-setup")


def pre_infusion_intake(svc: AppServices) -> dict[str, object]:
    return {
        "patient": {"age_years": 46, "sex": "female", "weight_kg": 70, "pregnant": False, "breastfeeding": False},
        "indication": "treatment_resistant_depression",
        "vitals": {
            "systolic_mmhg": 124,
            "diastolic_mmhg": 78,
            "heart_rate_bpm": 70,
            "spo2_pct": 98,
            "measured_at": svc.clock.now().isoformat(),
        },
        "conditions": [{"code": "F33.2", "clinical_status": "active"}],
        "antidepressant_trials": [
            {"drug": "sertraline", "adequate": True, "outcome": "no_response"},
            {"drug": "bupropion", "adequate": True, "outcome": "no_response"},
        ],
        "labs": {"alt_u_per_l": 20, "ast_u_per_l": 21, "bilirubin_mg_per_dl": 0.6, "egfr_ml_per_min": 95},
        "assessments": {"cssrs_screener": {"q1": False, "q2": False, "q6_lifetime": False}},
    }


def prepare_patient_for_session(
    svc: AppServices, *, family_name: str = "Session", given_names: str = "Ready", signed: bool = True
) -> tuple[UUID, UUID]:
    """(patient_id, order_id): everything the check-in and the start of an infusion need, done through services."""
    patient_id = patients.register_patient(
        svc,
        CONSOLE,
        f"KF-{uuid4().hex[:8]}",
        {"family_name": family_name, "given_names": given_names, "date_of_birth": "1980-01-01", "sex": "female"},
    ).patient_id
    today = patients.clinic_today(svc).isoformat()
    for kind, value in (("weight", 70), ("height", 168)):
        patients.record_measurement(svc, CONSOLE, patient_id, kind=kind, value=value, measured_on=today)
    screening.record_screening(svc, CONSOLE, patient_id, pre_infusion_intake(svc), purpose="intake", codes=svc.codes)
    screening.record_screening(
        svc, CONSOLE, patient_id, pre_infusion_intake(svc), purpose="pre_infusion", codes=svc.codes
    )
    sheet = next(s for s in list_information_sheets() if "depression" in s.id)
    screening.record_consent(
        svc, CONSOLE, patient_id, sheet_id=sheet.id, signed_by_name=f"{given_names} {family_name}", signed_on=today
    )
    screening.run_pre_infusion_gate(
        svc, CONSOLE, patient_id, confirmed=["fasting", "escort", "medication_holds"], escort_name="Sam Carter"
    )
    request = orders.OrderRequest.from_form(
        {"protocol_id": "depression_standard", "drug_mg": "100", "volume_ml": "100"}
    )
    order = orders.create_order(svc, CONSOLE, patient_id, request)
    if signed:  # the signature ceremony (password + TOTP) is tested with orders; here it is only a precondition
        with svc.uow_factory() as uow:
            uow.orders.add_signature(order.id, OrderSignature(order_digest(order), svc.clock.now(), "dr.test"))
            uow.commit()
    return patient_id, order.id


def store_session(
    svc: AppServices, patient_id: UUID, order: DoseOrder, chair: str = "1", *, started_at: datetime | None = None
) -> UUID:
    """A session stored straight through the repository (for tests about tables, access or follow-up, not
    check-in): checked in now, or, with ``started_at``, checked in 10 min before and started then."""
    author = Author("nurse", "nurse")
    checked_in = svc.clock.now() if started_at is None else started_at - timedelta(minutes=10)
    session = InfusionSession.check_in(
        SessionHeader(
            uuid4(),
            patient_id,
            order.id,
            chair,
            order.protocol,
            "iv_ketamine_outpatient",
            "iv_ketamine_outpatient",
            1.0,
            35.0,
            52.5,
            40.0,
            70.0,
            70.0,
        ),
        at_utc=checked_in,
        author=author,
    )
    if started_at is not None:
        session.record_gate(gate_check_id=uuid4(), clear=True, decision="proceed", author=author, now_utc=checked_in)
        baseline = {
            "vitals": {"systolic_mmhg": 124.0, "diastolic_mmhg": 78.0, "heart_rate_bpm": 70.0, "spo2_pct": 98.0}
        }
        session.record_vitals(baseline, None, author=author, now_utc=checked_in)
        session.complete_checks(author=author, now_utc=checked_in)
        session.start(52.5, author=author, now_utc=started_at)
    with svc.uow_factory() as uow:
        uow.infusions.add_session(session.header, checked_in, "nurse")
        uow.infusions.append_events(session.id, session.pending)
        uow.commit()
    return session.id
