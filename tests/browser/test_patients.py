"""Patients in the browser: finding, registering, correcting demographics, charting weight."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Page, expect

from ketaflow.services import patients
from tests.browser.conftest import ConsoleWatch, LiveServer
from tests.browser.helpers import new_mrn, open_patient, path_is, register_patient, sign_in


def clinic_yesterday(server: LiveServer) -> str:
    return (patients.clinic_today(server.services) - timedelta(days=1)).isoformat()


def test_patient_search_results_update_as_the_nurse_types_without_a_page_load(page: Page) -> None:
    sign_in(page, "nurse")
    expect(page.locator("#patient-table tbody tr")).not_to_have_count(0)
    page.evaluate("window.kfSamePage = true")

    with page.expect_response(lambda r: "/patients/_results?" in r.url):
        page.get_by_label("Name or MRN").press_sequentially("naka")

    rows = page.locator("#patient-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("NAKAMURA, Emi")
    expect(rows.first).to_contain_text("1996-06-30")
    assert page.evaluate("window.kfSamePage") is True, "the search reloaded the page"
    assert path_is("/patients")(page.url)


def test_nurse_registers_a_patient_through_the_form_and_sees_the_patient_page(page: Page) -> None:
    sign_in(page, "nurse")
    mrn = new_mrn()

    page.get_by_role("link", name="Register patient").click()
    page.get_by_label("Medical record number (MRN)").fill(mrn)
    page.get_by_label("Family name").fill("Wells")
    page.get_by_label("Given names").fill("June Margaret")
    page.get_by_label("Date of birth").fill("1990-02-14")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Phone", exact=True).fill("+1 555 0160")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/patients/*?notice=registered")

    expect(page.get_by_role("heading", level=1)).to_have_text("WELLS, June Margaret")
    expect(page.get_by_role("status")).to_contain_text("Patient registered.")
    expect(page.locator(".page-header__meta")).to_contain_text(f"MRN {mrn} · born 1990-02-14 · female")
    expect(page.locator("#demographics")).to_contain_text("+1 555 0160")


def test_registering_with_a_future_birth_date_and_no_family_name_shows_field_errors_and_saves_nothing(
    page: Page, console: ConsoleWatch
) -> None:
    console.allow(r"status of 422")  # the form comes back as 422 Unprocessable Content, as it should
    sign_in(page, "nurse")
    mrn = new_mrn()
    next_year = (date.today() + timedelta(days=365)).isoformat()
    page.goto("/patients/new")
    page.get_by_label("Medical record number (MRN)").fill(mrn)
    page.get_by_label("Given names").fill("Nobody")
    page.get_by_label("Date of birth").fill(next_year)
    page.get_by_label("Sex").select_option("male")

    page.get_by_role("button", name="Register").click()
    page.wait_for_url(path_is("/patients"))

    family = page.get_by_label("Family name")
    born = page.get_by_label("Date of birth")
    expect(family).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field", has=family).locator(".field__error")).to_contain_text("required")
    expect(born).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field", has=born).locator(".field__error")).to_contain_text("not in the future")
    expect(page.get_by_label("Given names")).to_have_value("Nobody")
    page.goto(f"/patients?q={mrn}")
    expect(page.locator("#patient-results")).to_contain_text("No patients found")


def test_nurse_amends_a_phone_number_with_a_reason_and_the_history_shows_old_new_who_and_why(
    page: Page, live_server: LiveServer
) -> None:
    patient = register_patient(live_server.services, family_name="Moreau", given_names="Claire", phone="+1 555 0170")
    sign_in(page, "nurse")
    open_patient(page, patient.patient_id)

    page.get_by_role("link", name="Correct details").click()
    page.get_by_label("Phone", exact=True).fill("+1 555 0199")
    page.get_by_label("Reason for the correction").fill("patient gave a new mobile number")
    page.get_by_role("button", name="Save correction").click()
    page.wait_for_url("**?notice=amended")

    latest = page.locator("#history > li").first
    expect(latest.locator(".timeline__title")).to_have_text("Corrected (version 2)")
    expect(latest.locator(".timeline__who")).to_have_text("by nurse")
    expect(latest.locator(".timeline__reason")).to_have_text("Reason: patient gave a new mobile number")
    expect(latest.locator("li")).to_have_text(["phone: +1 555 0170 → +1 555 0199"])
    expect(page.locator("#demographics")).to_contain_text("+1 555 0199")


def test_a_corrected_weight_replaces_the_original_which_stays_visible_struck_through(
    page: Page, live_server: LiveServer
) -> None:
    patient = register_patient(live_server.services, family_name="Albers", given_names="Jonas", sex="male")
    sign_in(page, "nurse")
    open_patient(page, patient.patient_id)
    form = page.locator("#measurement-form")
    form.get_by_label("Measurement").select_option("weight")
    form.get_by_label("Value").fill("82.5")
    form.get_by_label("Measured on").fill(clinic_yesterday(live_server))
    form.get_by_role("button", name="Record").click()
    page.wait_for_url("**?notice=measured")
    expect(page.locator("#current-measurements")).to_contain_text("82.5 kg")

    row = page.locator("#measurement-table tbody tr", has_text="82.5 kg")
    row.get_by_text("Correct", exact=True).click()
    row.get_by_label("Correct value (kg)").fill("78.5")
    row.get_by_label("Reason").fill("scale was not zeroed")
    row.get_by_role("button", name="Save correction").click()
    page.wait_for_url("**?notice=measurement_corrected")

    current_weight = page.locator("#current-measurements dt:text-is('Weight') + dd strong")
    expect(current_weight).to_have_text("78.5 kg")
    original = page.locator("#measurement-table s.diff-old")
    expect(original).to_have_text("82.5 kg")
    expect(original).to_have_css("text-decoration-line", "line-through")
    expect(page.locator("#measurement-table tbody tr").first).to_contain_text("correction: scale was not zeroed")
    expect(page.locator("#measurement-table tr.is-superseded")).to_contain_text("corrected later")


def test_front_desk_sees_the_weight_but_has_no_form_to_record_or_correct_measurements(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, "frontdesk")

    page.get_by_role("link", name="WHITFIELD, Thomas").click()
    page.wait_for_url("**/patients/*")

    expect(page.locator("#current-measurements")).to_contain_text("121 kg")
    expect(page.locator("#measurement-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Record")).to_have_count(0)
    expect(page.locator("#measurement-table").get_by_text("Correct", exact=True)).to_have_count(0)
