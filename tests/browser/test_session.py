"""The infusion session in the browser: a whole visit charted by a nurse, the live board updating over
server-sent events without a reload, and a stale form refused.

The whole-visit test runs on its own clinic whose clock the test moves by hand (the shared live server uses
the real clock, for TOTP), so the delivered dose is exact and the recovery rules' minimum observation time
passes without waiting: discharge then goes through the real criteria (PADSS twice, Aldrete, escort).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import urlparse
from uuid import UUID

import pytest
from playwright.sync_api import Locator, Page, expect

from ketaflow.bootstrap import build_app_services
from ketaflow.domain.access import Role
from ketaflow.domain.recovery import Instrument
from ketaflow.domain.sessions import EventKind
from ketaflow.services import sessions
from ketaflow.services.app import AppServices
from ketaflow.storage.database import create_database_engine
from ketaflow.storage.migrate import upgrade_to_head
from tests.browser.conftest import (
    ConsoleWatch,
    LiveServer,
    _seed_test_clinic,
    _start_uvicorn,
    _stop_uvicorn,
)
from tests.browser.helpers import actor_for, add_user, labelled, open_patient, path_is, sign_in, unique
from tests.conftest import make_settings
from tests.fakes import FakeClock
from tests.session_setup import prepare_patient_for_session

# The board hears a change at once (SSE); allow for the fragment request and a slow CI machine.
LIVE_UPDATE_TIMEOUT_MS = 8_000
# The web session signs out after this idle time (Settings.session_idle_timeout_min allows at most 60);
# the clock is moved in steps no longer than this, with a page load between them.
IDLE_TIMEOUT_MIN = 60


@pytest.fixture(scope="module")
def timed_clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, FakeClock]]:
    """A clinic of its own whose clock only moves when the test says so (starting at the real time)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('timed') / 'ketaflow-browser.db'}"
    engine = create_database_engine(url)
    upgrade_to_head(engine)
    settings = make_settings(url, cookie_secure=True, session_idle_timeout_min=IDLE_TIMEOUT_MIN)
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    svc = build_app_services(settings, engine, clock=clock, fast_hashing=True)
    _seed_test_clinic(svc)
    base_url, running = _start_uvicorn(settings, svc)
    yield LiveServer(base_url, svc, settings), clock
    _stop_uvicorn(running)
    engine.dispose()


def _submit(page: Page, form: Locator, button: str) -> None:
    """Press a chart form's button and wait for the chart to come back (303 to the session page)."""
    with page.expect_navigation():
        form.get_by_role("button", name=button).click()


def _chart_vitals(page: Page, systolic: int, diastolic: int, heart_rate: int, spo2: int) -> None:
    form = page.locator("#form-vitals")
    for label, value in (
        ("Systolic (mmHg)", systolic),
        ("Diastolic (mmHg)", diastolic),
        ("Heart rate (/min)", heart_rate),
        ("SpO2 (%)", spo2),
    ):
        labelled(form, label).fill(str(value))
    _submit(page, form, "Record vitals")


def _assert_unique_ids(page: Page) -> None:
    """Every id on the chart is unique (a label's for= must reach its own form's field)."""
    duplicates = page.evaluate(
        """() => { const ids = Array.from(document.querySelectorAll('[id]'), e => e.id);
                   return ids.filter((id, i) => ids.indexOf(id) !== i); }"""
    )
    assert duplicates == [], duplicates


def _advance(page: Page, clock: FakeClock, minutes: int) -> None:
    """Move the server's clock, loading the chart at least once per idle timeout so the nurse stays signed in."""
    left = minutes
    while left > 0:
        step = min(left, IDLE_TIMEOUT_MIN - 1)
        clock.advance(minutes=step)
        page.reload()
        left -= step


def _score_best(page: Page, svc: AppServices, session_id: UUID, instrument: Instrument, title: str) -> None:
    """Choose each item's best level (read from the session's recovery rules) and record the score."""
    rules = sessions.get_session(svc, actor_for(svc, "nurse"), session_id).recovery_rules
    form = page.locator(f"#form-{instrument.value}")
    for item in rules.items(instrument):
        best = max(level.points for level in item.levels)
        form.locator(f"select[name='item_{item.id}']").select_option(str(best))
    _submit(page, form, f"Record {title}")


def test_a_nurse_charts_a_whole_visit_from_check_in_to_discharge(
    open_page: Callable[..., Page], timed_clinic: tuple[LiveServer, FakeClock]
) -> None:
    server, clock = timed_clinic
    svc = server.services
    patient_id, _order_id = prepare_patient_for_session(svc, family_name="Wholevisit")
    chair = unique("W")
    page = open_page(server.base_url)
    sign_in(page, "nurse")
    open_patient(page, patient_id)

    page.get_by_role("link", name="Check in to a chair").click()
    page.wait_for_url(path_is(f"/patients/{patient_id}/sessions/new"))
    page.get_by_label("Signed order to run").select_option(index=1)
    labelled(page, "Chair").fill(chair)
    page.get_by_role("button", name="Check in").click()
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f-]{36}\?notice=checked_in"))
    session_id = UUID(re.search(r"/sessions/([0-9a-f-]{36})", page.url).group(1))  # type: ignore[union-attr]
    state = page.locator("#session-state")
    delivered = page.locator("#session-delivered")
    expect(state).to_have_text("Checked in")
    expect(page.locator("#vitals-chart")).to_have_count(0)
    _assert_unique_ids(page)

    _submit(page, page.locator("#form-gate"), "Take the latest gate check")
    expect(page.locator("#form-gate")).to_contain_text("Clear")
    _chart_vitals(page, 124, 78, 70, 98)
    expect(page.locator("#readings tbody tr")).to_have_count(1)
    _submit(page, page.locator("#form-checks"), "Checks complete")
    expect(state).to_have_text("Ready")

    form = page.locator("#form-start")
    expect(labelled(form, "Pump rate (mL/h)")).to_have_value("52.5")  # 35 mg over 40 min at 1 mg/mL
    _submit(page, form, "Start")
    expect(state).to_have_text("Infusing")
    expect(delivered).to_have_text("0.0 mg of 35.0 mg")
    # Charted before the start at the same instant: still the baseline the alerts compare with.
    expect(page.locator("#readings tbody tr").first).to_contain_text("baseline")

    _advance(page, clock, 20)
    expect(delivered).to_have_text("17.5 mg of 35.0 mg")  # 52.5 mg/h for 20 min
    _chart_vitals(page, 186, 112, 88, 97)
    alert = page.locator("#alerts article.alert-card")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("Notify physician")
    _assert_unique_ids(page)
    expect(page.locator("#alerts")).not_to_contain_text("No open alerts.")

    form = page.locator("#form-pause")
    labelled(form, "Reason").fill("BP 186/112, physician informed")
    _submit(page, form, "Pause the pump")
    expect(state).to_have_text("Paused")
    _assert_unique_ids(page)

    labelled(alert, "What was done").fill("paused; recheck in 10 min")
    _submit(page, alert, "Acknowledge as nurse")
    expect(page.locator("#alerts article.alert-card")).to_have_count(0)
    expect(page.locator("#alerts")).to_contain_text("1 acknowledged")

    _advance(page, clock, 10)
    expect(delivered).to_have_text("17.5 mg of 35.0 mg")  # nothing runs while paused
    _chart_vitals(page, 142, 88, 76, 98)
    _submit(page, page.locator("#form-resume"), "Resume")
    expect(state).to_have_text("Infusing")
    _advance(page, clock, 20)
    _submit(page, page.locator("#form-complete"), "Complete")
    expect(state).to_have_text("Completed")
    expect(delivered).to_have_text("35.0 mg of 35.0 mg")  # 20 min + 20 min at 52.5 mg/h, 10 min paused
    expect(page.locator("#vitals-chart canvas").first).to_be_visible()
    expect(page.locator("#pk-session-chart canvas").first).to_be_visible()

    _submit(page, page.locator("#form-recovery"), "Begin recovery observation")
    expect(state).to_have_text("Recovering")
    discharge = page.locator("#discharge")
    expect(discharge).to_contain_text("Criteria not met")
    _assert_unique_ids(page)
    expect(discharge.get_by_role("button", name="Discharge")).to_have_count(0)  # a nurse has no override

    minimum_min = sessions.get_session(svc, actor_for(svc, "nurse"), session_id).recovery_rules.minimum_observation_min
    _advance(page, clock, int(minimum_min))
    _chart_vitals(page, 124, 78, 70, 98)
    _score_best(page, svc, session_id, Instrument.PADSS, "PADSS")
    _advance(page, clock, 15)
    _score_best(page, svc, session_id, Instrument.PADSS, "PADSS")
    _score_best(page, svc, session_id, Instrument.ALDRETE, "Modified Aldrete")
    form = page.locator("#form-escort")
    labelled(form, "Escort's name").fill("Sam Carter")
    labelled(form, "Escort's phone").fill("555 0101")
    _submit(page, form, "Confirm escort")
    expect(discharge).to_contain_text("Criteria met")

    _submit(page, discharge, "Discharge")
    expect(state).to_have_text("Discharged")
    expect(page.locator("#actions")).to_have_count(0)
    page.get_by_role("link", name="Discharge instructions (print)").click()
    expect(page.locator("body")).to_contain_text("drive")
    stored = sessions.get_session(svc, actor_for(svc, "nurse"), session_id).session
    discharged = stored.latest(EventKind.DISCHARGED)
    assert discharged is not None and discharged.data["criteria_met"] is True


def _checked_in(svc: AppServices, family_name: str) -> tuple[UUID, str]:
    """A patient checked in (through the services) to a chair no other test uses: (session id, chair)."""
    patient_id, order_id = prepare_patient_for_session(svc, family_name=family_name)
    chair = unique("C")
    session_id = sessions.check_in(svc, actor_for(svc, "nurse"), patient_id, order_id=str(order_id), chair=chair)
    return session_id, chair


def test_the_board_shows_a_new_chair_and_new_vitals_without_a_reload(
    open_page: Callable[..., Page], live_server: LiveServer
) -> None:
    svc = live_server.services
    patient_id, _order_id = prepare_patient_for_session(svc, family_name="Boardlive")
    chair = unique("B")
    watcher = open_page(live_server.base_url)
    sign_in(watcher, add_user(svc, Role.NURSE))
    watcher.goto("/board")
    watcher.evaluate("window.__kf_marker = 1")
    tile = watcher.locator(f"#chair-{chair.lower()}")
    expect(tile).to_have_count(0)

    nurse = open_page(live_server.base_url)
    sign_in(nurse, "nurse")
    nurse.goto(f"/patients/{patient_id}/sessions/new")
    nurse.get_by_label("Signed order to run").select_option(index=1)
    labelled(nurse, "Chair").fill(chair)
    nurse.get_by_role("button", name="Check in").click()
    nurse.wait_for_url(re.compile(r"notice=checked_in"))

    expect(tile).to_be_visible(timeout=LIVE_UPDATE_TIMEOUT_MS)
    expect(tile).to_contain_text("Checked in")
    expect(tile.locator(".board__vitals")).to_have_text("\N{EN DASH}")  # no reading yet

    _chart_vitals(nurse, 151, 93, 72, 98)
    expect(tile.locator(".board__vitals")).to_contain_text("BP 151", timeout=LIVE_UPDATE_TIMEOUT_MS)
    expect(tile.locator(".board__vitals")).to_contain_text("/93")
    assert watcher.evaluate("window.__kf_marker") == 1, "the board page was reloaded"
    assert urlparse(watcher.url).path == "/board"


def test_a_stale_form_is_refused_with_a_message_and_stores_nothing(
    open_page: Callable[..., Page], live_server: LiveServer, console: ConsoleWatch
) -> None:
    console.allow(r"status of 409")  # the refused POST's response, which the browser logs
    svc = live_server.services
    session_id, _chair = _checked_in(svc, "Staleform")
    first, second = open_page(live_server.base_url), open_page(live_server.base_url)
    sign_in(first, "nurse")
    sign_in(second, add_user(svc, Role.NURSE))
    for page in (first, second):
        page.goto(f"/sessions/{session_id}")

    form = first.locator("#form-note")
    labelled(form, "Note").fill("first nurse's note")
    _submit(first, form, "Add note")
    expect(first.locator("#log")).to_contain_text("first nurse's note")

    form = second.locator("#form-note")
    labelled(form, "Note").fill("stale note")
    with second.expect_navigation() as navigation:
        form.get_by_role("button", name="Add note").click()
    response = navigation.value
    assert response is not None and response.status == 409
    expect(second.locator("main")).to_contain_text("changed by someone else")
    expect(second.locator("#log")).to_contain_text("first nurse's note")  # the chart as it is now
    expect(second.locator("#log")).not_to_contain_text("stale note")

    notes = sessions.get_session(svc, actor_for(svc, "nurse"), session_id).session.of_kind(EventKind.NOTE)
    assert [n.data["text"] for n in notes] == ["first nurse's note"]


def test_a_physician_discharges_before_the_criteria_with_an_override_reason(
    open_page: Callable[..., Page], live_server: LiveServer
) -> None:
    svc = live_server.services
    session_id, _chair = _checked_in(svc, "Override")
    nurse = actor_for(svc, "nurse")
    steps: list[tuple[str, dict[str, object]]] = [
        ("gate", {}),
        ("vitals", {"systolic_mmhg": "124", "diastolic_mmhg": "78", "heart_rate_bpm": "70", "spo2_pct": "98"}),
        ("complete_checks", {}),
        ("start", {"rate_ml_per_h": "52.5"}),
        ("stop", {"reason": "patient asked to stop"}),
        ("begin_recovery", {}),
    ]
    for action, form in steps:
        version = sessions.get_session(svc, nurse, session_id).session.version
        sessions.chart(svc, nurse, session_id, action, expected_version=version, form=form)
    page = open_page(live_server.base_url)
    sign_in(page, "physician")
    page.goto(f"/sessions/{session_id}")
    expect(page.locator("#session-state")).to_have_text("Recovering")
    discharge = page.locator("#discharge")
    expect(discharge).to_contain_text("Criteria not met")

    labelled(discharge, "Override reason (physician)").fill("Transferred to the care of her psychiatrist on site")
    _submit(page, discharge, "Discharge with override")
    expect(page.locator("#session-state")).to_have_text("Discharged")
    expect(page.locator("#session-summary")).to_contain_text("(stopped early)")
    discharged = sessions.get_session(svc, nurse, session_id).session.latest(EventKind.DISCHARGED)
    assert discharged is not None and discharged.data["criteria_met"] is False
    assert discharged.data["override_reason"] == "Transferred to the care of her psychiatrist on site"
