"""The admin's user management: create, disable/enable, reset password or second factor, change role."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ketaflow.domain.access import Permission, Role
from ketaflow.services import users
from ketaflow.services.auth import SignedIn
from ketaflow.web.access import actor_of, allow, services_of
from ketaflow.web.errors import remember_form
from ketaflow.web.rendering import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[SignedIn, Depends(allow(Permission.USER_MANAGE))]
ROLE_OPTIONS = [(r.value, r.label) for r in Role]
ACCOUNT_CHANGES: dict[str, users.AccountChange] = {
    "disable": users.disable_user,
    "enable": users.enable_user,
    "reset-second-factor": users.reset_second_factor,
}


def _listing(request: Request, signed_in: SignedIn) -> dict[str, Any]:
    return {
        "users": users.list_users(services_of(request), actor_of(request, signed_in)),
        "role_options": ROLE_OPTIONS,
    }


@router.get("/admin/users")
async def users_page(request: Request, signed_in: Admin) -> HTMLResponse:
    return render(request, "users.html", signed_in, values={}, errors={}, **_listing(request, signed_in))


@router.post("/admin/users")
async def create_user(
    request: Request,
    signed_in: Admin,
    username: Annotated[str, Form(max_length=60)] = "",
    display_name: Annotated[str, Form(max_length=120)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    values = {"username": username, "display_name": display_name, "role": role}
    remember_form(request, "users.html", values=values, lazy=lambda: _listing(request, signed_in))
    users.create_user(
        services_of(request),
        actor_of(request, signed_in),
        username=username,
        display_name=display_name,
        role=role,
        password=password,
    )
    return RedirectResponse("/admin/users?notice=user_created", status_code=303)


@router.post("/admin/users/{user_id}/reset-password")
async def reset_password(
    request: Request, signed_in: Admin, user_id: UUID, password: Annotated[str, Form(max_length=200)] = ""
) -> RedirectResponse:
    remember_form(request, "users.html", values={}, lazy=lambda: _listing(request, signed_in))
    users.reset_password(services_of(request), actor_of(request, signed_in), user_id, password)
    return RedirectResponse("/admin/users?notice=user_changed", status_code=303)


@router.post("/admin/users/{user_id}/role")
async def change_role(
    request: Request, signed_in: Admin, user_id: UUID, role: Annotated[str, Form(max_length=32)] = ""
) -> RedirectResponse:
    remember_form(request, "users.html", values={}, lazy=lambda: _listing(request, signed_in))
    users.change_role(services_of(request), actor_of(request, signed_in), user_id, role)
    return RedirectResponse("/admin/users?notice=user_changed", status_code=303)


def _account_change(path: str, change: users.AccountChange) -> None:
    async def route(request: Request, signed_in: Admin, user_id: UUID) -> RedirectResponse:
        remember_form(request, "users.html", values={}, lazy=lambda: _listing(request, signed_in))
        change(services_of(request), actor_of(request, signed_in), user_id)
        return RedirectResponse("/admin/users?notice=user_changed", status_code=303)

    route.__name__ = path.replace("-", "_")
    router.add_api_route(f"/admin/users/{{user_id}}/{path}", route, methods=["POST"])


for _path, _change in ACCOUNT_CHANGES.items():
    _account_change(_path, _change)
