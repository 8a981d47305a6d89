"""Dose orders in the browser: the live preview with its computation and PK chart, create, sign with TOTP, refuse."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import UUID

from playwright.sync_api import Page, expect

from ketaflow.services import patients, screening
from tests.browser.conftest import LiveServer
from tests.browser.helpers import actor_for, labelled, open_patient, path_is, register_patient, sign_in, totp_code
from tests.browser.test_screening import _intake
from tests.conftest import PASSWORD


def _screened_patient(server: LiveServer, family_name: str) -> UUID:
    """70 kg, 170 cm, and an intake screening that proceeds."""
    svc = server.services
    patient_id = register_patient(svc, family_name=family_name, given_names="Test").patient_id
    nurse = actor_for(svc, "nurse")
    measured_on = (patients.clinic_today(svc) - timedelta(days=1)).isoformat()
    for kind, value in (("weight", 70), ("height", 170)):
        patients.record_measurement(svc, nurse, patient_id, kind=kind, value=value, measured_on=measured_on)
    svc.codes.search("warm up", 1)  # the code list loads once per process
    screened = screening.record_screening(svc, nurse, patient_id, _intake(124, 78), purpose="intake", codes=svc.codes)
    assert screened.decision.value in ("proceed", "proceed_with_warnings")
    return patient_id


def test_physician_previews_the_computation_and_pk_chart_then_creates_and_signs_with_totp(
    page: Page, live_server: LiveServer
) -> None:
    patient_id = _screened_patient(live_server, "Ordersign")
    sign_in(page, "physician")
    open_patient(page, patient_id)

    page.locator("#orders").get_by_role("link", name="New order").click()
    page.wait_for_url(path_is(f"/patients/{patient_id}/orders/new"))
    preview = page.locator("#preview")
    expect(preview.locator("#step-weight")).to_contain_text("70 kg")
    expect(preview.locator("#step-dosing-weight")).to_contain_text("actual body weight")
    expect(preview.locator("#step-dose")).to_contain_text("35 mg")
    expect(preview.locator("#step-rate")).to_contain_text("52.5 mg/h")
    expect(preview.locator("#step-pump")).to_contain_text("52.5 mL/h")
    expect(preview.locator("#step-vtbi")).to_contain_text("35 mL")
    expect(page.locator("#pk-chart canvas").first).to_be_visible()
    expect(page.locator("#pk-summary")).to_contain_text("Cmax")
    expect(page.locator("#preview-screening")).to_contain_text("Clear")

    page.get_by_role("button", name="Create order").click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}\?notice=order_created"))
    expect(page.locator("#order-status")).to_contain_text("Draft, not signed")
    labelled(page, "Your password").fill(PASSWORD)
    labelled(page, "Code from your app").fill(totp_code(page, "physician"))
    page.get_by_role("button", name="Sign order").click()
    page.wait_for_url(lambda url: "notice=order_signed" in url)

    expect(page.locator("#order-status")).to_contain_text("Signed")
    expect(page.locator("#order-digest")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    page.get_by_role("button", name="Verify integrity").click()
    expect(page.locator("#verify-result")).to_contain_text("Order intact")
    expect(page.locator("#sign-form")).to_have_count(0)


def test_a_10x_slip_shows_the_block_in_place_and_no_create_button(page: Page, live_server: LiveServer) -> None:
    patient_id = _screened_patient(live_server, "Orderslip")
    sign_in(page, "physician")
    page.goto(f"/patients/{patient_id}/orders/new")
    expect(page.locator("#preview-decision")).to_contain_text("Proceed")
    expect(labelled(page, "Rate (mg/h)")).to_be_hidden()  # the override is in the protocol's unit only

    with page.expect_response(lambda r: r.url.endswith("/orders/preview")):
        labelled(page, "Dose (mg/kg)").fill("5")
        labelled(page, "Dose (mg/kg)").press("Tab")

    expect(page.locator("#preview-decision")).to_contain_text("Block")
    expect(page.locator("#preview-findings")).to_contain_text("depression_standard.hard.dose")
    expect(page.locator("#step-dose")).to_contain_text("350 mg")
    expect(page.locator("#create-actions")).to_contain_text("no order can be created")
    expect(page.get_by_role("button", name="Create order")).to_have_count(0)
