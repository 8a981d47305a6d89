"""Wiring shared by every test: databases on both engines, services, an HTTP client per role."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text

from ketaflow.bootstrap import build_app_services
from ketaflow.config import Environment, Settings
from ketaflow.domain.access import Role
from ketaflow.services import users
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor
from ketaflow.services.demo import DEMO_PASSWORD
from ketaflow.storage.database import create_database_engine
from ketaflow.storage.migrate import upgrade_to_head
from ketaflow.web.app import create_app
from tests.fakes import FakeClock

POSTGRES_URL = os.environ.get("KETAFLOW_TEST_DATABASE_URL", "")
REQUIRE_POSTGRES = os.environ.get("KETAFLOW_REQUIRE_POSTGRES") == "1"
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-0123456789"
PASSWORD = DEMO_PASSWORD


def _postgres_or_skip() -> str:
    if POSTGRES_URL:
        return POSTGRES_URL
    if REQUIRE_POSTGRES:
        pytest.fail("KETAFLOW_REQUIRE_POSTGRES=1 but KETAFLOW_TEST_DATABASE_URL is not set")
    pytest.skip("PostgreSQL tests need KETAFLOW_TEST_DATABASE_URL (CI sets it)")


@dataclass
class Database:
    url: str
    engine: Engine
    dialect: str


def _sqlite_database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'ketaflow-test.db'}"
    engine = create_database_engine(url)
    upgrade_to_head(engine)
    yield Database(url, engine, "sqlite")
    engine.dispose()


def _postgres_database() -> Iterator[Database]:
    """A fresh schema per test, so tests can run in parallel against one server."""
    base = _postgres_or_skip()
    schema = f"kf_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    engine = create_database_engine(url)
    upgrade_to_head(engine)
    yield Database(url, engine, "postgresql")
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """Every test that takes this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield from _sqlite_database(tmp_path)
    else:
        yield from _postgres_database()


@pytest.fixture
def postgres_database() -> Iterator[Database]:
    """PostgreSQL only (skipped without KETAFLOW_TEST_DATABASE_URL, a failure in CI)."""
    yield from _postgres_database()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """SQLite only: for HTTP-level tests whose storage behaviour is covered on both engines elsewhere."""
    yield from _sqlite_database(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_settings(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url,
        "secret_key": TEST_SECRET,
        "environment": Environment.TEST,
        "clinic_timezone": "America/New_York",
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]  # pydantic coerces the test values


@pytest.fixture
def services(database: Database, clock: FakeClock) -> AppServices:
    return build_app_services(make_settings(database.url), database.engine, clock=clock, fast_hashing=True)


@dataclass
class Clinic:
    """A running app with one user per role; ``login(role)`` gives a signed-in client."""

    services: AppServices
    settings: Settings
    clock: FakeClock
    database: Database

    def app_client(self) -> TestClient:
        return TestClient(
            create_app(self.services, self.settings), base_url="https://testserver", follow_redirects=False
        )

    def totp_secret(self, role: Role) -> str:
        with self.services.uow_factory() as uow:
            user = uow.users.get_by_username(role.value.replace("_", ""))
            assert user is not None
            return self.services.secret_box.open(user.totp_secret_encrypted)

    def login(self, role: Role | None) -> TestClient:
        client = self.app_client()
        if role is None:
            return client
        username = role.value.replace("_", "")
        form_login(client, username, PASSWORD)
        if role in (Role.PHYSICIAN, Role.MEDICAL_DIRECTOR, Role.ADMIN):
            page = client.get("/login/enrol")
            if page.status_code == 200:
                secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
                assert secret is not None
                code = pyotp.TOTP(secret.group(1)).at(self.clock.now())
                r = client.post("/login/enrol", data={"code": code, "csrf_token": meta_csrf(page.text)})
            else:
                self.clock.advance(seconds=31)  # a TOTP code is accepted once; use the next step's
                code = pyotp.TOTP(self.totp_secret(role)).at(self.clock.now())
                token = csrf_of(client, "/login/second-factor")
                r = client.post("/login/second-factor", data={"code": code, "csrf_token": token})
            assert r.status_code == 303, r.text
        return client


def csrf_of(client: TestClient, path: str = "/account") -> str:
    """The CSRF token the server put in a page's meta tag for this client's session."""
    page = client.get(path)
    if page.status_code in (301, 302, 303, 307):
        page = client.get(page.headers["location"])
    return meta_csrf(page.text)


def meta_csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def form_login(client: TestClient, username: str, password: str) -> object:
    token = csrf_of(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def seed_role_users(svc: AppServices) -> None:
    console = Actor.system("test")
    for role in Role:
        users.create_user(
            svc,
            console,
            username=role.value.replace("_", ""),
            display_name=f"Test {role.label}",
            role=role.value,
            password=PASSWORD,
            must_change_password=False,
        )


@pytest.fixture
def clinic(sqlite_database: Database, clock: FakeClock) -> Clinic:
    settings = make_settings(sqlite_database.url)
    svc = build_app_services(settings, sqlite_database.engine, clock=clock, fast_hashing=True)
    seed_role_users(svc)
    return Clinic(svc, settings, clock, sqlite_database)


@pytest.fixture
def clinic_both(database: Database, clock: FakeClock) -> Clinic:
    """The clinic on SQLite and on PostgreSQL."""
    settings = make_settings(database.url)
    svc = build_app_services(settings, database.engine, clock=clock, fast_hashing=True)
    seed_role_users(svc)
    return Clinic(svc, settings, clock, database)


# Property tests judge correctness, not speed: no per-example deadline, so a loaded CI machine cannot fail them.
hypothesis_settings.register_profile("ketaflow", deadline=None)
hypothesis_settings.load_profile("ketaflow")
