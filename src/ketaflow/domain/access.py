"""Who may do what: the clinic's roles and the permissions each one holds.

Routes and services name a permission; this table is the one place that says which roles hold it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Role(StrEnum):
    """A staff member's role in the clinic. Patients reach ketaflow only through one-time links."""

    ADMIN = "admin"
    MEDICAL_DIRECTOR = "medical_director"
    PHYSICIAN = "physician"
    NURSE = "nurse"
    FRONT_DESK = "front_desk"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Permission(StrEnum):
    """An action a route or service performs on behalf of a signed-in user."""

    PATIENT_READ = "patient.read"
    PATIENT_REGISTER = "patient.register"
    PATIENT_AMEND = "patient.amend"
    MEASUREMENT_RECORD = "measurement.record"
    AUDIT_READ = "audit.read"
    AUDIT_EXPORT = "audit.export"
    USER_MANAGE = "user.manage"
    ACCOUNT_SELF = "account.self"
    SCREENING_READ = "screening.read"
    SCREENING_RECORD = "screening.record"
    SCREENING_REVIEW = "screening.review"
    CONSENT_RECORD = "consent.record"
    PROTOCOL_READ = "protocol.read"
    PROTOCOL_MANAGE = "protocol.manage"
    ORDER_READ = "order.read"
    ORDER_CREATE = "order.create"
    ORDER_SIGN = "order.sign"
    INFORMATION_SEND = "information.send"
    SESSION_READ = "session.read"
    SESSION_CHECK_IN = "session.check_in"
    SESSION_CHART = "session.chart"
    DISCHARGE_OVERRIDE = "discharge.override"
    QUESTIONNAIRE_RECORD = "questionnaire.record"
    QUESTIONNAIRE_SEND = "questionnaire.send"
    OUTCOMES_READ = "outcomes.read"
    CLINIC_REPORT_READ = "clinic_report.read"
    COURSE_READ = "course.read"
    COURSE_MANAGE = "course.manage"


_CLINICAL = frozenset({Role.MEDICAL_DIRECTOR, Role.PHYSICIAN, Role.NURSE})
_ALL = frozenset(Role)
_PRESCRIBERS = frozenset({Role.PHYSICIAN, Role.MEDICAL_DIRECTOR})

# Front desk registers and corrects demographics but does not chart clinical measurements.
# The auditor reads the audit log only: patient charts are not theirs to browse.
ROLE_PERMISSIONS: Mapping[Permission, frozenset[Role]] = {
    Permission.PATIENT_READ: _CLINICAL | {Role.FRONT_DESK},
    Permission.PATIENT_REGISTER: _CLINICAL | {Role.FRONT_DESK},
    Permission.PATIENT_AMEND: _CLINICAL | {Role.FRONT_DESK},
    Permission.MEASUREMENT_RECORD: _CLINICAL,
    Permission.AUDIT_READ: frozenset({Role.AUDITOR, Role.ADMIN, Role.MEDICAL_DIRECTOR}),
    Permission.AUDIT_EXPORT: frozenset({Role.AUDITOR}),
    Permission.USER_MANAGE: frozenset({Role.ADMIN}),
    Permission.ACCOUNT_SELF: _ALL,
    # Screening holds clinical history: clinical staff only. Deciding on a hold is a prescriber's call.
    Permission.SCREENING_READ: _CLINICAL,
    Permission.SCREENING_RECORD: _CLINICAL,
    Permission.SCREENING_REVIEW: _PRESCRIBERS,
    Permission.CONSENT_RECORD: _CLINICAL,
    # Protocols are the medical director's to revise; orders are a prescriber's to create and sign.
    Permission.PROTOCOL_READ: _CLINICAL,
    Permission.PROTOCOL_MANAGE: frozenset({Role.MEDICAL_DIRECTOR}),
    Permission.ORDER_READ: _CLINICAL,
    Permission.ORDER_CREATE: _PRESCRIBERS,
    Permission.ORDER_SIGN: _PRESCRIBERS,
    # Sending the information sheet goes with booking, so the front desk may do it too.
    Permission.INFORMATION_SEND: _CLINICAL | {Role.FRONT_DESK},
    # The chair: the front desk checks a patient in; clinical staff chart; only a prescriber overrides discharge.
    Permission.SESSION_READ: _CLINICAL,
    Permission.SESSION_CHECK_IN: _CLINICAL | {Role.FRONT_DESK},
    Permission.SESSION_CHART: _CLINICAL,
    Permission.DISCHARGE_OVERRIDE: _PRESCRIBERS,
    # Questionnaires: the front desk may send a patient their link (it goes with booking) but not read answers.
    Permission.QUESTIONNAIRE_RECORD: _CLINICAL,
    Permission.QUESTIONNAIRE_SEND: _CLINICAL | {Role.FRONT_DESK},
    Permission.OUTCOMES_READ: _CLINICAL,
    # The clinic's aggregate outcomes report: the people accountable for the service.
    Permission.CLINIC_REPORT_READ: _PRESCRIBERS,
    Permission.COURSE_READ: _CLINICAL | {Role.FRONT_DESK},
    Permission.COURSE_MANAGE: _PRESCRIBERS,
}

# HIPAA 164.312(d) / ONC 170.315(d)(13): a second factor for those who sign orders or manage access.
SECOND_FACTOR_ROLES = frozenset({Role.PHYSICIAN, Role.MEDICAL_DIRECTOR, Role.ADMIN})


def roles_with(permission: Permission) -> frozenset[Role]:
    """The roles that hold a permission.

    >>> sorted(r.value for r in roles_with(Permission.AUDIT_EXPORT))
    ['auditor']
    """
    return ROLE_PERMISSIONS[permission]


def can(role: Role, permission: Permission) -> bool:
    """Whether a role holds a permission.

    >>> can(Role.NURSE, Permission.PATIENT_READ), can(Role.AUDITOR, Permission.PATIENT_READ)
    (True, False)
    """
    return role in ROLE_PERMISSIONS[permission]


def is_second_factor_required(role: Role) -> bool:
    """Physicians, medical directors and admins must use TOTP.

    >>> is_second_factor_required(Role.NURSE), is_second_factor_required(Role.PHYSICIAN)
    (False, True)
    """
    return role in SECOND_FACTOR_ROLES
