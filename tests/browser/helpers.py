"""What a clinician does in the browser, step by step: sign in (with TOTP), open a patient, submit forms.

The TOTP secrets shown at enrolment are remembered per worker process (each xdist worker has its own
live server), so a later sign-in can compute the code the authenticator app would show.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse
from uuid import UUID

import pyotp
from playwright.sync_api import Locator, Page, expect

from ketaflow.domain.access import Role
from ketaflow.domain.patients import PatientVersion
from ketaflow.services import patients, users
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor
from ketaflow.services.ports import PatientQuery
from tests.conftest import PASSWORD

TOTP_STEP_S = 30
# The server accepts the code of the current step and of one step either side (clock drift), each once.
TOTP_DRIFT_STEPS = 1


@dataclass
class _TotpMemory:
    secret: str
    last_step: int


# (server address, username) -> what this worker's "authenticator app" knows about that account.
_authenticator: dict[tuple[str, str], _TotpMemory] = {}


def username_of(role: Role) -> str:
    """The seeded username of a role (tests/conftest.py ``seed_role_users``)."""
    return role.value.replace("_", "")


def unique(prefix: str) -> str:
    """A value no other test (or earlier run against the same server) uses."""
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def new_mrn() -> str:
    """A medical record number no other test uses (the app stores MRNs in capitals)."""
    return unique("BT-").upper()


def path_is(*paths: str) -> Callable[[str], bool]:
    """A ``wait_for_url`` predicate: the page is at one of these paths (any query string)."""
    return lambda url: urlparse(url).path in paths


def labelled(scope: Page | Locator, label: str) -> Locator:
    """The field whose label is exactly ``label`` (the label may end in the required-field asterisk)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}\*?$"))


def _origin(page: Page) -> str:
    parsed = urlparse(page.url)
    return f"{parsed.scheme}://{parsed.netloc}"


def submit_password(page: Page, username: str, password: str = PASSWORD, *, next_path: str = "") -> None:
    """Fill and send the sign-in form; wait for the next step (a page, TOTP or a password change)."""
    if next_path or urlparse(page.url).path != "/login":  # e.g. after signing out, the form is already shown
        page.goto(f"/login?next={next_path}" if next_path else "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: urlparse(url).path != "/login")


def totp_code(page: Page, username: str) -> str:
    """The code the authenticator shows: a step the server has not yet accepted, within its drift window.

    A code is single-use; when the current and next step are both used up, wait for the clock.
    """
    memory = _authenticator[(_origin(page), username)]
    while True:
        step_now = int(time.time() // TOTP_STEP_S)
        step = max(step_now, memory.last_step + 1)
        if step <= step_now + TOTP_DRIFT_STEPS:
            break
        time.sleep(TOTP_STEP_S - time.time() % TOTP_STEP_S + 0.05)
    memory.last_step = step
    return str(pyotp.TOTP(memory.secret).at(step * TOTP_STEP_S))


def complete_enrolment(page: Page, username: str) -> None:
    """On the enrol page: read the key shown under the QR code, type the app's code, continue."""
    secret = page.locator("#totp-secret").inner_text().strip()
    _authenticator[(_origin(page), username)] = _TotpMemory(secret, last_step=-1)
    page.get_by_label("Code from your app").fill(totp_code(page, username))
    page.get_by_role("button", name="Confirm and continue").click()
    page.wait_for_url(lambda url: urlparse(url).path not in ("/login/enrol", "/login/second-factor"))


def enter_second_factor(page: Page, username: str) -> None:
    """On the second-factor page: type the current code and verify."""
    page.get_by_label("Code").fill(totp_code(page, username))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: urlparse(url).path not in ("/login/enrol", "/login/second-factor"))


def sign_in(page: Page, username: str, password: str = PASSWORD, *, next_path: str = "") -> None:
    """Sign in fully: password, then TOTP enrolment or verification when the role needs it.

    ``next_path`` is where the sign-in page sends the user (as after following a bookmark); the
    TOTP steps always end on /patients.
    """
    submit_password(page, username, password, next_path=next_path)
    step = urlparse(page.url).path
    if step == "/login/enrol":
        complete_enrolment(page, username)
    elif step == "/login/second-factor":
        enter_second_factor(page, username)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(path_is("/login"))


# --- arranging data through the services (fast; the browser is for what is being tested) -----------------


def actor_for(svc: AppServices, username: str) -> Actor:
    """The signed-in staff member ``username`` as the services see them (for audit attribution)."""
    with svc.uow_factory() as uow:
        user = uow.users.get_by_username(username)
    assert user is not None, f"no user {username}"
    return Actor(user.id, user.username, user.role, "127.0.0.1")


def register_patient(
    svc: AppServices, *, family_name: str, given_names: str, by: str = "frontdesk", **details: str
) -> PatientVersion:
    """A new patient with a unique MRN, registered by ``by``."""
    raw = {
        "family_name": family_name,
        "given_names": given_names,
        "date_of_birth": "1980-05-17",
        "sex": "female",
        **details,
    }
    return patients.register_patient(svc, actor_for(svc, by), new_mrn(), raw)


def patient_id_of(svc: AppServices, mrn: str) -> UUID:
    """The id of the patient with this MRN (read straight from storage: no audit event, no browser)."""
    with svc.uow_factory() as uow:
        found = [p for p in uow.patients.search(PatientQuery(text=mrn)) if p.mrn == mrn]
    assert len(found) == 1, f"no single patient with MRN {mrn}"
    return found[0].patient_id


def add_user(svc: AppServices, role: Role, *, must_change_password: bool = False) -> str:
    """A fresh account of ``role`` (so a test can see its very first sign-in); returns the username."""
    username = unique(role.value.replace("_", "")[:8])
    users.create_user(
        svc,
        Actor.system("test"),
        username=username,
        display_name=f"New {role.label}",
        role=role.value,
        password=PASSWORD,
        must_change_password=must_change_password,
    )
    return username


def open_patient(page: Page, patient_id: UUID) -> None:
    page.goto(f"/patients/{patient_id}")
