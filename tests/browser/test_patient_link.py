"""A patient answers a PHQ-9 from a one-time link on a phone (375 x 667), after a nurse made the link."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, ViewportSize, expect

from ketaflow.services import questionnaires
from tests.browser.conftest import LiveServer
from tests.browser.helpers import actor_for, open_patient, register_patient, sign_in

PHONE: ViewportSize = {"width": 375, "height": 667}
# WCAG 2.2 target size (enhanced, 2.5.5) is 44 x 44 CSS px; the answers are meant to be easy to hit with a thumb.
MIN_TAP_TARGET_PX = 44


def test_a_patient_answers_a_phq9_on_a_phone_and_the_nurse_sees_the_result(
    open_page: Callable[..., Page], live_server: LiveServer
) -> None:
    svc = live_server.services
    patient_id = register_patient(svc, family_name="Linkphone", given_names="Maya Jo").patient_id
    earlier = {f"q{i}": 2 for i in range(1, 9)} | {"q9": 0}  # 16, moderately severe: the chart's first point
    questionnaires.record_response(svc, actor_for(svc, "nurse"), patient_id, "phq9", earlier)
    nurse_page = open_page(live_server.base_url)
    sign_in(nurse_page, "nurse")
    open_patient(nurse_page, patient_id)
    nurse_page.get_by_text("Send questionnaire link").click()
    nurse_page.get_by_label("GAD-7").uncheck()
    nurse_page.get_by_label("PHQ-9").check()
    nurse_page.get_by_role("button", name="Create link").click()
    url = nurse_page.locator("#link-url").inner_text().strip()
    expect(nurse_page.locator("#link-qr svg")).to_be_visible()

    phone = open_page(live_server.base_url, viewport=PHONE)
    phone.goto(url)
    expect(phone.get_by_role("heading", name="Hello Maya")).to_be_visible()
    expect(phone.get_by_role("navigation")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    questions = phone.locator("fieldset.patient-question")
    expect(questions).to_have_count(9)
    for index in range(9):
        question = questions.nth(index)
        option = question.locator("label.patient-option").filter(has_text="Several days" if index < 2 else "Not at all")
        box = option.bounding_box()
        assert box is not None and box["height"] >= MIN_TAP_TARGET_PX and box["x"] + box["width"] <= PHONE["width"]
        option.click()
    phone.get_by_role("button", name="Send my answers").click()

    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(phone.locator("#crisis-help")).to_contain_text("988")
    latest = questionnaires.list_responses(svc, actor_for(svc, "nurse"), patient_id)[0]
    assert (latest.instrument, latest.total, latest.band, latest.link_id) == ("phq9", 2, "minimal", latest.link_id)
    assert latest.link_id is not None
    open_patient(nurse_page, patient_id)
    expect(nurse_page.locator("#questionnaire-latest")).to_contain_text("minimal")
    expect(nurse_page.locator("#trajectory-phq9 .chart canvas")).to_have_count(1)
