"""The pages fit a tablet held upright (820 x 1180, e.g. an iPad Air at the infusion chair)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import patient_id_of, sign_in

TABLET: ViewportSize = {"width": 820, "height": 1180}


def right_edge(page: Page, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return float(box["x"] + box["width"])


@pytest.mark.parametrize(
    ("path_of", "table"),
    [
        (lambda server: "/patients", "#patient-table"),
        (lambda server: f"/patients/{patient_id_of(server.services, 'KF-0001')}", "#measurement-table"),
    ],
    ids=["patient list", "patient page"],
)
def test_nurse_pages_fit_an_upright_tablet_without_sideways_scrolling(
    open_page: Callable[..., Page], live_server: LiveServer, path_of: Callable[[LiveServer], str], table: str
) -> None:
    page = open_page(live_server.base_url, viewport=TABLET)
    sign_in(page, "nurse")

    page.goto(path_of(live_server))

    nav_links = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(nav_links).to_have_text(["Patients", "Board", "Protocols", "Account"])
    for link in nav_links.all():
        expect(link).to_be_in_viewport()
    expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()
    expect(page.locator(table)).to_be_visible()
    assert right_edge(page, table) <= TABLET["width"], "the table runs off the right edge"
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths[0]} px content in {widths[1]} px"
