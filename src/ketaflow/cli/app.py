"""`ketaflow` commands. The composition root passes a Runtime so this layer never touches storage."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Protocol

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ketaflow.config import Environment, Settings
from ketaflow.domain.access import Role
from ketaflow.domain.audit import ChainAnchor
from ketaflow.domain.errors import ClinicError, InputError
from ketaflow.services import users as user_service
from ketaflow.services.app import AppServices
from ketaflow.services.audit import verify_audit_trail
from ketaflow.services.context import Actor
from ketaflow.services.demo import seed_demo_clinic
from ketaflow.services.demo_history import generate_clinic_history
from ketaflow.services.dosing import describe_protocols, plan_document
from ketaflow.services.pk import cohort_document, describe_models, simulate_document, tci_document
from ketaflow.services.ports import CodeSystem
from ketaflow.services.screening import screen_intake

EXIT_INVALID = 2
EXIT_FAILED = 1
# Synthetic patients `ketaflow demo` generates by default (docs/demo.md gives the time it takes).
DEFAULT_HISTORY_PATIENTS = 300


class Runtime(Protocol):
    """What the CLI needs from the composition root."""

    settings: Settings

    def services(self) -> AppServices: ...
    def code_system(self) -> CodeSystem: ...
    def upgrade_database(self) -> tuple[str, str]: ...
    def serve(self, host: str, port: int, workers: int) -> None: ...


def read_json_document(file: str) -> dict[str, Any]:
    """A JSON object from a file or standard input ('-'); InputError names what is wrong."""
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError("FILE", "a readable file (or - for standard input)", file) from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError("FILE", f"valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    if not isinstance(document, dict):
        raise InputError("FILE", "a JSON object at the top level", type(document).__name__)
    return document


def parse_utc(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError("--at", "an ISO 8601 date-time such as 2026-11-25T09:30:00Z", text) from None
    if value.tzinfo is None:
        raise InputError("--at", "a date-time with a time zone (Z or +00:00)", text)
    return value.astimezone(UTC)


def _console_actor() -> Actor:
    return Actor.system(f"console:{getpass.getuser()}")


def build_cli(runtime_factory: Callable[[], Runtime]) -> typer.Typer:
    app = typer.Typer(
        help="ketaflow: the care pathway of a ketamine infusion clinic.",
        no_args_is_help=True,
        add_completion=False,
    )
    db = typer.Typer(help="Database schema.", no_args_is_help=True)
    users = typer.Typer(help="Staff accounts.", no_args_is_help=True)
    audit = typer.Typer(help="The audit trail.", no_args_is_help=True)
    app.add_typer(db, name="db")
    app.add_typer(users, name="users")
    app.add_typer(audit, name="audit")
    pk = typer.Typer(help="Pharmacokinetic predictions (JSON in, JSON out).", no_args_is_help=True)
    app.add_typer(pk, name="pk")
    protocols = typer.Typer(help="The protocol library (versioned, cited).", no_args_is_help=True)
    app.add_typer(protocols, name="protocols")
    out = Console()
    err = Console(stderr=True)

    def fail(exc: ClinicError) -> typer.Exit:
        err.print(f"[red]error:[/red] {exc}")
        return typer.Exit(EXIT_INVALID)

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port")] = 8000,
        workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    ) -> None:
        """Serve the clinic app (refuses to start on unsafe database settings or an old schema)."""
        runtime_factory().serve(host, port, workers)

    @db.command("upgrade")
    def db_upgrade() -> None:
        """Migrate the database to the newest schema (safe to run repeatedly)."""
        before, after = runtime_factory().upgrade_database()
        out.print(f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})"))

    @app.command()
    def demo(
        no_history: Annotated[
            bool, typer.Option("--no-history", help="Skip the synthetic clinic history (only users and 6 patients)")
        ] = False,
        patients: Annotated[
            int, typer.Option(help="Synthetic patients in the generated history (docs/demo.md)")
        ] = DEFAULT_HISTORY_PATIENTS,
    ) -> None:
        """Seed the demo clinic on first run (one user per role, fictional patients, a synthetic year of history)."""
        runtime = runtime_factory()
        if runtime.settings.environment is Environment.PRODUCTION:
            err.print("[red]error:[/red] the demo clinic is never seeded in production")
            raise typer.Exit(EXIT_FAILED)
        svc = runtime.services()
        seeded = seed_demo_clinic(svc)
        if seeded.created:
            out.print(f"Seeded the demo clinic: {len(seeded.credentials)} users, {seeded.patients} fictional patients.")
            if not no_history:
                try:
                    with Progress(console=err, transient=True) as progress:
                        task = progress.add_task("generating the synthetic clinic history", total=patients)
                        history = generate_clinic_history(
                            svc,
                            patients=patients,
                            progress=lambda done, total: progress.update(task, completed=done, total=total),
                        )
                except ClinicError as exc:
                    raise fail(exc) from exc
                out.print(
                    f"Generated a SYNTHETIC clinic history (fictional patients, marked 'Synthetic demo patient'): "
                    f"{history.patients} patients, {history.sessions} infusion sessions, "
                    f"{history.questionnaire_responses} questionnaire responses; "
                    f"{history.series_responders} series responders, {history.relapses} relapses "
                    f"(seed {history.seed}, parameters {history.generator_version}; see docs/demo.md)."
                )
        else:
            out.print("The database already has users; nothing was seeded.")
            if not seeded.credentials:
                return
        table = Table(
            title="Demo sign-ins (fictional clinic; passwords as seeded unless changed since; "
            "physician, director and admin set up TOTP at first sign-in)"
        )
        for column in ("username", "password", "role"):
            table.add_column(column)
        for name, password, role in seeded.credentials:
            table.add_row(name, password, role.label)
        out.print(table)

    @app.command()
    def screen(
        file: Annotated[str, typer.Argument(help="Intake JSON file, or - for standard input")],
        at: Annotated[
            str | None,
            typer.Option(help="Screen as of this UTC time (ISO 8601); default now. Vitals are judged against it"),
        ] = None,
    ) -> None:
        """Screen one intake (JSON) and print the decision with every finding's basis (docs/cli-contracts.md)."""
        try:
            document = read_json_document(file)
            now_utc = parse_utc(at) if at else datetime.now(UTC)
            result = screen_intake(document, codes=runtime_factory().code_system(), now_utc=now_utc)
        except ClinicError as exc:
            raise fail(exc) from exc
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")

    @pk.command("models")
    def pk_models(
        as_json: Annotated[bool, typer.Option("--json", help="Print each model's source and caveats")] = False,
    ) -> None:
        """List the PK model ids (with --json: citation, population, confirmation status and caveats)."""
        models = describe_models()
        if as_json:
            sys.stdout.write(json.dumps(models, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write("".join(f"{m['id']}\n" for m in models))

    @pk.command("simulate")
    def pk_simulate(file: Annotated[str, typer.Argument(help="JSON file, or - for standard input")]) -> None:
        """Plasma and effect-site concentrations for one patient and dosing history (docs/cli-contracts.md)."""
        try:
            answer = simulate_document(read_json_document(file))
        except ClinicError as exc:
            raise fail(exc) from exc
        sys.stdout.write(json.dumps(answer) + "\n")

    @pk.command("tci")
    def pk_tci(file: Annotated[str, typer.Argument(help="JSON file, or - for standard input")]) -> None:
        """Pump rates that reach and hold a plasma or effect-site target (docs/cli-contracts.md)."""
        try:
            answer = tci_document(read_json_document(file))
        except ClinicError as exc:
            raise fail(exc) from exc
        sys.stdout.write(json.dumps(answer) + "\n")

    @pk.command("cohort")
    def pk_cohort(file: Annotated[str, typer.Argument(help="JSON file, or - for standard input")]) -> None:
        """A virtual cohort's probability of exceeding a concentration, and percentile bands (docs/cli-contracts.md)."""
        try:
            document = read_json_document(file)
            with Progress(console=err, transient=True) as progress:
                task = progress.add_task("simulating the cohort", total=None)
                answer = cohort_document(
                    document, progress=lambda done, total: progress.update(task, completed=done, total=total)
                )
        except ClinicError as exc:
            raise fail(exc) from exc
        sys.stdout.write(json.dumps(answer) + "\n")

    @app.command()
    def score(
        instrument: Annotated[str, typer.Argument(help="phq9, gad7, qids_sr16, madrs or cssrs_screener")],
        file: Annotated[str, typer.Argument(help="Answers JSON file, or - for standard input")],
    ) -> None:
        """Score one questionnaire: total, severity band and flags with their basis (docs/scales.md)."""
        # Imported here so that this command is a single insertion into the module.
        from ketaflow.services.scales import score_document

        try:
            answer = score_document(instrument, read_json_document(file))
        except ClinicError as exc:
            raise fail(exc) from exc
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")

    monitor = typer.Typer(help="Intra-infusion monitoring rules (JSON in, JSON out).", no_args_is_help=True)
    app.add_typer(monitor, name="monitor")

    @monitor.command("check")
    def monitor_check(
        file: Annotated[str, typer.Argument(help="Reading JSON file, or - for standard input")],
        cadss_licensed: Annotated[
            bool, typer.Option("--cadss-licensed", help="The clinic is licensed for CADSS: evaluate its tiers")
        ] = False,
    ) -> None:
        """Judge one charted reading against the protocol's monitoring rules: action, findings (docs/monitoring.md)."""
        # Imported here so that this group is a single insertion into the module.
        from ketaflow.services.monitoring import check_reading_document

        try:
            answer = check_reading_document(read_json_document(file), cadss_licensed=cadss_licensed)
        except ClinicError as exc:
            raise fail(exc) from exc
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")

    reminders = typer.Typer(help="Questionnaire reminders of treatment courses.", no_args_is_help=True)
    app.add_typer(reminders, name="reminders")

    @reminders.command("send")
    def reminders_send(
        today: Annotated[
            str | None, typer.Option(help="The clinic's date to send for (YYYY-MM-DD); default today")
        ] = None,
        base_url: Annotated[
            str, typer.Option(help="The clinic's public address the links point to, e.g. https://clinic.example.org")
        ] = "",
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be sent; send nothing")] = False,
    ) -> None:
        """Send the questionnaire links the course plans ask for today; one JSON line per reminder (docs/courses.md)."""
        # Imported here so that this group is a single insertion into the module.
        from datetime import date

        from ketaflow.services.courses import send_due_reminders
        from ketaflow.services.patients import clinic_today

        try:
            svc = runtime_factory().services()
            try:
                day = date.fromisoformat(today) if today else clinic_today(svc)
            except ValueError:
                raise InputError("--today", "a date such as 2026-11-25", today) from None
            outcomes = send_due_reminders(svc, _console_actor(), day, base_url, dry_run=dry_run)
        except ClinicError as exc:
            raise fail(exc) from exc
        sys.stdout.write("".join(json.dumps(o.to_json(), ensure_ascii=False) + "\n" for o in outcomes))

    @app.command()
    def plan(file: Annotated[str, typer.Argument(help="Plan JSON file, or - for standard input")]) -> None:
        """Plan one infusion from a protocol: dosing weight, mg, mg/h, mL/h, VTBI and limits (docs/cli-contracts.md)."""
        try:
            answer = plan_document(read_json_document(file))
        except ClinicError as exc:
            raise fail(exc) from exc
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")

    @protocols.command("list")
    def protocols_list(
        as_json: Annotated[bool, typer.Option("--json", help="Print each protocol's full cited data")] = False,
    ) -> None:
        """List the protocols (id, version, title; with --json: regimen, limits, series, pump and sources)."""
        library = describe_protocols(full=as_json)
        if as_json:
            sys.stdout.write(json.dumps(library, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write("".join(f"{p['id']}\t{p['version']}\t{p['title']}\n" for p in library))

    @users.command("create")
    def users_create(
        username: Annotated[str, typer.Option(help="Sign-in name")],
        display_name: Annotated[str, typer.Option(help="The person's name")],
        role: Annotated[str, typer.Option(help="|".join(r.value for r in Role))],
        password: Annotated[str | None, typer.Option(help="Temporary password (prompted if omitted)")] = None,
    ) -> None:
        """Create a staff account with a temporary password (changed at first sign-in)."""
        secret = password or typer.prompt("Temporary password", hide_input=True, confirmation_prompt=True)
        try:
            user = user_service.create_user(
                runtime_factory().services(),
                _console_actor(),
                username=username,
                display_name=display_name,
                role=role,
                password=secret,
            )
        except ClinicError as exc:
            raise fail(exc) from exc
        out.print(f"created {user.username} ({user.role.label})")

    @users.command("list")
    def users_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
        """List staff accounts."""
        accounts = user_service.list_users(runtime_factory().services(), _console_actor())
        rows = [
            {
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role.value,
                "disabled": u.disabled,
                "second_factor": u.totp_enrolled,
            }
            for u in accounts
        ]
        if as_json:
            sys.stdout.write(json.dumps(rows) + "\n")
            return
        table = Table()
        for column in ("username", "display_name", "role", "disabled", "second_factor"):
            table.add_column(column)
        for row in rows:
            table.add_row(*(str(v) for v in row.values()))
        out.print(table)

    def change_account(change: user_service.AccountChange, username: str, done: str) -> None:
        try:
            change(runtime_factory().services(), _console_actor(), username)
        except ClinicError as exc:
            raise fail(exc) from exc
        out.print(done)

    @users.command("disable")
    def users_disable(username: str) -> None:
        """Disable an account and end its sessions (accounts are never deleted)."""
        change_account(user_service.disable_user, username, f"disabled {username}")

    @users.command("enable")
    def users_enable(username: str) -> None:
        """Re-enable a disabled or locked account."""
        change_account(user_service.enable_user, username, f"enabled {username}")

    @users.command("reset-password")
    def users_reset_password(
        username: str,
        password: Annotated[str | None, typer.Option(help="Temporary password (prompted if omitted)")] = None,
    ) -> None:
        """Set a temporary password, unlock the account and end its sessions."""
        secret = password or typer.prompt("Temporary password", hide_input=True, confirmation_prompt=True)
        try:
            user_service.reset_password(runtime_factory().services(), _console_actor(), username, secret)
        except ClinicError as exc:
            raise fail(exc) from exc
        out.print(f"password reset for {username}; it must be changed at next sign-in")

    @users.command("reset-second-factor")
    def users_reset_second_factor(username: str) -> None:
        """Remove a lost authenticator; the user enrols a new one at next sign-in."""
        change_account(user_service.reset_second_factor, username, f"second factor reset for {username}")

    @audit.command("verify")
    def audit_verify(
        anchor: Annotated[
            str | None, typer.Option(help="SEQ:HASH of a head printed earlier and kept elsewhere (detects truncation)")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    ) -> None:
        """Recompute the audit hash chain; exit 1 and name every altered, removed or inserted event."""
        try:
            recorded = ChainAnchor.parse(anchor) if anchor else None
        except ClinicError as exc:
            raise fail(exc) from exc
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("verifying audit chain", total=None)
            report = verify_audit_trail(
                runtime_factory().services(),
                _console_actor(),
                anchor=recorded,
                progress=lambda n: progress.update(task, completed=n),
            )
        if as_json:
            body = {
                "ok": report.ok,
                "events_checked": report.events_checked,
                "head": str(report.head),
                "problems": [{"seq": p.seq, "problem": p.problem} for p in report.problems],
            }
            sys.stdout.write(json.dumps(body) + "\n")
        else:
            for problem in report.problems:
                out.print(f"[red]event {problem.seq}:[/red] {problem.problem}")
            status = "[green]intact[/green]" if report.ok else f"[red]{len(report.problems)} problem(s)[/red]"
            out.print(
                f"audit chain {status}: {report.events_checked} events; head (keep it as an anchor): {report.head}"
            )
        if not report.ok:
            raise typer.Exit(EXIT_FAILED)

    return app
