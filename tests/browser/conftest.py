"""Wiring for the real-browser tests: a live ketaflow server per xdist worker and Debian's chromium.

Recipe: /work/shared/reference/interop.md §3.2. Playwright drives /usr/bin/chromium through
``executable_path``; nothing is ever downloaded (never run ``playwright install``).

- ``live_server`` (session, so one per xdist worker): a migrated temp SQLite file, the real clock
  (TOTP codes must match the wall clock), one user per role and a few fictional patients, served by
  uvicorn on 127.0.0.1 and a free port, with ``cookie_secure=True`` as in production.
- ``browser`` (session): chromium, skipped when missing unless ``KETAFLOW_REQUIRE_BROWSER=1`` (CI).
- ``page``: a fresh browser context per test. Any console error or uncaught page error fails the
  test at teardown (the app sends a strict CSP, so a CSP violation shows up here); a test that expects
  an error status page declares it with ``console.allow(...)``. A screenshot of every page is saved to
  ``test-artifacts/browser/<test-name>.png``, pass or fail.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Playwright, ViewportSize, sync_playwright
from sqlalchemy import Engine

from ketaflow.bootstrap import build_app_services
from ketaflow.config import Settings
from ketaflow.services import patients
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor
from ketaflow.services.demo import DEMO_PATIENTS
from ketaflow.storage.database import create_database_engine
from ketaflow.storage.migrate import upgrade_to_head
from ketaflow.web.app import create_app
from tests.conftest import make_settings, seed_role_users

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("KETAFLOW_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
# Every Playwright wait gives up after this: a test that needs longer is a failing test, not a slow one.
ACTION_TIMEOUT_MS = 5_000
SEEDED_PATIENTS = DEMO_PATIENTS[:4]  # fictional people: Rivera, Whitfield, Nakamura, Osei
BROWSER_DIR = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder drives a browser: mark it so ``-m "not browser"`` leaves them out."""
    for item in items:
        if item.path.is_relative_to(BROWSER_DIR):
            item.add_marker(pytest.mark.browser)


# --- the live server ---------------------------------------------------------------------------------


@dataclass
class LiveServer:
    """A running ketaflow: its address and the in-process services, for arranging data quickly."""

    base_url: str
    services: AppServices
    settings: Settings


def seed_patients(svc: AppServices, people: tuple[tuple[str, dict[str, str], float, float], ...]) -> None:
    """Register fictional patients with a weight and height three days ago, as the demo seeder does."""
    registrar = Actor.system("seed")
    measured_on = (patients.clinic_today(svc) - timedelta(days=3)).isoformat()
    for mrn, details, weight_kg, height_cm in people:
        version = patients.register_patient(svc, registrar, mrn, details)
        for kind, value in (("weight", weight_kg), ("height", height_cm)):
            patients.record_measurement(
                svc, registrar, version.patient_id, kind=kind, value=value, measured_on=measured_on
            )


@dataclass
class _ServerThread:
    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket


def _start_uvicorn(settings: Settings, svc: AppServices) -> tuple[str, _ServerThread]:
    """Serve the app on 127.0.0.1 and a port the OS picks; return once it accepts connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(svc, settings),
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the ketaflow test server did not start")
        time.sleep(0.01)
    base_url = f"http://127.0.0.1:{port}"
    # The first request compiles templates; pay for it here rather than in the first test's time.
    with urllib.request.urlopen(f"{base_url}/login", timeout=10) as response:  # noqa: S310  # our own http URL
        assert response.status == 200
    return base_url, _ServerThread(server, thread, sock)


def _stop_uvicorn(running: _ServerThread) -> None:
    running.server.should_exit = True
    running.thread.join(timeout=10)
    running.sock.close()


@pytest.fixture(scope="session")
def serve_clinic(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str, Callable[[AppServices], None]], LiveServer]]:
    """Start a clinic on its own database: ``serve_clinic(name, seed)``; all are stopped at session end."""
    running: list[tuple[_ServerThread, Engine]] = []

    def start(name: str, seed: Callable[[AppServices], None]) -> LiveServer:
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'ketaflow-browser.db'}"
        engine = create_database_engine(url)
        upgrade_to_head(engine)
        settings = make_settings(url, cookie_secure=True)
        # No clock argument: the real clock, so the codes an authenticator computes are the server's.
        svc = build_app_services(settings, engine, fast_hashing=True)
        seed(svc)
        base_url, thread = _start_uvicorn(settings, svc)
        running.append((thread, engine))
        return LiveServer(base_url, svc, settings)

    yield start
    for thread, engine in reversed(running):
        _stop_uvicorn(thread)
        engine.dispose()


def _seed_test_clinic(svc: AppServices) -> None:
    seed_role_users(svc)
    seed_patients(svc, SEEDED_PATIENTS)


@pytest.fixture(scope="session")
def live_server(serve_clinic: Callable[[str, Callable[[AppServices], None]], LiveServer]) -> LiveServer:
    """The clinic most tests use: users admin, medicaldirector, physician, nurse, frontdesk, auditor."""
    return serve_clinic("clinic", _seed_test_clinic)


# --- the browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        reason = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(f"KETAFLOW_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    chromium = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@dataclass
class ConsoleWatch:
    """Console errors and uncaught exceptions of a test's pages; ``allow`` names the expected ones."""

    problems: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Expect console errors matching ``pattern`` (e.g. the 403 of a page a role may not open)."""
        self.allowed.append(re.compile(pattern))

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error at {message.location.get('url', '?')}: {message.text}")

    def on_page_error(self, error: Error) -> None:
        self.problems.append(f"uncaught page error: {error.message}")

    @property
    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(a.search(p) for a in self.allowed)]


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


def _artifact_name(node_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", node_name).strip("-")


@pytest.fixture
def open_page(browser: Browser, console: ConsoleWatch, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """``open_page(base_url, viewport=None)``: a page in a fresh context (own cookies), watched and
    photographed at teardown."""
    opened: list[Page] = []

    def open_(base_url: str, viewport: ViewportSize | None = None) -> Page:
        context = browser.new_context(base_url=base_url, viewport=viewport or DESKTOP)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        page = context.new_page()
        page.on("console", console.on_console)
        page.on("pageerror", console.on_page_error)
        opened.append(page)
        return page

    yield open_
    folder = request.config.rootpath / "test-artifacts" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    name = _artifact_name(request.node.name)
    for index, page in enumerate(opened):
        suffix = f"-{index + 1}" if index else ""
        try:
            page.screenshot(path=str(folder / f"{name}{suffix}.png"), full_page=True)
        finally:
            page.context.close()
    assert not console.unexpected, "the browser reported errors:\n" + "\n".join(console.unexpected)


@pytest.fixture
def page(open_page: Callable[..., Page], live_server: LiveServer) -> Page:
    """A desktop-sized page on the shared test clinic, signed out."""
    return open_page(live_server.base_url)
