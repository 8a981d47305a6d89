"""The clinic outcomes dashboard through the app: the page with its filters, the CSV and the PDF, and who may see them.

The clinic is the hand-computed one of tests/integration/test_outcomes_service.py (4 patients on PHQ-9).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from pypdf import PdfReader

from ketaflow.domain.access import Role
from ketaflow.services.ports import AuditQuery
from tests.conftest import Clinic
from tests.integration.test_outcomes_service import CLINIC, build_clinic


def _chart_spec(page: str, instrument: str) -> dict[str, object]:
    found = re.search(rf"id=\"relapse-chart-{instrument}\"[^>]*data-series='([^']+)'", page)
    assert found is not None, "no relapse chart on the page"
    spec: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return spec


def _row(page: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page, re.S)
    assert found is not None, f"no row {row_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_the_dashboard_shows_each_rate_with_its_missing_count(clinic: Clinic) -> None:
    build_clinic(clinic.services, clinic.clock)
    physician = clinic.login(Role.PHYSICIAN)

    page = physician.get("/outcomes")

    assert page.status_code == 200, page.text
    assert "4 patients with at least one infusion" in page.text
    assert _row(page.text, "response-series-phq9").startswith(
        "Response after the induction series 2 / 3 (67 %) 1 missing 50 % of 4"
    )
    assert _row(page.text, "response-first-phq9").startswith("Response after the first infusion 1 / 3 (33 %) 1 missing")
    assert _row(page.text, "early-stop-rate").startswith("Infusions stopped early 1 / 9 (11 %) 0 missing")
    assert "median 0.5 mg/kg (range 0.25\N{EN DASH}0.5 mg/kg)" in page.text
    assert "includes synthetic demo data" not in page.text.lower()


def test_the_relapse_curve_is_a_step_chart_in_days_with_a_dashed_band(clinic: Clinic) -> None:
    build_clinic(clinic.services, clinic.clock)
    physician = clinic.login(Role.PHYSICIAN)

    page = physician.get("/outcomes").text

    spec = _chart_spec(page, "phq9")
    assert 'data-x="days"' in page
    assert spec["x"] == [0.0, 6.0, 6.0, 7.0, 7.0]  # censored at 6 (no step), relapse at 7 (100 % -> 0 %)
    series = spec["series"]
    assert isinstance(series, list)
    assert series[0]["values"] == [100.0, 100.0, 100.0, 100.0, 0.0]
    assert [s.get("dash") for s in series] == [None, [6, 4], [6, 4]]


def test_the_indication_filter_comes_back_in_the_form_and_the_export_links(clinic: Clinic) -> None:
    build_clinic(clinic.services, clinic.clock)
    physician = clinic.login(Role.PHYSICIAN)

    page = physician.get("/outcomes", params={"indication": "treatment_resistant_depression"}).text

    assert "3 patients with at least one infusion" in page
    assert '<option value="treatment_resistant_depression" selected>' in page
    assert 'href="/outcomes.csv?indication=treatment_resistant_depression"' in page


def test_a_date_that_is_not_a_date_shows_the_form_again_with_the_field_named(clinic: Clinic) -> None:
    physician = clinic.login(Role.PHYSICIAN)

    page = physician.get("/outcomes", params={"period_from": "2026-13-01"})

    assert page.status_code == 422
    assert 'id="outcomes-filter"' in page.text
    assert "Enter a date as YYYY-MM-DD." in page.text


def test_the_synthetic_data_banner_shows_when_a_demo_patient_is_counted(clinic: Clinic) -> None:
    ids = build_clinic(clinic.services, clinic.clock, CLINIC[:2])
    with clinic.services.uow_factory() as uow:
        uow.courses.mark_synthetic(ids["Responder"], clinic.clock.now(), "test", 1)
        uow.commit()
    director = clinic.login(Role.MEDICAL_DIRECTOR)

    page = director.get("/outcomes").text

    assert 'id="synthetic-banner"' in page
    assert "Includes synthetic demo data:" in page
    assert "1 of 2 patients in this report is a generated demo patient" in page


def test_the_csv_holds_the_rates_and_the_curve_and_no_patient(clinic: Clinic) -> None:
    ids = build_clinic(clinic.services, clinic.clock)
    physician = clinic.login(Role.PHYSICIAN)

    response = physician.get("/outcomes.csv", params={"indication": "treatment_resistant_depression"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="ketaflow-outcomes-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    series = next(r for r in rows if r["measure"] == "response_after_series")
    assert (series["numerator"], series["denominator"], series["missing"], series["rate"]) == ("2", "2", "1", "1")
    assert next(r for r in rows if r["measure"] == "patients" and r["section"] == "report")["value"] == "3"
    assert [r["day"] for r in rows if r["measure"] == "kaplan_meier"] == ["6", "7"]
    assert not any(str(patient_id) in response.text for patient_id in ids.values())


def test_the_pdf_is_the_report_with_the_curve_as_a_table(clinic: Clinic) -> None:
    build_clinic(clinic.services, clinic.clock)
    director = clinic.login(Role.MEDICAL_DIRECTOR)

    response = director.get("/outcomes.pdf")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    compact = re.sub(r"\s+", "", text)  # text extraction splits runs differently from the HTML
    assert "Responseaftertheinductionseries2/3(67%)1missing" in compact
    assert "Mediantimetorelapse:7days" in compact
    with clinic.services.uow_factory() as uow:
        [event] = uow.audit.query(AuditQuery(action="clinic_report.read"))
    assert event.entry.detail.endswith("as PDF")


@pytest.mark.parametrize("path", ["/outcomes", "/outcomes.csv", "/outcomes.pdf"])
@pytest.mark.parametrize("role", [Role.NURSE, Role.FRONT_DESK, Role.AUDITOR, Role.ADMIN], ids=lambda r: r.value)
def test_only_prescribers_may_open_the_report(clinic: Clinic, role: Role, path: str) -> None:
    client = clinic.login(role)

    response = client.get(path)

    assert response.status_code == 403


def test_the_navigation_offers_outcomes_to_prescribers_only(clinic: Clinic) -> None:
    physician, nurse = clinic.login(Role.PHYSICIAN), clinic.login(Role.NURSE)

    pages = physician.get("/account").text, nurse.get("/account").text

    assert ['href="/outcomes"' in page for page in pages] == [True, False]


def test_an_empty_clinic_says_no_patient_matches_rather_than_showing_zero_rates(clinic: Clinic) -> None:
    physician = clinic.login(Role.PHYSICIAN)

    page = physician.get("/outcomes")

    assert page.status_code == 200
    assert "0 patients with at least one infusion" in page.text
    assert "No patient with an infusion matches the filter." in page.text
    assert 'id="rates-' not in page.text
