"""The ports and policies every use case needs, built once by bootstrap and passed in."""

from __future__ import annotations

from dataclasses import dataclass

from ketaflow.domain.users import LoginPolicy
from ketaflow.services.credentials import PasswordHasher, SecretBox
from ketaflow.services.ports import ChangeFeed, Clock, CodeSystem, MessageSender, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class AppServices:
    uow_factory: UnitOfWorkFactory
    changes: ChangeFeed
    clock: Clock
    hasher: PasswordHasher
    secret_box: SecretBox
    login_policy: LoginPolicy
    clinic_name: str
    clinic_phone: str
    clinic_timezone: str
    cadss_licensed: bool
    codes: CodeSystem
    sender: MessageSender
