"""Write README.md's "what each role can do" table from ketaflow.domain.access, the one table of permissions.

    .venv/bin/python scripts/gen_readme_roles.py           # rewrite the table between the markers
    .venv/bin/python scripts/gen_readme_roles.py --check   # exit 1 if the README's table is stale

A new Permission needs a plain-language line in PERMISSION_WORDS below; until it has one this script
(and tests/unit/test_docs.py) fails and says which.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ketaflow.domain.access import ROLE_PERMISSIONS, SECOND_FACTOR_ROLES, Permission, Role

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START = "<!-- roles:start -->"
END = "<!-- roles:end -->"

# What each permission lets a person do, in the words a clinic uses.
PERMISSION_WORDS: Mapping[Permission, str] = {
    Permission.PATIENT_READ: "Find patients and open their charts",
    Permission.PATIENT_REGISTER: "Register a new patient",
    Permission.PATIENT_AMEND: "Correct a patient's details (a new version, with a reason)",
    Permission.MEASUREMENT_RECORD: "Record and correct weight and height",
    Permission.AUDIT_READ: "Read the audit trail and check that it is intact",
    Permission.AUDIT_EXPORT: "Export the audit trail as CSV",
    Permission.USER_MANAGE: "Manage staff accounts: create, disable, reset passwords and authenticators, change roles",
    Permission.ACCOUNT_SELF: "Sign in, see their own account, change their own password",
    Permission.SCREENING_READ: "See screening results, consents and pre-infusion gate checks",
    Permission.SCREENING_RECORD: "Screen a patient for eligibility and run the pre-infusion gate",
    Permission.SCREENING_REVIEW: "Document the decision on a held screening (proceed or not, and why)",
    Permission.CONSENT_RECORD: "Record or withdraw a patient's informed consent",
    Permission.PROTOCOL_READ: "Read the protocol library with its sources and version history",
    Permission.PROTOCOL_MANAGE: "Add or revise a protocol (a new version; orders keep the version they used)",
    Permission.ORDER_READ: "See dose orders and their pump-programming sheets",
    Permission.ORDER_CREATE: "Create a dose order from a protocol",
    Permission.ORDER_SIGN: "Sign a dose order (password and second factor again)",
    Permission.INFORMATION_SEND: "Send a patient the information sheet for their protocol",
    Permission.SESSION_READ: "See the live board and infusion charts",
    Permission.SESSION_CHECK_IN: "Check a patient in to a chair for a signed order",
    Permission.SESSION_CHART: "Chart an infusion: pump events, vitals, side effects, scores, alerts, discharge",
    Permission.DISCHARGE_OVERRIDE: "Discharge a patient who does not yet meet the criteria (with a documented reason)",
    Permission.QUESTIONNAIRE_RECORD: "Record questionnaire answers (patient- or clinician-rated) and read them",
    Permission.QUESTIONNAIRE_SEND: "Send a patient a one-time questionnaire link",
    Permission.OUTCOMES_READ: "See a patient's outcomes and trajectory",
    Permission.CLINIC_REPORT_READ: "See and export the clinic's outcome and safety dashboard",
    Permission.COURSE_READ: "See a patient's treatment course: schedule, due and missed infusions",
    Permission.COURSE_MANAGE: "Start or change a patient's treatment course plan",
}
SECOND_FACTOR_WORDS = "Must confirm each sign-in with an authenticator app (TOTP)"


class MissingWords(LookupError):
    """A permission has no plain-language line (or a line names a permission that no longer exists)."""


def _row(words: str, roles: frozenset[Role]) -> str:
    return "| " + " | ".join([words, *("yes" if role in roles else "no" for role in Role)]) + " |"


def render_roles_table() -> str:
    """The Markdown table, one row per permission in ROLE_PERMISSIONS, one column per role."""
    missing = [p.value for p in ROLE_PERMISSIONS if p not in PERMISSION_WORDS]
    stale = [p.value for p in PERMISSION_WORDS if p not in ROLE_PERMISSIONS]
    if missing or stale:
        raise MissingWords(
            f"scripts/gen_readme_roles.py PERMISSION_WORDS: add {missing or 'nothing'}, remove {stale or 'nothing'}"
        )
    lines = [
        "| what they can do | " + " | ".join(role.label for role in Role) + " |",
        "| --- |" + " :---: |" * len(Role),
    ]
    lines += [_row(PERMISSION_WORDS[p], roles) for p, roles in ROLE_PERMISSIONS.items()]
    lines.append(_row(SECOND_FACTOR_WORDS, SECOND_FACTOR_ROLES))
    return "\n".join(lines)


def with_table(readme: str, table: str) -> str:
    """The README text with the block between the markers replaced by ``table``."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md needs the markers {START} and {END}, in that order")
    return readme[: start + len(START)] + "\n" + table + "\n" + readme[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the table is stale; write nothing")
    parser.add_argument("--readme", type=Path, default=README, help="the README to update or check")
    args = parser.parse_args(argv)
    current = args.readme.read_text(encoding="utf-8")
    wanted = with_table(current, render_roles_table())
    if args.check:
        if current != wanted:
            sys.stderr.write(f"the roles table in {args.readme} is stale: run scripts/gen_readme_roles.py\n")
            return 1
        return 0
    if current != wanted:
        args.readme.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
