"""The composition root: the only module that picks concrete classes and wires them together."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from ketaflow.cli.app import build_cli
from ketaflow.config import ConfigurationError, Settings, load_settings
from ketaflow.domain.errors import ClinicError
from ketaflow.domain.users import LoginPolicy
from ketaflow.interop.icd10cm import Icd10CmCodeSystem
from ketaflow.interop.messaging import ConsoleSender
from ketaflow.services.app import AppServices
from ketaflow.services.credentials import PasswordHasher, SecretBox
from ketaflow.services.ports import Clock, CodeSystem
from ketaflow.storage.change_feed import LocalChangeFeed, PostgresChangeFeed
from ketaflow.storage.database import check_durability, create_database_engine
from ketaflow.storage.migrate import current_revision, head_revision, upgrade_to_head
from ketaflow.storage.uow import SqlUnitOfWork, sql_unit_of_work_factory

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("ketaflow")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@cache
def icd10cm_code_system() -> Icd10CmCodeSystem:
    """One per process: the code set is large and loads on first use."""
    return Icd10CmCodeSystem()


class DatabaseNotReady(ClinicError):
    """The schema is missing or older than this version of ketaflow."""


def build_app_services(
    settings: Settings, engine: Engine, *, clock: Clock | None = None, fast_hashing: bool = False
) -> AppServices:
    session_factory = sql_unit_of_work_factory(engine)
    feed = PostgresChangeFeed(settings.database_url) if engine.dialect.name == "postgresql" else LocalChangeFeed()
    return AppServices(
        uow_factory=lambda: SqlUnitOfWork(session_factory, feed),
        changes=feed,
        clock=clock or SystemClock(),
        hasher=PasswordHasher(fast=fast_hashing),
        secret_box=SecretBox.from_app_secret(settings.secret_key),
        login_policy=LoginPolicy(
            max_failures=settings.login_max_failures,
            lockout=timedelta(minutes=settings.login_lockout_min),
            idle_timeout=timedelta(minutes=settings.session_idle_timeout_min),
            absolute_timeout=timedelta(hours=settings.session_absolute_timeout_h),
        ),
        clinic_name=settings.clinic_name,
        clinic_phone=settings.clinic_phone,
        clinic_timezone=settings.clinic_timezone,
        cadss_licensed=settings.cadss_licensed,
        codes=icd10cm_code_system(),
        sender=ConsoleSender(),
    )


def check_database_ready(engine: Engine) -> None:
    """Refuse to serve on unsafe durability settings or a schema that is not at head."""
    check_durability(engine)
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise DatabaseNotReady(
            f"database schema is at {current or 'nothing'}, this ketaflow needs {head}: run `ketaflow db upgrade`"
        )


def build_web_app(settings: Settings, *, clock: Clock | None = None, fast_hashing: bool = False) -> FastAPI:
    from ketaflow.web.app import create_app  # imported here: CLI commands other than serve start faster without it

    engine = create_database_engine(settings.database_url)
    check_database_ready(engine)
    return create_app(build_app_services(settings, engine, clock=clock, fast_hashing=fast_hashing), settings)


def create_web_app() -> FastAPI:
    """uvicorn factory: `uvicorn --factory ketaflow.bootstrap:create_web_app`."""
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return build_web_app(settings)


@dataclass
class CliRuntime:
    settings: Settings = field(default_factory=load_settings)

    @cached_property
    def engine(self) -> Engine:
        engine = create_database_engine(self.settings.database_url)
        check_durability(engine)
        return engine

    def services(self) -> AppServices:
        check_database_ready(self.engine)
        return build_app_services(self.settings, self.engine)

    def code_system(self) -> CodeSystem:
        return icd10cm_code_system()

    def upgrade_database(self) -> tuple[str, str]:
        before = current_revision(self.engine) or ""
        return before, upgrade_to_head(self.engine)

    def serve(self, host: str, port: int, workers: int) -> None:
        import uvicorn

        check_database_ready(self.engine)
        logging.basicConfig(level=self.settings.log_level)
        # access_log off: request lines carry patient ids in paths and search terms in query strings.
        uvicorn.run(
            "ketaflow.bootstrap:create_web_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,
            proxy_headers=self.settings.trusted_proxy,
        )


def main() -> None:
    """Console entry point of `ketaflow`."""
    import sys

    try:
        build_cli(CliRuntime)(standalone_mode=True)
    except (ConfigurationError, ClinicError) as exc:
        sys.stderr.write(f"ketaflow: {exc}\n")
        raise SystemExit(2) from exc
