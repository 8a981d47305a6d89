from __future__ import annotations

from ketaflow.domain.access import Role
from tests.conftest import Clinic


def test_each_role_can_sign_in_and_see_its_account(clinic: Clinic) -> None:
    for role in Role:
        client = clinic.login(role)

        page = client.get("/account")

        assert page.status_code == 200, (role, page.status_code, page.headers.get("location"))
        assert role.label in page.text
