"""A demo clinic for first runs and training: one account per role and a few fictional patients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ketaflow.domain.access import Role
from ketaflow.services import patients, users
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor

# Demo passwords are printed on purpose: this data is fictional and `ketaflow demo` refuses production.
DEMO_USERS = (
    ("admin", "Alex Admin", Role.ADMIN),
    ("director", "Dr. Morgan Reyes", Role.MEDICAL_DIRECTOR),
    ("physician", "Dr. Sam Okafor", Role.PHYSICIAN),
    ("nurse", "Jamie Lindqvist, RN", Role.NURSE),
    ("frontdesk", "Riley Chen", Role.FRONT_DESK),
    ("auditor", "Pat Auditor", Role.AUDITOR),
)
# One shared demo password that contains none of the demo usernames.
DEMO_PASSWORD = "ketamine-demo-2026"  # noqa: S105  # fictional demo clinic; printed by `ketaflow demo`

# Fictional people (names invented for the demo), with a weight and height each.
DEMO_PATIENTS = (
    (
        "KF-0001",
        {
            "family_name": "Rivera",
            "given_names": "Ana Lucia",
            "date_of_birth": "1984-03-02",
            "sex": "female",
            "phone": "+1 555 0101",
            "emergency_contact_name": "Marco Rivera",
            "emergency_contact_phone": "+1 555 0102",
            "emergency_contact_relationship": "husband",
        },
        68.5,
        165.0,
    ),
    (
        "KF-0002",
        {
            "family_name": "Whitfield",
            "given_names": "Thomas",
            "date_of_birth": "1971-11-19",
            "sex": "male",
            "phone": "+1 555 0111",
            "emergency_contact_name": "Helen Whitfield",
            "emergency_contact_phone": "+1 555 0112",
            "emergency_contact_relationship": "sister",
        },
        121.0,
        182.0,
    ),
    (
        "KF-0003",
        {
            "family_name": "Nakamura",
            "given_names": "Emi",
            "date_of_birth": "1996-06-30",
            "sex": "female",
            "email": "emi.n@example.org",
            "emergency_contact_name": "Ken Nakamura",
            "emergency_contact_phone": "+1 555 0122",
            "emergency_contact_relationship": "father",
        },
        54.2,
        158.0,
    ),
    (
        "KF-0004",
        {
            "family_name": "Osei",
            "given_names": "Kwame",
            "date_of_birth": "1959-01-08",
            "sex": "male",
            "phone": "+1 555 0131",
            "emergency_contact_name": "Abena Osei",
            "emergency_contact_phone": "+1 555 0132",
            "emergency_contact_relationship": "wife",
        },
        88.0,
        176.0,
    ),
    (
        "KF-0005",
        {
            "family_name": "Brennan",
            "given_names": "Siobhan",
            "date_of_birth": "1989-09-14",
            "sex": "female",
            "phone": "+1 555 0141",
        },
        95.3,
        170.0,
    ),
    (
        "KF-0006",
        {
            "family_name": "Haddad",
            "given_names": "Yusuf",
            "date_of_birth": "2002-04-21",
            "sex": "male",
            "emergency_contact_name": "Leila Haddad",
            "emergency_contact_phone": "+1 555 0152",
            "emergency_contact_relationship": "mother",
        },
        72.9,
        179.0,
    ),
)


@dataclass(frozen=True, slots=True)
class DemoSeed:
    created: bool
    credentials: list[tuple[str, str, Role]]
    patients: int


def demo_password(username: str) -> str:
    """The demo sign-in password (the same for every demo account, printed by `ketaflow demo`)."""
    return DEMO_PASSWORD


def seed_demo_clinic(svc: AppServices) -> DemoSeed:
    """Create the demo accounts and patients once; on later runs only report the credentials."""
    console = Actor.system("demo-seed")
    credentials = [(name, demo_password(name), role) for name, _, role in DEMO_USERS]
    with svc.uow_factory() as uow:
        existing = {u.username for u in uow.users.list_all() if not u.disabled}
    if existing:
        # Only the demo accounts that are still there (their passwords may have been changed since).
        still_there = [c for c in credentials if c[0] in existing]
        return DemoSeed(created=False, credentials=still_there, patients=0)
    for name, display, role in DEMO_USERS:
        users.create_user(
            svc,
            console,
            username=name,
            display_name=display,
            role=role.value,
            password=demo_password(name),
            must_change_password=False,
        )
    measured_on = (svc.clock.now() - timedelta(days=3)).date().isoformat()
    for mrn, details, weight_kg, height_cm in DEMO_PATIENTS:
        version = patients.register_patient(svc, console, mrn, details)
        patients.record_measurement(
            svc, console, version.patient_id, kind="weight", value=weight_kg, measured_on=measured_on
        )
        patients.record_measurement(
            svc, console, version.patient_id, kind="height", value=height_cm, measured_on=measured_on
        )
    return DemoSeed(created=True, credentials=credentials, patients=len(DEMO_PATIENTS))
