"""The one error hierarchy of ketaflow. Families group errors that callers handle the same way."""

from __future__ import annotations


class ClinicError(Exception):
    """Base for every error this package raises on purpose."""


class InputError(ClinicError):
    """Input that does not meet its contract; names the field and what was expected."""

    def __init__(self, field: str, expected: str, got: object = None) -> None:
        detail = f"{field}: expected {expected}"
        if got is not None:
            detail += f", got {got!r}"
        super().__init__(detail)
        self.field = field
        self.expected = expected
        self.got = got


class NotFound(ClinicError):
    """The thing asked for does not exist (or the caller may not know that it does)."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key} not found")
        self.kind = kind
        self.key = key


class AccessDenied(ClinicError):
    """The signed-in user's role may not do this."""

    def __init__(self, action: str, role: str | None) -> None:
        super().__init__(f"role {role or 'anonymous'} may not {action}")
        self.action = action
        self.role = role


class AuthenticationFailed(ClinicError):
    """Credentials, second factor or session are not valid. The message never says which part failed."""

    def __init__(self, reason: str = "invalid credentials") -> None:
        super().__init__(reason)
        self.reason = reason


class Conflict(ClinicError):
    """The write cannot be applied to the current state (duplicate, stale version, wrong state)."""


class StaleWrite(Conflict):
    """Someone else changed the record since the caller read it; nothing was overwritten."""

    def __init__(self, kind: str, expected_version: int, current_version: int) -> None:
        super().__init__(
            f"{kind} was changed by someone else (you edited version {expected_version}, "
            f"it is now version {current_version}); reload and apply your change again"
        )
        self.kind = kind
        self.expected_version = expected_version
        self.current_version = current_version


class IntegrityViolation(ClinicError):
    """Stored data fails its integrity check (hash chain, signature digest, append-only rule)."""


class RuleDataError(ClinicError):
    """A rule or protocol file does not meet its schema; the rule set cannot be used."""


class DosingError(ClinicError):
    """A dose cannot be ordered as asked (limit, missing basis)."""


class InputErrors(ClinicError):
    """Several fields failed at once; each entry names its field and what was expected."""

    def __init__(self, errors: list[InputError] | tuple[InputError, ...]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = tuple(errors)

    @property
    def by_field(self) -> dict[str, str]:
        return {e.field: str(e).split(": ", 1)[1] for e in self.errors}
