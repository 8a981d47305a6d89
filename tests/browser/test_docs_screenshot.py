"""docs/screenshot.png: a nurse's view of a demo patient, refreshed on demand.

Run with ``KETAFLOW_WRITE_SCREENSHOT=1 .venv/bin/pytest tests/browser/test_docs_screenshot.py``; skipped
otherwise, so ordinary test runs never rewrite a committed file.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from ketaflow.services.app import AppServices
from ketaflow.services.demo import DEMO_PATIENTS, seed_demo_clinic
from tests.browser.conftest import DESKTOP, LiveServer
from tests.browser.helpers import sign_in

WRITE = os.environ.get("KETAFLOW_WRITE_SCREENSHOT") == "1"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def seed_demo(svc: AppServices) -> None:
    seed_demo_clinic(svc)


@pytest.fixture(scope="module")
def demo_clinic(serve_clinic: Callable[[str, Callable[[AppServices], None]], LiveServer]) -> LiveServer:
    """The clinic `ketaflow demo` creates: demo accounts (nurse, director, ...) and DEMO_PATIENTS."""
    return serve_clinic("demo", seed_demo)


@pytest.mark.skipif(not WRITE, reason="writes docs/screenshot.png only with KETAFLOW_WRITE_SCREENSHOT=1")
def test_docs_screenshot_shows_a_demo_patient_page_as_a_nurse_sees_it(
    open_page: Callable[..., Page], demo_clinic: LiveServer, request: pytest.FixtureRequest
) -> None:
    page = open_page(demo_clinic.base_url, viewport=DESKTOP)
    sign_in(page, "nurse")
    mrn, details, weight_kg, _ = DEMO_PATIENTS[0]
    name = f"{details['family_name'].upper()}, {details['given_names']}"
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator(".page-header__meta")).to_contain_text(f"MRN {mrn}")
    expect(page.locator("#current-measurements")).to_contain_text(f"{weight_kg:g} kg")
    target = request.config.rootpath / "docs" / "screenshot.png"

    page.screenshot(path=str(target), full_page=False)

    assert png_size(target.read_bytes()) == (DESKTOP["width"], DESKTOP["height"])
