"""Reading calibration sessions: who may see which, who has scored, and the session's figures.

The figures themselves are apps/qa/calibration.py; this module only turns rows into its plain
inputs. Calibration evaluations are ``Evaluation`` rows of kind ``calibration``; a session counts
the *submitted* ones (a draft is work in progress), the latest per evaluator.

Visibility: QA leads and administrators see every session; a QA analyst sees the sessions they
take part in; nobody else (agents, supervisors) sees any — a calibration evaluation is about the
evaluator, not the agent, and never reaches the agent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.core.errors import NotFoundError
from apps.qa import calibration, scoring
from apps.qa.choices import BenchmarkMode, CalibrationStatus, EvaluationKind, EvaluationStatus
from apps.qa.models import Answer, CalibrationSession, Evaluation, Question, Section

MANAGE_ROLES = (Role.TENANT_ADMIN, Role.QA_LEAD)
EVALUATOR_ROLES = (Role.QA, Role.QA_LEAD)
VIEW_ROLES = (Role.TENANT_ADMIN, Role.QA_LEAD, Role.QA)

PROGRESS_NOT_STARTED, PROGRESS_DRAFT, PROGRESS_SUBMITTED = "not_started", "draft", "submitted"


def can_manage(user) -> bool:
    """Create and close sessions, read every session."""
    return bool(user and user.is_authenticated and user.has_role(*MANAGE_ROLES))


def calibrations_visible_to(user) -> QuerySet[CalibrationSession]:
    sessions = CalibrationSession.objects.select_related("call", "scorecard", "created_by").order_by(
        "-created_at", "-id"
    )
    if not (user and user.is_authenticated):
        return sessions.none()
    if user.has_role(*MANAGE_ROLES):
        return sessions
    if user.has_role(Role.QA):
        return sessions.filter(participants=user)
    return sessions.none()


def calibration_for(*, user, pk: Any) -> CalibrationSession:
    """The session if ``user`` may see it; 404 otherwise (never say that it exists)."""
    try:
        session = calibrations_visible_to(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        session = None
    if session is None:
        raise NotFoundError("not_found", _("No such calibration session."))
    return session


def _submitted(session: CalibrationSession) -> QuerySet[Evaluation]:
    return (
        Evaluation.objects.filter(calibration=session, kind=EvaluationKind.CALIBRATION)
        .exclude(status=EvaluationStatus.DRAFT)
        .select_related("evaluator")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.order_by("id")))
        .order_by("submitted_at", "id")
    )


def submitted_by_evaluator(session: CalibrationSession) -> dict[int, Evaluation]:
    """Each evaluator's latest submitted calibration evaluation of the session, by user id."""
    latest: dict[int, Evaluation] = {}
    for evaluation in _submitted(session):
        if evaluation.evaluator_id is not None:
            latest[evaluation.evaluator_id] = evaluation  # ordered by submission: the last one wins
    return latest


def calibration_progress(session: CalibrationSession) -> list[dict[str, Any]]:
    """Per participant (by name): not started, draft or submitted, and the evaluation's id."""
    submitted = submitted_by_evaluator(session)
    drafts = dict(
        Evaluation.objects.filter(
            calibration=session, kind=EvaluationKind.CALIBRATION, status=EvaluationStatus.DRAFT
        ).values_list("evaluator_id", "id")
    )
    rows = []
    for user in session.participants.order_by("name", "email"):
        evaluation = submitted.get(user.pk)
        if evaluation is not None:
            state, evaluation_id = PROGRESS_SUBMITTED, evaluation.pk
        elif user.pk in drafts:
            state, evaluation_id = PROGRESS_DRAFT, drafts[user.pk]
        else:
            state, evaluation_id = PROGRESS_NOT_STARTED, None
        rows.append({"user": user, "state": state, "evaluation_id": evaluation_id})
    return rows


def answers_of(evaluation: Evaluation) -> dict[int, Decimal | None]:
    """An evaluation's answers as the figures take them (question id → earned, None for N/A)."""
    return {
        answer.question_id: None if answer.na or answer.earned is None else Decimal(answer.earned)
        for answer in evaluation.answers.all()
    }


def session_questions(session: CalibrationSession) -> list[Question]:
    """The scorecard version's questions in form order, each with its section."""
    return list(
        Question.objects.filter(section__scorecard_id=session.scorecard_id)
        .select_related("section")
        .order_by("section__position", "section_id", "position", "id")
    )


def lead_benchmark(session: CalibrationSession, submitted: dict[int, Evaluation]) -> Evaluation | None:
    """Lead mode's benchmark: the one set on the session (at close), else the lead's own (the
    session's creator's) submitted calibration evaluation."""
    if session.benchmark_evaluation_id is not None:
        for evaluation in submitted.values():
            if evaluation.pk == session.benchmark_evaluation_id:
                return evaluation
        return _submitted(session).filter(pk=session.benchmark_evaluation_id).first()
    if session.created_by_id is not None:
        return submitted.get(session.created_by_id)
    return None


@dataclass
class EvaluatorRow:
    user: Any
    evaluation: Evaluation
    alignment: Decimal | None  # 0..1
    questions: dict[int, Decimal]  # question id → alignment 0..1
    score: Decimal | None


@dataclass
class QuestionRow:
    question: Question
    benchmark: Decimal | None  # the benchmark's answer (None: N/A)
    alignment: Decimal | None  # mean over the evaluators, 0..1


@dataclass
class CalibrationResults:
    session: CalibrationSession
    benchmark_evaluation: Evaluation | None  # lead mode
    benchmark_score: Decimal | None
    alignment: Decimal | None
    evaluators: list[EvaluatorRow] = field(default_factory=list)
    questions: list[QuestionRow] = field(default_factory=list)


def _specs(questions: Iterable[Question]) -> list[calibration.QuestionSpec]:
    return [calibration.QuestionSpec(id=q.pk, points=Decimal(q.points), weight=Decimal(q.weight)) for q in questions]


def _score(
    session: CalibrationSession, questions: list[Question], answers: dict[int, Decimal | None]
) -> Decimal | None:
    sections = Section.objects.filter(scorecard_id=session.scorecard_id)
    section_specs = [scoring.SectionSpec(id=s.pk, weight=Decimal(s.weight)) for s in sections]
    question_specs = [
        scoring.QuestionSpec(
            id=q.pk, section_id=q.section_id, points=Decimal(q.points), weight=Decimal(q.weight), critical=q.critical
        )
        for q in questions
    ]
    return scoring.score(section_specs, question_specs, answers).score


def calibration_results(session: CalibrationSession) -> CalibrationResults | None:
    """The session's figures against its benchmark, or None while there is no benchmark (lead
    mode before the lead submitted; consensus with no submitted evaluation). The participants
    compared are those who submitted; the lead's benchmark evaluation is never compared with itself."""
    submitted = submitted_by_evaluator(session)
    participant_ids = set(session.participants.values_list("pk", flat=True))
    questions = session_questions(session)
    specs = _specs(questions)
    benchmark_evaluation: Evaluation | None = None
    if session.benchmark_mode == BenchmarkMode.LEAD:
        benchmark_evaluation = lead_benchmark(session, submitted)
        if benchmark_evaluation is None:
            return None
        compared = {
            user_id: evaluation
            for user_id, evaluation in submitted.items()
            if user_id in participant_ids and evaluation.pk != benchmark_evaluation.pk
        }
        benchmark = answers_of(benchmark_evaluation)
        benchmark_score = benchmark_evaluation.score
    else:
        compared = {user_id: evaluation for user_id, evaluation in submitted.items() if user_id in participant_ids}
        if not compared:
            return None
        benchmark = calibration.consensus(specs, [answers_of(evaluation) for evaluation in compared.values()])
        benchmark_score = _score(session, questions, benchmark)
    result = calibration.session_result(
        specs, benchmark, {user_id: answers_of(evaluation) for user_id, evaluation in compared.items()}
    )
    evaluators = [
        EvaluatorRow(
            user=evaluation.evaluator,
            evaluation=evaluation,
            alignment=result.evaluators[user_id].alignment,
            questions=result.evaluators[user_id].questions,
            score=evaluation.score,
        )
        for user_id, evaluation in compared.items()
    ]
    evaluators.sort(key=lambda row: (row.user.name or row.user.email).lower())
    return CalibrationResults(
        session=session,
        benchmark_evaluation=benchmark_evaluation,
        benchmark_score=benchmark_score,
        alignment=result.alignment,
        evaluators=evaluators,
        questions=[
            QuestionRow(question=q, benchmark=result.benchmark.get(q.pk), alignment=result.questions.get(q.pk))
            for q in questions
        ],
    )


def closed_alignments(
    *, since: datetime, until: datetime, evaluator_ids: Iterable[int] | None = None
) -> list[tuple[CalibrationSession, dict[int, Decimal]]]:
    """Each session closed in [since, until) with its evaluators' alignments (user id → 0..1):
    what the "evaluator alignment over time" report reads."""
    wanted = set(evaluator_ids) if evaluator_ids else None
    sessions = (
        CalibrationSession.objects.filter(status=CalibrationStatus.CLOSED, closed_at__gte=since, closed_at__lt=until)
        .select_related("scorecard")
        .order_by("closed_at", "id")
    )
    out = []
    for session in sessions:
        results = calibration_results(session)
        if results is None:
            continue
        alignments = {
            row.user.pk: row.alignment
            for row in results.evaluators
            if row.alignment is not None and (wanted is None or row.user.pk in wanted)
        }
        if alignments:
            out.append((session, alignments))
    return out


def calibration_scoring_error(*, actor, session: CalibrationSession) -> str | None:
    """Why ``actor`` may not save a calibration evaluation on ``session`` (None: they may). The
    evaluation service asks this before saving one: only while the session is open, and only its
    participants and its lead (the creator) score it."""
    if session.status != CalibrationStatus.OPEN:
        return _("This calibration session is closed.")
    allowed = set(session.participants.values_list("pk", flat=True))
    if session.created_by_id is not None:
        allowed.add(session.created_by_id)
    if actor is None or actor.pk not in allowed:
        return _("You do not take part in this calibration session.")
    return None


def workspace_url(session: CalibrationSession) -> str:
    """Where a participant scores the session's call: the evaluation workspace
    (apps/qa/urls/evaluations.py) with the session's scorecard and ``calibration=<id>``, which
    saves the evaluation as a calibration one."""
    path = reverse("qa:evaluate", args=[session.call.uid])
    return f"{path}?{urlencode({'scorecard': session.scorecard_id, 'calibration': session.pk})}"
