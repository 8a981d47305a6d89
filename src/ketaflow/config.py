"""The one Settings class. Every field is read from the environment with the KETAFLOW_ prefix."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The development default is deliberately recognisable: production refuses to start with it.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev-insecure-secret-key-change-me"})
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ConfigurationError(RuntimeError):
    """The app cannot start with these settings; the message says what to set."""


class Settings(BaseSettings):
    """ketaflow's configuration; see docs/settings.md for every field."""

    model_config = SettingsConfigDict(env_prefix="KETAFLOW_", env_file=None, extra="ignore")

    environment: Environment = Field(default=Environment.DEVELOPMENT, description="development, test or production")
    database_url: str = Field(
        default="sqlite:///./ketaflow.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    secret_key: str = Field(
        default="dev-insecure-secret-key-change-me",
        description="Key that encrypts TOTP secrets at rest; at least 32 characters in production "
        "(changing it invalidates every enrolled second factor)",
    )
    clinic_name: str = Field(
        default="ketaflow demo clinic", description="Shown on the sign-in page and in the authenticator app's label"
    )
    clinic_phone: str = Field(
        default="(set KETAFLOW_CLINIC_PHONE)",
        description="Printed on patient information sheets and discharge instructions as the number to call",
    )
    clinic_timezone: str = Field(
        default="America/New_York",
        description="IANA zone for display, for 'today' in date checks and audit-filter day boundaries",
    )
    cadss_licensed: bool = Field(
        default=False,
        description="The clinic holds a licence for the CADSS dissociation scale: its total then feeds the "
        "monitoring rules",
    )
    session_idle_timeout_min: int = Field(default=15, ge=1, le=60, description="Sign out after this idle time")
    session_absolute_timeout_h: int = Field(default=12, ge=1, le=24, description="Sign out after this, always")
    login_max_failures: int = Field(default=5, ge=3, le=20, description="Failed logins before lock-out")
    login_lockout_min: int = Field(default=15, ge=1, le=1440, description="Lock-out duration")
    cookie_secure: bool = Field(default=True, description="Send the session cookie only over HTTPS (or localhost)")
    trusted_proxy: bool = Field(
        default=False,
        description="Behind a reverse proxy on this host: uvicorn takes the client address from X-Forwarded-For "
        "sent by 127.0.0.1 only",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Python logging level")

    @field_validator("clinic_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql+psycopg://")):
            raise ValueError("expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return value

    @model_validator(mode="after")
    def _production_needs_real_secret(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if self.secret_key in PLACEHOLDER_SECRETS or len(self.secret_key) < MIN_SECRET_LENGTH:
                raise ValueError(
                    "KETAFLOW_SECRET_KEY is missing or a placeholder; in production set it to a random "
                    f"value of at least {MIN_SECRET_LENGTH} characters (e.g. `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'`)"
                )
            if not self.cookie_secure:
                raise ValueError("KETAFLOW_COOKIE_SECURE must stay true in production")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.clinic_timezone)


def load_settings() -> Settings:
    """Build Settings from the environment, turning validation errors into one readable message."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        lines = [
            f"  KETAFLOW_{'_'.join(str(p) for p in e['loc']).upper() or 'SETTINGS'}: {e['msg']}" for e in exc.errors()
        ]
        raise ConfigurationError("ketaflow cannot start; fix these settings:\n" + "\n".join(lines)) from exc
