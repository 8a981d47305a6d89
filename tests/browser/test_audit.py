"""The auditor's view: the audit trail filtered by user, chain verification, and no patient access."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from ketaflow.domain.patients import PatientVersion
from ketaflow.services import patients
from tests.browser.conftest import ConsoleWatch, LiveServer
from tests.browser.helpers import actor_for, register_patient, sign_in


@pytest.fixture
def nurse_work(live_server: LiveServer) -> PatientVersion:
    """What a nurse did just now: registered a patient, corrected the record, read the chart."""
    svc = live_server.services
    nurse = actor_for(svc, "nurse")
    patient = register_patient(svc, family_name="Lindahl", given_names="Maja", by="nurse")
    patients.amend_patient(
        svc,
        nurse,
        patient.patient_id,
        base_version=1,
        raw={**patient.details.to_json(), "phone": "+1 555 0188"},
        reason="phone added at check-in",
    )
    patients.get_patient_chart(svc, nurse, patient.patient_id)
    return patient


def test_auditor_filters_the_trail_by_the_nurse_and_sees_her_register_amend_and_read_events(
    page: Page, nurse_work: PatientVersion
) -> None:
    sign_in(page, "auditor", next_path="/audit")

    page.get_by_label("User").fill("nurse")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/audit?user=nurse*")

    rows = page.locator("#audit-table tbody tr")
    assert set(rows.locator("td:nth-child(3)").all_inner_texts()) == {"nurse"}
    short_id = str(nurse_work.patient_id)[:8]
    for action in ("patient.register", "patient.amend", "patient.read"):
        expect(rows.filter(has_text=action).filter(has_text=short_id)).to_have_count(1)


def test_auditor_verifies_the_audit_chain_and_is_told_it_is_intact(page: Page) -> None:
    sign_in(page, "auditor", next_path="/audit")

    page.get_by_role("button", name="Verify chain").click()

    expect(page.locator("#verify-result")).to_contain_text("Audit chain intact")


def test_auditor_has_no_patients_link_and_gets_a_not_allowed_page_for_the_patient_list(
    page: Page, console: ConsoleWatch
) -> None:
    console.allow(r"/patients(\?[^:]*)?: .* status of 403")
    sign_in(page, "auditor", next_path="/audit")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Audit trail")).to_be_visible()
    expect(nav.get_by_role("link", name="Patients")).to_have_count(0)

    response = page.goto("/patients")

    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator("main")).not_to_contain_text("RIVERA")
