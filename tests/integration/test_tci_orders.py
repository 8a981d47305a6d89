"""A target-controlled plan becomes a dose order through the protocol's limits, and a session runs its steps."""

from __future__ import annotations

import pytest

from ketaflow.domain.access import Role
from ketaflow.domain.basis import Decision
from ketaflow.domain.dosing.orders import OrderSignature, order_digest
from ketaflow.domain.errors import InputErrors
from ketaflow.domain.pk import PkPatient, simulate
from ketaflow.domain.pk.doses import Infusion
from ketaflow.services import orders, sessions
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor
from ketaflow.services.pk import session_concentrations
from tests.session_setup import CONSOLE, prepare_patient_for_session

NURSE = Actor(None, "nurse", Role.NURSE)
TCI_FORM = {
    "protocol_id": "depression_standard",
    "drug_mg": "100",
    "volume_ml": "100",
    "tci_target_ng_per_ml": "150",
    "tci_site": "plasma",
    "tci_step_min": "5",
}


def test_a_tci_preview_gives_pump_steps_that_hold_the_target_within_the_limits(services: AppServices) -> None:
    patient_id, _ = prepare_patient_for_session(services)
    preview = orders.preview_order(services, CONSOLE, patient_id, orders.OrderRequest.from_form(TCI_FORM))
    plan = preview.plan
    assert len(plan.steps) == 8  # 40 min of the protocol in 5-min steps (equal rates would be merged)
    assert plan.steps[0].rate_mg_per_h > plan.steps[-1].rate_mg_per_h  # a loading step, then maintenance
    assert plan.dose_mg == pytest.approx(sum(s.rate_mg_per_h * s.duration_min / 60 for s in plan.steps))
    assert preview.inputs["tci"] == {"model": "domino", "site": "plasma", "target_ng_per_ml": 150.0, "step_min": 5.0}
    # The plasma concentration is on the target at every step boundary (the engine's plasma criterion).
    patient = PkPatient.create(weight_kg=70, age_years=46, sex="female", height_cm=168)
    ends = [s.start_min + s.duration_min for s in plan.steps]
    doses = [Infusion(s.start_min, s.duration_min, s.rate_mg_per_h) for s in plan.steps]
    at_ends = simulate("domino", patient, doses, ends).plasma_ng_per_ml
    assert at_ends == pytest.approx([150.0] * len(ends), rel=1e-6)
    # The total is judged by the dose limits like any order: the decision and findings say so.
    assert plan.decision in (Decision.PROCEED, Decision.PROCEED_WITH_WARNINGS, Decision.HOLD)
    assert preview.pk_curve["cmax_ng_per_ml"] >= 149


def test_a_tci_order_refuses_a_dose_override_too(services: AppServices) -> None:
    with pytest.raises(InputErrors) as refused:
        orders.OrderRequest.from_form({**TCI_FORM, "dose_mg_per_kg": "0.5"})
    assert "dose_mg_per_kg" in refused.value.by_field


def test_a_session_of_a_tci_order_predicts_from_its_steps(services: AppServices) -> None:
    patient_id, _ = prepare_patient_for_session(services)
    request = orders.OrderRequest.from_form({**TCI_FORM, "acknowledgement": "TCI to 150 ng/mL, loading step intended"})
    order = orders.create_order(services, CONSOLE, patient_id, request)
    with services.uow_factory() as uow:
        uow.orders.add_signature(order.id, OrderSignature(order_digest(order), services.clock.now(), "dr.test"))
        uow.commit()
    session_id = sessions.check_in(services, NURSE, patient_id, order_id=str(order.id), chair="T")
    view = sessions.get_session(services, NURSE, session_id)
    steps = view.session.header.ordered_steps
    assert len(steps) == 8 and steps[0][0] == 0.0
    assert view.session.header.ordered_rate_ml_per_h == steps[0][2]  # the first step is what is keyed in first
    curves = session_concentrations(view.session, view.order_inputs, services.clock.now())
    assert curves is not None
    at_40 = curves.predicted_plasma[curves.times_min.index(40.0)]
    # The chart predicts what will be keyed in: rates rounded to the pump's 0.1 mL/h, so within 0.5 % of target.
    assert at_40 == pytest.approx(150.0, rel=5e-3)
