"""``/api/v1/qa/evaluations``: score a call, read evaluations, finish a draft, preview a score.

Thin: apps/qa/services/evaluations.py validates the answers (400 ``invalid`` with
``answers.<i>.value``-style field names; nothing written) and decides who may score or change
what; apps/qa/selectors/evaluations.py decides who reads what (agents: their own submitted
evaluations only; supervisors: their teams'; QA and administrators: all). An evaluation a user
may not read is a 404, as one that does not exist. Scores are JSON numbers rounded to 2
decimals (apps/qa/scoring.py ``display``), null when nothing is scorable.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.pagination import Pagination
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError, NotFoundError
from apps.qa import scoring
from apps.qa.choices import EvaluationKind, EvaluationStatus, QuestionKind
from apps.qa.models import Assignment, CalibrationSession, Evaluation, Scorecard
from apps.qa.selectors.evaluations import EVALUATION_READ_ROLES, evaluation_for, evaluation_list
from apps.qa.selectors.scorecards import scorecard_sections
from apps.qa.services.evaluations import (
    EVALUATOR_ROLES,
    TEAM_EVALUATOR_ROLES,
    evaluation_preview,
    evaluation_save,
)
from apps.reports.api.kpis import MomentField
from apps.telephony.selectors.calls import calls_visible_to

WRITE_ROLES = (*EVALUATOR_ROLES, *TEAM_EVALUATOR_ROLES)


def _score(value) -> float | None:
    shown = scoring.display(None if value is None else Decimal(value))
    return None if shown is None else float(shown)


def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.get_full_name() or user.email}


def _moment(value) -> str | None:
    return value.isoformat() if value else None


def evaluation_data(evaluation: Evaluation, *, detail: bool = False, sections: list | None = None) -> dict:
    """An evaluation as the API gives it; ``detail`` adds answers and comments. ``sections``: the
    scorecard's (:func:`scorecard_sections`), when the caller already has them."""
    stored = evaluation.section_scores or {}
    if sections is None:
        sections = scorecard_sections(evaluation.scorecard)
    data: dict = {
        "id": evaluation.pk,
        "call": evaluation.call.uid,
        "scorecard": {
            "id": evaluation.scorecard_id,
            "name": evaluation.scorecard.name,
            "version": evaluation.scorecard.version,
        },
        "agent": _person(evaluation.agent),
        "evaluator": _person(evaluation.evaluator),
        "kind": evaluation.kind,
        "status": evaluation.status,
        "score": _score(evaluation.score),
        "critical_failed": evaluation.critical_failed,
        "sections": [
            {"id": s.pk, "title": s.title, "weight": float(s.weight), "score": _score(stored.get(str(s.pk)))}
            for s in sections
        ],
        "created_at": _moment(evaluation.created_at),
        "updated_at": _moment(evaluation.updated_at),
        "submitted_at": _moment(evaluation.submitted_at),
        "acknowledged_at": _moment(evaluation.acknowledged_at),
    }
    if not detail:
        return data
    questions = {q.pk: q for s in sections for q in s.questions.all()}
    answers = []
    failed = []
    for answer in evaluation.answers.all():
        question = questions.get(answer.question_id)
        if question is None:
            continue
        value: bool | float | None = None
        if not answer.na and answer.earned is not None:
            if question.kind == QuestionKind.YES_NO:
                value = answer.earned > 0
            else:
                value = int(answer.earned) if answer.earned == int(answer.earned) else float(answer.earned)
            if question.critical != "none" and answer.earned == 0:
                failed.append(question.pk)
        answers.append(
            {
                "question": answer.question_id,
                "value": value,
                "na": answer.na,
                "earned": None if answer.earned is None else float(answer.earned),
                "note": answer.note,
            }
        )
    data.update(
        {
            "summary": evaluation.summary,
            "answers": answers,
            "failed_questions": failed,
            "comments": [
                {
                    "id": c.pk,
                    "at_seconds": c.at_seconds,
                    "text": c.text,
                    "author": _person(c.author),
                    "created_at": _moment(c.created_at),
                }
                for c in evaluation.comments.select_related("author").order_by("at_seconds", "id")
            ],
            "assignment": evaluation.assignment_id,
            "calibration": evaluation.calibration_id,
        }
    )
    return data


def _body(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _flag(body: dict, name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise ApplicationError("invalid", _("Give true or false."), fields={name: [_("Give true or false.")]})
    return value


def _row(model, body: dict, name: str, message: str):
    """The row whose id is ``body[name]`` (None when absent), or a 400 on that field."""
    raw = body.get(name)
    if raw is None:
        return None
    row = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        row = model.objects.filter(pk=raw).first()
    if row is None:
        raise ApplicationError("invalid", message, fields={name: [message]})
    return row


class EvaluationListView(APIView):
    permission_classes = [HasRole.of(*WRITE_ROLES, read=EVALUATION_READ_ROLES)]

    @extend_schema(
        parameters=[
            OpenApiParameter("agent", OpenApiTypes.INT, description="The agent's user id."),
            OpenApiParameter("evaluator", OpenApiTypes.INT, description="The evaluator's user id."),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Submitted at or after (drafts: created)."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Submitted before (exclusive)."),
            OpenApiParameter("status", OpenApiTypes.STR, enum=EvaluationStatus.values),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=EvaluationKind.values),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        """The evaluations you may read, newest first (paginated)."""
        params = _ListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        evaluations = evaluation_list(user=request.user, **params.validated_data)
        paginator = Pagination()
        page = paginator.paginate_queryset(evaluations, request, view=self) or []
        forms: dict[int, list] = {}  # one read of each scorecard's sections per page
        for evaluation in page:
            if evaluation.scorecard_id not in forms:
                forms[evaluation.scorecard_id] = scorecard_sections(evaluation.scorecard)
        return paginator.get_paginated_response([evaluation_data(e, sections=forms[e.scorecard_id]) for e in page])

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """Score a call: ``{"call": "<uid>", "scorecard": id, "answers": [{"question": id,
        "value": true|false|number} | {"question": id, "na": true}], "comments": [{"at_seconds",
        "text"}], "summary", "submit": true, "assignment": id}`` → 201 with ``id``, ``score``,
        ``sections`` [{``id``, ``score``}], ``critical_failed``, ``status`` and the rest of the
        evaluation. Without ``submit`` it is a draft (answers may be partial)."""
        body = _body(request)
        uid = body.get("call")
        readable = isinstance(uid, str) and uid and "\x00" not in uid
        call = calls_visible_to(request.user).filter(uid=uid).first() if readable else None
        if call is None:
            message = _("No such call.")
            raise ApplicationError("invalid", message, fields={"call": [message]})
        scorecard = _row(Scorecard, body, "scorecard", _("No such scorecard."))
        if scorecard is None:
            message = _("This field is required.")
            raise ApplicationError("invalid", message, fields={"scorecard": [message]})
        evaluation = evaluation_save(
            actor=request.user,
            call=call,
            scorecard=scorecard,
            answers=body.get("answers") or [],
            comments=body.get("comments") or [],
            summary=body.get("summary") or "",
            submit=_flag(body, "submit"),
            assignment=_row(Assignment, body, "assignment", _("No such assignment.")),
            calibration=_row(CalibrationSession, body, "calibration", _("No such calibration session.")),
        )
        return Response(evaluation_data(evaluation, detail=True), status=status.HTTP_201_CREATED)


class _ListParams(serializers.Serializer):
    agent = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    evaluator = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    since = MomentField(required=False)
    until = MomentField(required=False)
    status = serializers.ChoiceField(choices=EvaluationStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=EvaluationKind.choices, required=False)

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": [_("until must be after since.")]})
        return attrs


def _evaluation(request, pk: int) -> Evaluation:
    evaluation = evaluation_for(user=request.user, pk=pk)
    if evaluation is None:
        raise NotFoundError("not_found", _("No such evaluation."))
    return evaluation


class EvaluationDetailView(APIView):
    permission_classes = [HasRole.of(*WRITE_ROLES, read=EVALUATION_READ_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        """One evaluation with its answers, comments and section scores."""
        return Response(evaluation_data(_evaluation(request, pk), detail=True))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, pk: int):
        """Continue a draft or correct an evaluation: any of ``answers`` (the full set),
        ``comments`` (the full list), ``summary``, ``submit``, ``reason`` (kept with the revision
        when a submitted evaluation changes). The evaluator changes their draft, and their
        submitted evaluation until the agent acknowledges or disputes it; a QA lead or an
        administrator at any time."""
        body = _body(request)
        evaluation = _evaluation(request, pk)
        reason = body.get("reason") or ""
        if not isinstance(reason, str):
            raise ApplicationError("invalid", _("Give text."), fields={"reason": [_("Give text.")]})
        evaluation = evaluation_save(
            actor=request.user,
            call=evaluation.call,
            scorecard=evaluation.scorecard,
            evaluation=evaluation,
            answers=body.get("answers"),
            comments=body.get("comments"),
            summary=body.get("summary"),
            submit=_flag(body, "submit"),
            reason=reason,
        )
        return Response(evaluation_data(evaluation, detail=True))


class EvaluationPreviewView(APIView):
    permission_classes = [HasRole.of(*WRITE_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        """The score ``{"scorecard": id, "answers": [...]}`` would give, validated as a save is;
        nothing is saved. ``{"score", "sections": [{"id", "score"}], "critical_failed",
        "failed_questions"}``."""
        body = _body(request)
        scorecard = _row(Scorecard, body, "scorecard", _("No such scorecard."))
        if scorecard is None:
            message = _("This field is required.")
            raise ApplicationError("invalid", message, fields={"scorecard": [message]})
        result = evaluation_preview(scorecard=scorecard, answers=body.get("answers") or [])
        return Response(
            {
                "score": _score(result.score),
                "sections": [{"id": sid, "score": _score(value)} for sid, value in result.sections.items()],
                "critical_failed": result.critical_failed,
                "failed_questions": list(result.failed_questions),
            }
        )
