"""The clinic outcomes dashboard in chromium: a physician opens it from the navigation, the Kaplan-Meier chart is
drawn on a day axis, and the filter form narrows the report.

The clinic is the hand-computed one of tests/integration/test_outcomes_service.py, arranged through the services
with a clock 40 days in the past (so every induction series has ended by the real time the server runs on).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from ketaflow.services.app import AppServices
from tests.browser.conftest import LiveServer, _seed_test_clinic
from tests.browser.helpers import sign_in
from tests.fakes import FakeClock
from tests.integration.test_outcomes_service import build_clinic


def _seed_outcomes_clinic(svc: AppServices) -> None:
    _seed_test_clinic(svc)
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=40))
    build_clinic(dataclasses.replace(svc, clock=clock), clock)


@pytest.fixture(scope="module")
def outcomes_server(serve_clinic: Callable[[str, Callable[[AppServices], None]], LiveServer]) -> LiveServer:
    return serve_clinic("outcomes", _seed_outcomes_clinic)


def test_a_physician_sees_the_rates_and_the_relapse_curve_drawn_in_days(
    open_page: Callable[..., Page], outcomes_server: LiveServer
) -> None:
    page = open_page(outcomes_server.base_url)
    sign_in(page, "physician")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outcomes").click()

    expect(page.get_by_role("heading", name="4 patients with at least one infusion")).to_be_visible()
    expect(page.locator("#response-series-phq9")).to_contain_text("2 / 3 (67 %)")
    expect(page.locator("#response-series-phq9")).to_contain_text("1 missing")
    chart = page.locator("#relapse-chart-phq9")
    expect(chart.locator("canvas").first).to_be_visible()
    expect(chart.locator(".u-legend .u-series").first).to_contain_text("Day")
    expect(chart.locator(".u-legend")).to_contain_text("95 % CI lower")
    expect(chart.locator(".u-axis").first).not_to_contain_text(str(datetime.now(UTC).year))


def test_the_filter_form_narrows_the_report_to_one_indication(
    open_page: Callable[..., Page], outcomes_server: LiveServer
) -> None:
    page = open_page(outcomes_server.base_url)
    sign_in(page, "medicaldirector", next_path="/outcomes")
    page.goto("/outcomes")

    page.get_by_label("Indication").select_option("treatment_resistant_depression")
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_role("heading", name="3 patients with at least one infusion")).to_be_visible()
    expect(page.locator("#export-csv")).to_have_attribute(
        "href", "/outcomes.csv?indication=treatment_resistant_depression"
    )
    expect(page.locator("#relapse-chart-phq9 canvas").first).to_be_visible()
