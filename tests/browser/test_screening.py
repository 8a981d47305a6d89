"""Screening in the browser: the intake form with ICD-10-CM search, a physician's decision, consent and the gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from ketaflow.services import patients, screening
from tests.browser.conftest import LiveServer
from tests.browser.helpers import actor_for, labelled, open_patient, path_is, register_patient, sign_in


def _intake(systolic: int, diastolic: int) -> dict[str, Any]:
    """A complete intake with resting vitals taken five minutes ago."""
    measured = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    return {
        "patient": {"age_years": 46, "sex": "female", "weight_kg": 68.0, "pregnant": False, "breastfeeding": False},
        "indication": "treatment_resistant_depression",
        "vitals": {
            "systolic_mmhg": systolic,
            "diastolic_mmhg": diastolic,
            "heart_rate_bpm": 70,
            "measured_at": measured,
        },
        "conditions": [{"code": "F33.2", "clinical_status": "active"}],
        "antidepressant_trials": [
            {"drug": "sertraline", "adequate": True, "outcome": "no_response"},
            {"drug": "bupropion", "adequate": True, "outcome": "no_response"},
        ],
        "labs": {"alt_u_per_l": 20, "ast_u_per_l": 21, "bilirubin_mg_per_dl": 0.6, "egfr_ml_per_min": 95},
        "assessments": {"cssrs_screener": {"q1": False, "q2": False, "q6_lifetime": False}},
    }


def _patient_with_weight(server: LiveServer, family_name: str) -> UUID:
    svc = server.services
    patient_id = register_patient(svc, family_name=family_name, given_names="Test").patient_id
    patients.record_measurement(
        svc,
        actor_for(svc, "nurse"),
        patient_id,
        kind="weight",
        value=68,
        measured_on=(patients.clinic_today(svc) - timedelta(days=2)).isoformat(),
    )
    return patient_id


def test_nurse_fills_the_intake_form_with_the_icd_search_and_sees_the_decision_and_its_findings(
    page: Page, live_server: LiveServer
) -> None:
    patient_id = _patient_with_weight(live_server, "Intakeform")
    live_server.services.codes.search("warm up", 1)  # the code list loads once per process (a few seconds)
    sign_in(page, "nurse")
    open_patient(page, patient_id)

    page.get_by_role("link", name="New intake screening").click()
    page.wait_for_url(path_is(f"/patients/{patient_id}/screenings/new"))
    expect(labelled(page, "Weight (kg)")).to_have_value("68")
    labelled(page, "Indication").select_option("treatment_resistant_depression")
    labelled(page, "Systolic (mmHg)").fill("132")
    labelled(page, "Diastolic (mmHg)").fill("84")
    labelled(page, "Heart rate (beats/min)").fill("76")
    zone = ZoneInfo(live_server.settings.clinic_timezone)
    taken = (datetime.now(zone) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    page.locator("#f-vitals-measured_at").fill(taken)
    row = page.locator("#condition-row-0")
    with page.expect_response(lambda r: "/icd10cm/search?" in r.url):
        row.get_by_label("Find a code").press_sequentially("recurrent severe without")
    row.get_by_role(
        "button", name="F33.2 Major depressive disorder, recurrent severe without psychotic features"
    ).click()
    expect(row.get_by_label("ICD-10-CM code")).to_have_value("F33.2")
    row.get_by_label("Clinical status").select_option("active")
    for item in ("q1", "q2", "q6_lifetime"):
        page.locator(f'input[name="assessments.cssrs_screener.{item}"][value="no"]').check()
    page.get_by_role("button", name="Run screening").click()
    page.wait_for_url(path_is(f"/patients/{patient_id}"))

    latest = page.locator("#latest-screening")
    expect(latest.locator(".badge--large")).to_be_visible()
    expect(latest.locator("#latest-ruleset")).to_contain_text("ketaflow.screening")
    expect(page.locator("#latest-findings .basis").first).to_be_visible()
    expect(page.locator("#latest-findings")).to_contain_text("Source")
    stored = screening.get_screening_overview(
        live_server.services, actor_for(live_server.services, "nurse"), patient_id
    )
    assert stored.screenings[0].intake["conditions"][0]["code"] == "F33.2"


def test_physician_documents_a_decision_on_a_held_screening(page: Page, live_server: LiveServer) -> None:
    svc = live_server.services
    patient_id = _patient_with_weight(live_server, "Heldreview")
    svc.codes.search("warm up", 1)
    held = screening.record_screening(
        svc, actor_for(svc, "nurse"), patient_id, _intake(150, 95), purpose="intake", codes=svc.codes
    )
    assert held.decision.value == "hold"
    sign_in(page, "physician")
    open_patient(page, patient_id)

    form = page.locator("#review-form")
    form.get_by_label("Proceed", exact=True).check()
    labelled(form, "Clinical reasoning").fill("BP 150/95 after rest; treated hypertension; reviewed with the patient")
    form.get_by_role("button", name="Document decision").click()
    page.wait_for_url(lambda url: "notice=reviewed" in url)

    expect(page.locator("#latest-review")).to_contain_text("Physician's decision: Proceed")
    expect(page.locator("#latest-review")).to_contain_text("treated hypertension")
    expect(page.locator("#review-form")).to_have_count(0)


def test_nurse_records_consent_and_runs_the_gate_to_clear(page: Page, live_server: LiveServer) -> None:
    svc = live_server.services
    patient_id = _patient_with_weight(live_server, "Gateclear")
    svc.codes.search("warm up", 1)
    screening.record_screening(
        svc, actor_for(svc, "nurse"), patient_id, _intake(124, 78), purpose="pre_infusion", codes=svc.codes
    )
    sign_in(page, "nurse")
    open_patient(page, patient_id)

    page.get_by_role("link", name="Record consent").click()
    labelled(page, "Information sheet").select_option("iv-ketamine-depression")
    labelled(page, "Patient's name as signed").fill("Test Gateclear")
    page.get_by_role("button", name="Record consent").click()
    page.wait_for_url(lambda url: "notice=consent_recorded" in url)
    expect(page.locator("#consents")).to_contain_text("Active")

    page.get_by_role("link", name="Pre-infusion gate").click()
    page.wait_for_url(path_is(f"/patients/{patient_id}/gate"))
    expect(page.locator("#consent-status")).to_contain_text("On file")
    for item in ("fasting", "escort", "medication_holds"):
        page.locator(f"#f-confirmed-{item}").check()
    labelled(page, "Escort's name and phone").fill("Jo Gateclear, 555 0142")
    page.get_by_role("button", name="Check the gate").click()
    page.wait_for_url(lambda url: "notice=gate_checked" in url)

    expect(page.locator("#gate-result")).to_contain_text("Clear to start the infusion")
    expect(page.locator("#gate-findings .basis").first).to_be_visible()
