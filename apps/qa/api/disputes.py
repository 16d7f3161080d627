"""The agent's answer to an evaluation and the leads' arbitration under /api/v1/qa/.

- ``POST qa/evaluations/{id}/acknowledge`` and ``POST qa/evaluations/{id}/dispute`` — the agent
  the evaluation is about (an evaluation they cannot read is a 404; one they read but is not
  theirs, a 403);
- ``GET qa/disputes?status=&agent=`` and ``GET qa/disputes/{id}`` — whoever reads the evaluation;
- ``POST qa/disputes/{id}/accept`` (new answers of disputed questions, note) and ``…/reject``
  (note) — a QA lead or an administrator who did not score the evaluation.

Thin: the rules are apps/qa/services/disputes.py's; bad input is a 400 ``invalid`` with field
messages and changes nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.core.api.pagination import Pagination
from apps.core.api.permissions import HasRole
from apps.core.errors import NotFoundError
from apps.qa import scoring
from apps.qa.api.evaluations import evaluation_data
from apps.qa.choices import DisputeStatus
from apps.qa.models import Dispute, Evaluation
from apps.qa.selectors.disputes import dispute_for, dispute_list
from apps.qa.selectors.evaluations import EVALUATION_READ_ROLES, evaluation_for
from apps.qa.services.disputes import (
    ARBITRATOR_ROLES,
    dispute_accept,
    dispute_deadline,
    dispute_raise,
    dispute_reject,
    evaluation_acknowledge,
)


def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.get_full_name() or user.email}


def _moment(value) -> str | None:
    return value.isoformat() if value else None


def _score(value) -> float | None:
    shown = scoring.display(value)
    return None if shown is None else float(shown)


def _body(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _evaluation(request, pk: int) -> Evaluation:
    evaluation = evaluation_for(user=request.user, pk=pk)
    if evaluation is None:
        raise NotFoundError("not_found", _("No such evaluation."))
    return evaluation


def _dispute(request, pk: int) -> Dispute:
    dispute = dispute_for(user=request.user, pk=pk)
    if dispute is None:
        raise NotFoundError("not_found", _("No such dispute."))
    return dispute


def dispute_data(dispute: Dispute, *, evaluation: bool = True) -> dict:
    """A dispute as the API gives it; ``evaluation`` adds the evaluation's summary and scores."""
    data: dict = {
        "id": dispute.pk,
        "evaluation_id": dispute.evaluation_id,
        "status": dispute.status,
        "reason": dispute.reason,
        "items": [
            {"question": item.question_id, "text": item.question.text, "reason": item.reason}
            for item in dispute.items.select_related("question").order_by("id")
        ],
        "raised_by": _person(dispute.raised_by),
        "raised_at": _moment(dispute.raised_at),
        "decided_by": _person(dispute.decided_by),
        "decided_at": _moment(dispute.decided_at),
        "decision_note": dispute.decision_note,
    }
    if evaluation:
        data["evaluation"] = evaluation_data(dispute.evaluation)
    else:
        row = dispute.evaluation
        data["evaluation"] = {
            "id": row.pk,
            "call": row.call.uid,
            "agent": _person(row.agent),
            "evaluator": _person(row.evaluator),
            "score": _score(row.score),
            "status": row.status,
        }
    return data


def _acknowledged(evaluation: Evaluation) -> dict:
    data = evaluation_data(evaluation)
    deadline = dispute_deadline(evaluation)
    data["dispute_until"] = _moment(deadline)
    return data


class EvaluationAcknowledgeView(APIView):
    permission_classes = [HasRole.of(Role.AGENT)]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """The agent acknowledges their evaluation (again: unchanged, 200). Refused while a dispute
        of it is open (400 ``invalid_state``)."""
        evaluation = evaluation_acknowledge(evaluation=_evaluation(request, pk), actor=request.user)
        return Response(_acknowledged(Evaluation.objects.get(pk=evaluation.pk)))


class EvaluationDisputeView(APIView):
    permission_classes = [HasRole.of(Role.AGENT)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """``{"reason", "items": [{"question", "reason"}]}``: the agent disputes questions of their
        evaluation within the tenant's dispute window (after it: 400 ``dispute_window_closed``)."""
        body = _body(request)
        dispute = dispute_raise(
            evaluation=_evaluation(request, pk),
            actor=request.user,
            reason=body.get("reason"),
            items=body.get("items"),
        )
        return Response(dispute_data(dispute), status=status.HTTP_201_CREATED)


class _ListParams(serializers.Serializer):
    status = serializers.ChoiceField(choices=DisputeStatus.choices, required=False)
    agent = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class DisputeListView(APIView):
    permission_classes = [HasRole.of(*EVALUATION_READ_ROLES)]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(DisputeStatus.values)),
            OpenApiParameter("agent", OpenApiTypes.INT, description="The agent's user id."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        """The disputes of the evaluations the caller may read: open ones first, then newest first."""
        params = _ListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = dispute_list(
            user=request.user, status=params.validated_data.get("status"), agent=params.validated_data.get("agent")
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([dispute_data(d, evaluation=False) for d in page or []])


class DisputeDetailView(APIView):
    permission_classes = [HasRole.of(*EVALUATION_READ_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        return Response(dispute_data(_dispute(request, pk)))


class DisputeAcceptView(APIView):
    permission_classes = [HasRole.of(*ARBITRATOR_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """``{"answers": [{"question", "value"} | {"question", "na": true}], "note"}``: new answers
        of disputed questions (at least one different); the evaluation is re-scored (its earlier
        answers and score kept as a revision) and becomes final."""
        body = _body(request)
        dispute = dispute_accept(
            dispute=_dispute(request, pk), actor=request.user, answers=body.get("answers"), note=body.get("note", "")
        )
        return Response(dispute_data(Dispute.objects.get(pk=dispute.pk)))


class DisputeRejectView(APIView):
    permission_classes = [HasRole.of(*ARBITRATOR_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """``{"note"}`` (required): the score stands and the evaluation becomes final."""
        dispute = dispute_reject(dispute=_dispute(request, pk), actor=request.user, note=_body(request).get("note"))
        return Response(dispute_data(Dispute.objects.get(pk=dispute.pk)))
