"""Questionnaires in the clinic: answers entered by staff, one-time links patients answer on their phone, and the
trajectory of each instrument's totals against the infusion days with the patient's outcome.

A link is answered once, before it expires. Only the SHA-256 of its token is stored, so the URL is shown (or sent)
once, when it is made. The page a link opens shows the clinic's name, the patient's first name and the
questionnaires, nothing else; the link signs nobody in. An urgent flag (C-SSRS high risk, PHQ-9 item 9) is never
silent: it is audited as ``questionnaire.urgent_flag`` and shown on the patient page as an urgent banner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from uuid import UUID

from ketaflow.domain.access import Permission, can
from ketaflow.domain.audit import ActionCode, AuditOutcome
from ketaflow.domain.errors import Conflict, InputError, InputErrors, NotFound
from ketaflow.domain.outcomes import OutcomeDefinitions, PatientOutcome, ScorePoint, evaluate_patient_outcome
from ketaflow.domain.questionnaires import LinkState, QuestionnaireLink, ScaleResponse
from ketaflow.domain.scales import Respondent, Scale, ScaleLibrary, ScaleResult, score_answers
from ketaflow.domain.sessions import InfusionSession
from ketaflow.rules import load_rule_file
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, record_audit, require
from ketaflow.services.credentials import new_token, token_digest
from ketaflow.services.ports import UnitOfWork
from ketaflow.services.scales import load_scale_library

# ketaflow default (NF): no published source sets how long a questionnaire link stays open. Three days covers a
# link sent before a visit; a week is the longest, so an old message does not open answers long after it was sent.
# The clinic may change both.
LINK_VALID_FOR_HOURS_DEFAULT = 72
LINK_VALID_FOR_HOURS_MAX = 7 * 24
LINK_PATH_PREFIX = "/q/"
# The audit trail's name for a patient answering through a link (the link id goes in resource_id).
LINK_ACTOR = "patient-link"
DELIVERY_CHANNELS = ("email", "sms")


class LinkRefused(Conflict):
    """A link that is unknown, expired or already used; nothing was shown or stored."""

    MESSAGES: Mapping[str, str] = {
        "unknown": "This link is not valid. Please check it, or ask the clinic for a new one.",
        LinkState.EXPIRED.value: "This link has expired. Please ask the clinic for a new one.",
        LinkState.USED.value: "This link has already been used, so it no longer works. If you need to answer "
        "again, please ask the clinic for a new link.",
    }

    def __init__(self, reason: str, link: QuestionnaireLink | None = None) -> None:
        super().__init__(self.MESSAGES[reason])
        self.reason = reason
        self.link = link


@cache
def load_outcome_definitions() -> OutcomeDefinitions:
    """The shipped outcome definitions, parsed and checked once per process."""
    return OutcomeDefinitions.from_dict(load_rule_file("outcomes", "definitions"))


def link_instruments(library: ScaleLibrary | None = None) -> tuple[Scale, ...]:
    """The questionnaires a patient can answer through a link: self-report, with the instrument's own wording."""
    scales = (library or load_scale_library()).scales
    return tuple(
        scale
        for scale in scales
        if scale.respondent is Respondent.PATIENT and all(item.text_is_licensed_wording for item in scale.items)
    )


def _patient_or_404(uow: UnitOfWork, patient_id: UUID) -> None:
    if uow.patients.latest(patient_id) is None:
        raise NotFound("patient", patient_id)


def _link_actor(source_address: str = "") -> Actor:
    return Actor(user_id=None, username=LINK_ACTOR, role=None, source_address=source_address)


def check_answered(scale: Scale, answers: object, path: str) -> None:
    """Name every item that is asked but not answered at once (a form shows them all), then let scoring check values."""
    if not isinstance(answers, Mapping):
        return  # a list is checked entry by entry by score_answers
    missing = [
        InputError(f"{path}.{item.id}", f"an answer to {item.id}: {item.describe_answers()} (required)")
        for item in scale.visible_items(answers)
        if answers.get(item.id) is None
    ]
    if missing:
        raise InputErrors(missing)


def score_checked(scale: Scale, answers: object, path: str) -> ScaleResult:
    """Score one questionnaire; InputErrors names every unanswered item, InputError a wrong answer."""
    check_answered(scale, answers, path)
    return score_answers(scale, answers, path)


def _audit_urgent(uow: UnitOfWork, svc: AppServices, actor: Actor, response: ScaleResponse) -> None:
    """An urgent flag is never silent: one audit event per urgent flag, naming its rule."""
    for flag in response.urgent_flags:
        record_audit(
            uow,
            svc.clock,
            actor,
            "questionnaire.urgent_flag",
            ActionCode.EXECUTE,
            patient_id=response.patient_id,
            resource_type="ScaleResponse",
            resource_id=str(response.id),
            detail=f"{flag.rule_id} ({flag.effect.value})",
        )


def _check_respondent(respondent: object, default: Respondent) -> Respondent:
    if respondent is None or respondent == "":
        return default
    try:
        return Respondent(str(respondent))
    except ValueError:
        raise InputError("respondent", "patient or clinician", respondent) from None


def record_response(
    svc: AppServices,
    actor: Actor,
    patient_id: UUID,
    instrument: str,
    answers: object,
    respondent: object = None,
    *,
    session_id: UUID | None = None,
) -> ScaleResponse:
    """A clinician enters one questionnaire (answered by the patient, or rated by the clinician) and it is scored."""
    require(actor, Permission.QUESTIONNAIRE_RECORD)
    scale = load_scale_library().get(instrument)
    who = _check_respondent(respondent, scale.respondent)
    result = score_checked(scale, answers, "items")
    response = ScaleResponse.from_result(
        result,
        patient_id=patient_id,
        respondent=who,
        answered_at_utc=svc.clock.now(),
        recorded_by=actor.username,
        session_id=session_id,
    )
    with svc.uow_factory() as uow:
        _patient_or_404(uow, patient_id)
        uow.questionnaires.add_response(response)
        record_audit(
            uow,
            svc.clock,
            actor,
            "questionnaire.record",
            ActionCode.CREATE,
            patient_id=patient_id,
            resource_type="ScaleResponse",
            resource_id=str(response.id),
            detail=f"{result.rules.id} {result.rules.version}",
        )
        _audit_urgent(uow, svc, actor, response)
        uow.commit()
    return response


def _require_reader(actor: Actor) -> None:
    """Answers are read by those who record them or read outcomes (both clinical today)."""
    if actor.role is None or can(actor.role, Permission.QUESTIONNAIRE_RECORD):
        return
    require(actor, Permission.OUTCOMES_READ)


def list_responses(svc: AppServices, actor: Actor, patient_id: UUID) -> list[ScaleResponse]:
    """The patient's answered questionnaires, newest first (audited as a read)."""
    _require_reader(actor)
    with svc.uow_factory() as uow:
        _patient_or_404(uow, patient_id)
        responses = uow.questionnaires.list_responses(patient_id)
        record_audit(
            uow, svc.clock, actor, "questionnaire.read", ActionCode.READ, patient_id=patient_id, resource_type="Scale"
        )
        uow.commit()
    return list(reversed(responses))


def latest_by_instrument(responses: Sequence[ScaleResponse]) -> dict[str, ScaleResponse]:
    """The newest response of each instrument (``responses`` in any order)."""
    latest: dict[str, ScaleResponse] = {}
    for response in sorted(responses, key=lambda r: r.answered_at_utc):
        latest[response.instrument] = response
    return latest


# --- one-time links ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A new link and its one-time URL path (``/q/<token>``): the only moment the token exists outside the URL."""

    link: QuestionnaireLink
    path: str
    delivery_id: str = ""
    channel: str = ""


def _check_hours(valid_for_hours: object) -> timedelta:
    if valid_for_hours is None or valid_for_hours == "":
        return timedelta(hours=LINK_VALID_FOR_HOURS_DEFAULT)
    try:
        hours = float(str(valid_for_hours))
    except ValueError:
        hours = -1.0
    if not 0 < hours <= LINK_VALID_FOR_HOURS_MAX:
        raise InputError(
            "valid_for_hours", f"a number of hours above 0 and at most {LINK_VALID_FOR_HOURS_MAX}", valid_for_hours
        )
    return timedelta(hours=hours)


def _check_link_instruments(instruments: Sequence[str]) -> tuple[str, ...]:
    allowed = [scale.id for scale in link_instruments()]
    for index, instrument in enumerate(instruments):
        if instrument not in allowed:
            raise InputError(
                f"instruments[{index}]",
                "a questionnaire the patient answers with its own wording (one of " + ", ".join(allowed) + ")",
                instrument,
            )
    return tuple(instruments)


def create_link(
    svc: AppServices, actor: Actor, patient_id: UUID, instruments: Sequence[str], valid_for_hours: object = None
) -> IssuedLink:
    """Make a one-time link for the patient to answer ``instruments`` (default 72 h, at most 7 days)."""
    require(actor, Permission.QUESTIONNAIRE_SEND)
    with svc.uow_factory() as uow:
        issued = _issue(svc, uow, actor, patient_id, instruments, valid_for_hours)
        uow.commit()
    return issued


def _issue(
    svc: AppServices,
    uow: UnitOfWork,
    actor: Actor,
    patient_id: UUID,
    instruments: Sequence[str],
    valid_for_hours: object,
) -> IssuedLink:
    checked = _check_link_instruments(instruments)
    valid_for = _check_hours(valid_for_hours)
    token = new_token()
    link = QuestionnaireLink.create(
        patient_id=patient_id,
        instruments=checked,
        token_sha256=token_digest(token),
        created_at_utc=svc.clock.now(),
        created_by=actor.username,
        valid_for=valid_for,
        max_valid_for=timedelta(hours=LINK_VALID_FOR_HOURS_MAX),
    )
    _patient_or_404(uow, patient_id)
    uow.questionnaires.add_link(link)
    record_audit(
        uow,
        svc.clock,
        actor,
        "questionnaire.link_create",
        ActionCode.CREATE,
        patient_id=patient_id,
        resource_type="QuestionnaireLink",
        resource_id=str(link.id),
        detail=f"{' '.join(checked)}; expires {link.expires_at_utc.isoformat()}",
    )
    return IssuedLink(link=link, path=LINK_PATH_PREFIX + token)


def send_link(
    svc: AppServices,
    actor: Actor,
    patient_id: UUID,
    instruments: Sequence[str],
    valid_for_hours: object = None,
    *,
    channel: str,
    base_url: str,
) -> IssuedLink:
    """Make a link and send it by e-mail or SMS to the address or phone on the patient's record (audited)."""
    require(actor, Permission.QUESTIONNAIRE_SEND)
    if channel not in DELIVERY_CHANNELS:
        raise InputError("delivery", "email or sms", channel)
    with svc.uow_factory() as uow:
        current = uow.patients.latest(patient_id)
        if current is None:
            raise NotFound("patient", patient_id)
        to = current.details.email if channel == "email" else current.details.phone
        if not to:
            what = "an e-mail address" if channel == "email" else "a phone number"
            raise InputError("delivery", f"{what} on the patient's record (correct the details first)")
        issued = _issue(svc, uow, actor, patient_id, instruments, valid_for_hours)
        body = (
            f"{svc.clinic_name} asks you to answer a short questionnaire before your next visit. "
            f"This link works once: {base_url.rstrip('/')}{issued.path}\n"
            f"Questions? Call {svc.clinic_phone}."
        )
        delivery = svc.sender.send(to, f"{svc.clinic_name}: your questionnaire", body)
        record_audit(
            uow,
            svc.clock,
            actor,
            "questionnaire.link_send",
            ActionCode.EXECUTE,
            patient_id=patient_id,
            resource_type="QuestionnaireLink",
            resource_id=str(issued.link.id),
            detail=f"{channel} via {svc.sender.name}, delivery {delivery}",
        )
        uow.commit()
    return IssuedLink(link=issued.link, path=issued.path, delivery_id=delivery, channel=channel)


@dataclass(frozen=True, slots=True)
class LinkPage:
    """Everything the patient's page shows: the clinic, the patient's first name and the questionnaires."""

    clinic_name: str
    first_name: str
    scales: tuple[Scale, ...]


def _open(svc: AppServices, uow: UnitOfWork, token: str) -> QuestionnaireLink:
    """The link if it is open now; LinkRefused (unknown, expired or used) otherwise."""
    link = uow.questionnaires.get_link_by_token(token_digest(token)) if token else None
    if link is None:
        raise LinkRefused("unknown")
    state = link.state_at(svc.clock.now())
    if state is not LinkState.OPEN:
        raise LinkRefused(state.value, link)
    return link


def _audit_refusal(svc: AppServices, refused: LinkRefused, source_address: str) -> None:
    """Record a refused link in its own transaction (the one that refused it rolls back)."""
    link = refused.link
    with svc.uow_factory() as uow:
        record_audit(
            uow,
            svc.clock,
            _link_actor(source_address),
            "questionnaire.link_refused",
            ActionCode.READ,
            outcome=AuditOutcome.DENIED,
            patient_id=None if link is None else link.patient_id,
            resource_type="QuestionnaireLink",
            resource_id="" if link is None else str(link.id),
            detail=refused.reason,
        )
        uow.commit()


def open_link(svc: AppServices, token: str, *, source_address: str = "") -> LinkPage:
    """What a patient sees on opening their link; LinkRefused if it is unknown, expired or used."""
    try:
        return _open_page(svc, token, source_address)
    except LinkRefused as refused:
        _audit_refusal(svc, refused, source_address)
        raise


def _open_page(svc: AppServices, token: str, source_address: str) -> LinkPage:
    with svc.uow_factory() as uow:
        link = _open(svc, uow, token)
        current = uow.patients.latest(link.patient_id)
        if current is None:  # a link is only made for a registered patient, and patients are never deleted
            raise LinkRefused("unknown")
        record_audit(
            uow,
            svc.clock,
            _link_actor(source_address),
            "questionnaire.link_open",
            ActionCode.READ,
            patient_id=link.patient_id,
            resource_type="QuestionnaireLink",
            resource_id=str(link.id),
        )
        uow.commit()
    library = load_scale_library()
    given = current.details.given_names.split()
    return LinkPage(
        clinic_name=svc.clinic_name,
        first_name=given[0] if given else "",
        scales=tuple(library.get(instrument) for instrument in link.instruments),
    )


@dataclass(frozen=True, slots=True)
class LinkSubmission:
    """What the patient is told after answering: thanks, and (if a flag is urgent) whom to call now."""

    clinic_name: str
    clinic_phone: str
    urgent: bool


def submit_link(
    svc: AppServices, token: str, answers_by_instrument: Mapping[str, object], *, source_address: str = ""
) -> LinkSubmission:
    """Score every questionnaire of the link, store the answers and the link's use in one transaction.

    An unknown, expired or used link raises LinkRefused; a missing or wrong answer raises InputError(s) naming
    ``<instrument>.<item>``. Either way nothing is stored. Two submissions at once: one wins, the other is refused.
    """
    try:
        return _submit(svc, token, answers_by_instrument, source_address)
    except LinkRefused as refused:
        _audit_refusal(svc, refused, source_address)
        raise


def _submit(
    svc: AppServices, token: str, answers_by_instrument: Mapping[str, object], source_address: str
) -> LinkSubmission:
    library = load_scale_library()
    with svc.uow_factory() as uow:
        link = _open(svc, uow, token)
        unknown = sorted(set(answers_by_instrument) - set(link.instruments))
        if unknown:
            raise InputError(unknown[0], "one of this link's questionnaires: " + ", ".join(link.instruments))
        now = svc.clock.now()
        errors: list[InputError] = []
        results: list[ScaleResult] = []
        for instrument in link.instruments:
            try:
                results.append(
                    score_checked(library.get(instrument), answers_by_instrument.get(instrument, {}), instrument)
                )
            except InputErrors as exc:
                errors.extend(exc.errors)
            except InputError as exc:
                errors.append(exc)
        if errors:
            raise InputErrors(errors)
        try:
            uow.questionnaires.add_link_use(link.id, now)  # the unique use: a racing second submission fails here
        except Conflict:
            raise LinkRefused(LinkState.USED.value, link) from None
        actor = _link_actor(source_address)
        responses = [
            ScaleResponse.from_result(
                result,
                patient_id=link.patient_id,
                respondent=Respondent.PATIENT,
                answered_at_utc=now,
                recorded_by=link.recorded_by,
                link_id=link.id,
            )
            for result in results
        ]
        for response in responses:
            uow.questionnaires.add_response(response)
            record_audit(
                uow,
                svc.clock,
                actor,
                "questionnaire.link_submit",
                ActionCode.CREATE,
                patient_id=link.patient_id,
                resource_type="ScaleResponse",
                resource_id=str(response.id),
                detail=f"link {link.id}; {response.rules.id} {response.rules.version}",
            )
            _audit_urgent(uow, svc, actor, response)
        uow.commit()
    return LinkSubmission(
        clinic_name=svc.clinic_name,
        clinic_phone=svc.clinic_phone,
        urgent=any(response.urgent for response in responses),
    )


def list_links(svc: AppServices, actor: Actor, patient_id: UUID) -> list[QuestionnaireLink]:
    """The patient's links, newest first, with whether each was used (never the token)."""
    require(actor, Permission.QUESTIONNAIRE_SEND)
    with svc.uow_factory() as uow:
        _patient_or_404(uow, patient_id)
        return uow.questionnaires.list_links(patient_id)


# --- trajectory ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstrumentTrajectory:
    """One instrument's totals over time, the infusion start times, and the outcome where one is defined."""

    instrument: str
    title: str
    max_total: int
    points: tuple[ScorePoint, ...]
    infusion_times: tuple[datetime, ...]
    outcome: PatientOutcome | None


def list_started_sessions(uow: UnitOfWork, patient_id: UUID) -> list[tuple[datetime, InfusionSession]]:
    """The patient's infusions (sessions that started) with their start, in start order, as each log says after
    any correction (also read by the clinic outcomes report)."""
    started: list[tuple[datetime, InfusionSession]] = []
    for indexed in uow.infusions.list_patient_sessions(patient_id):
        session = InfusionSession(uow.infusions.load_events(indexed.session_id))
        if session.started_at_utc is not None:
            started.append((session.started_at_utc, session))
    return sorted(started, key=lambda pair: pair[0])


def _infusion_times(uow: UnitOfWork, patient_id: UUID) -> tuple[datetime, ...]:
    """When each of the patient's infusions started, as the session's log says after any correction."""
    return tuple(started for started, _ in list_started_sessions(uow, patient_id))


def score_points(responses: Sequence[ScaleResponse], instrument: str) -> tuple[ScorePoint, ...]:
    """One instrument's totals in time order (responses without a total, e.g. a triage screener, left out)."""
    return tuple(
        sorted(
            (p for r in responses if r.instrument == instrument and (p := r.score_point) is not None),
            key=lambda point: point.at,
        )
    )


def _trajectories(responses: Sequence[ScaleResponse], infusions: tuple[datetime, ...]) -> list[InstrumentTrajectory]:
    library = load_scale_library()
    definitions = load_outcome_definitions()
    trajectories: list[InstrumentTrajectory] = []
    for instrument in sorted({r.instrument for r in responses if r.total is not None}):
        points = score_points(responses, instrument)
        outcome = (
            evaluate_patient_outcome(definitions, instrument=instrument, scores=points, infusion_times=infusions)
            if instrument in definitions.instruments
            else None
        )
        scale = library.get(instrument)
        trajectories.append(
            InstrumentTrajectory(
                instrument=instrument,
                title=scale.title,
                max_total=scale.max_total,
                points=points,
                infusion_times=infusions,
                outcome=outcome,
            )
        )
    return trajectories


def patient_trajectory(svc: AppServices, actor: Actor, patient_id: UUID) -> list[InstrumentTrajectory]:
    """Per instrument with a numeric total: the score points, the infusion days and the latest outcome."""
    return get_questionnaire_overview(svc, actor, patient_id).trajectories


@dataclass(frozen=True, slots=True)
class QuestionnaireOverview:
    """What the patient page shows: every response (newest first) and each instrument's trajectory."""

    responses: list[ScaleResponse]
    trajectories: list[InstrumentTrajectory]

    @property
    def latest(self) -> dict[str, ScaleResponse]:
        return latest_by_instrument(self.responses)

    @property
    def urgent(self) -> list[ScaleResponse]:
        """The latest response of each questionnaire, where it carries an urgent flag."""
        return [response for response in self.latest.values() if response.urgent]


def get_questionnaire_overview(svc: AppServices, actor: Actor, patient_id: UUID) -> QuestionnaireOverview:
    """The patient's answers and trajectories (audited as one read of the questionnaires)."""
    _require_reader(actor)
    with svc.uow_factory() as uow:
        _patient_or_404(uow, patient_id)
        responses = uow.questionnaires.list_responses(patient_id)
        infusions = _infusion_times(uow, patient_id)
        record_audit(
            uow, svc.clock, actor, "questionnaire.read", ActionCode.READ, patient_id=patient_id, resource_type="Scale"
        )
        uow.commit()
    return QuestionnaireOverview(responses=list(reversed(responses)), trajectories=_trajectories(responses, infusions))
