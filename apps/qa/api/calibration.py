"""Calibration sessions under /api/v1/qa/calibrations (issue 14 items 6 and 8).

- ``GET  /qa/calibrations`` — the sessions the caller may see (``?status=open|closed``), paginated;
- ``POST /qa/calibrations`` ``{"title", "call": "<uid>", "scorecard": id, "participants": [user ids],
  "benchmark_mode": "lead"|"consensus", "due_at"?}`` → 201 with the session;
- ``GET  /qa/calibrations/{id}`` — the session, who has scored, and once closed its ``results``
  (per evaluator and per question alignment, percentages 0–100);
- ``POST /qa/calibrations/{id}/close`` ``{"benchmark_evaluation"?: id}`` → 200 with the results.

Thin: apps/qa/services/calibration.py validates (400 ``{"code", "message", "fields"}``, nothing
changes) and apps/qa/selectors/calibration.py decides visibility (an unseen session is a 404).
QA leads and administrators create and close; QA analysts read the sessions they take part in;
agents and supervisors get 403.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.pagination import Pagination
from apps.core.api.permissions import HasRole
from apps.qa import calibration as figures
from apps.qa import scoring
from apps.qa.choices import CalibrationStatus
from apps.qa.models import CalibrationSession
from apps.qa.selectors.calibration import (
    MANAGE_ROLES,
    VIEW_ROLES,
    CalibrationResults,
    calibration_for,
    calibration_progress,
    calibration_results,
    calibrations_visible_to,
    workspace_url,
)
from apps.qa.services.calibration import calibration_close, calibration_create

ManagersWriteEvaluatorsRead = HasRole.of(*MANAGE_ROLES, read=VIEW_ROLES)


def _number(value: Any) -> float | None:
    """A 2-decimal figure as a JSON number (as the evaluations API gives scores)."""
    return None if value is None else float(value)


def _user(user) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.name or user.email}


def session_data(session: CalibrationSession, *, user, progress: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": session.pk,
        "title": session.title,
        "call": session.call.uid,
        "scorecard": session.scorecard_id,
        "scorecard_name": str(session.scorecard),
        "benchmark_mode": session.benchmark_mode,
        "status": session.status,
        "due_at": session.due_at.isoformat() if session.due_at else None,
        "created_by": _user(session.created_by),
        "created_at": session.created_at.isoformat(),
        "closed_at": session.closed_at.isoformat() if session.closed_at else None,
        "benchmark_evaluation": session.benchmark_evaluation_id,
        "evaluate_url": workspace_url(session) if session.status == CalibrationStatus.OPEN else None,
    }
    if progress:
        data["participants"] = [
            {**(_user(row["user"]) or {}), "state": row["state"], "evaluation": row["evaluation_id"]}
            for row in calibration_progress(session)
        ]
    return data


def results_data(results: CalibrationResults | None) -> dict[str, Any] | None:
    if results is None:
        return None
    return {
        "alignment_percent": _number(figures.percent(results.alignment)),
        "benchmark_score": _number(scoring.display(results.benchmark_score)),
        "evaluators": [
            {
                **(_user(row.user) or {}),
                "evaluation": row.evaluation.pk,
                "score": _number(scoring.display(row.score)),
                "alignment_percent": _number(figures.percent(row.alignment)),
                "questions": [
                    {"question": question_id, "alignment_percent": _number(figures.percent(value))}
                    for question_id, value in row.questions.items()
                ],
            }
            for row in results.evaluators
        ],
        "questions": [
            {
                "id": row.question.pk,
                "text": row.question.text,
                "section": row.question.section.title,
                "points": row.question.points,
                "weight": float(row.question.weight),
                "benchmark": {"na": True} if row.benchmark is None else {"value": float(row.benchmark)},
                "alignment_percent": _number(figures.percent(row.alignment)),
            }
            for row in results.questions
        ],
    }


def detail_data(session: CalibrationSession, *, user) -> dict[str, Any]:
    data = session_data(session, user=user)
    # Blind until closed: nobody reads the others' answers (nor the figures) while scoring.
    data["results"] = results_data(calibration_results(session)) if session.status == CalibrationStatus.CLOSED else None
    return data


class CalibrationsView(APIView):
    permission_classes = [ManagersWriteEvaluatorsRead]

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=CalibrationStatus.values)],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        """The sessions the caller may see, newest first."""
        sessions = calibrations_visible_to(request.user)
        wanted = request.query_params.get("status")
        if wanted in CalibrationStatus.values:
            sessions = sessions.filter(status=wanted)
        paginator = Pagination()
        page = paginator.paginate_queryset(sessions, request, view=self)
        return paginator.get_paginated_response(
            [session_data(session, user=request.user, progress=False) for session in page or []]
        )

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """Open a session; 400 names every bad field."""
        data = request.data if isinstance(request.data, dict) else {}
        session = calibration_create(
            actor=request.user,
            title=data.get("title"),
            call=data.get("call"),
            scorecard=data.get("scorecard"),
            participants=data.get("participants"),
            benchmark_mode=data.get("benchmark_mode"),
            due_at=data.get("due_at"),
        )
        return Response(detail_data(session, user=request.user), status=status.HTTP_201_CREATED)


class CalibrationView(APIView):
    permission_classes = [ManagersWriteEvaluatorsRead]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        """The session, who has scored it, and its results once closed."""
        return Response(detail_data(calibration_for(user=request.user, pk=pk), user=request.user))


class CalibrationCloseView(APIView):
    permission_classes = [HasRole.of(*MANAGE_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """Close the session (lead mode: optionally naming the benchmark evaluation)."""
        session = calibration_for(user=request.user, pk=pk)
        data = request.data if isinstance(request.data, dict) else {}
        session = calibration_close(
            actor=request.user, session=session, benchmark_evaluation=data.get("benchmark_evaluation")
        )
        return Response(detail_data(session, user=request.user))
