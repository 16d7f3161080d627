"""``/api/v1/qa/coaching``: coaching sessions — list and plan, read, change, delete, and the agent's
acknowledgement.

Who: QA analysts, QA leads and administrators coach any agent; supervisors the members of their
teams (apps/qa/services/coaching.py); everyone reads the sessions apps/qa/selectors/coaching.py
lets them (an agent their own). A session one may not read is a 404.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.api.pagination import Pagination
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError, NotFoundError
from apps.qa.choices import CoachingStatus
from apps.qa.models import CoachingSession, Evaluation
from apps.qa.selectors.coaching import COACHING_READ_ROLES, coaching_for, coaching_list
from apps.qa.services.coaching import (
    COACH_ROLES,
    coaching_acknowledge,
    coaching_create,
    coaching_delete,
    coaching_update,
)


def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.get_full_name() or user.email}


def coaching_data(session: CoachingSession) -> dict:
    return {
        "id": session.pk,
        "agent": _person(session.agent),
        "coach": _person(session.coach),
        "evaluation": session.evaluation_id,
        "topic": session.topic,
        "notes": session.notes,
        "follow_up_on": session.follow_up_on.isoformat() if session.follow_up_on else None,
        "status": session.status,
        "course_key": session.course_key,
        "created_at": session.created_at.isoformat(),
        "acknowledged_at": session.acknowledged_at.isoformat() if session.acknowledged_at else None,
    }


def _body(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _id_row(model, body: dict, name: str, message: str):
    raw = body.get(name)
    if raw is None:
        return None
    valid = isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw < 2**63
    row = model.objects.filter(pk=raw).first() if valid else None
    if row is None:
        raise ApplicationError("invalid", message, fields={name: [message]})
    return row


def _session(request, pk: int) -> CoachingSession:
    session = coaching_for(user=request.user, pk=pk)
    if session is None:
        raise NotFoundError("not_found", _("No such coaching session."))
    return session


class _ListParams(serializers.Serializer):
    status = serializers.ChoiceField(choices=CoachingStatus.choices, required=False)
    agent = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    coach = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    due = serializers.BooleanField(required=False)


class CoachingListView(APIView):
    permission_classes = [HasRole.of(*COACH_ROLES, read=COACHING_READ_ROLES)]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(CoachingStatus.values)),
            OpenApiParameter("agent", OpenApiTypes.INT),
            OpenApiParameter("coach", OpenApiTypes.INT),
            OpenApiParameter("due", OpenApiTypes.BOOL, description="true: follow-up date today or earlier"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        params = _ListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        rows = coaching_list(
            user=request.user,
            status=data.get("status"),
            agent=data.get("agent"),
            coach=data.get("coach"),
            due_before=timezone.localdate() if data.get("due") else None,
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([coaching_data(s) for s in page or []])

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """``{"agent", "evaluation", "topic", "notes", "follow_up_on", "course_key"}``: ``agent``
        (a user id) may be left out when ``evaluation`` names the evaluation it follows."""
        body = _body(request)
        session = coaching_create(
            actor=request.user,
            agent=_id_row(User, body, "agent", _("No such agent.")),
            evaluation=_id_row(Evaluation, body, "evaluation", _("No such evaluation.")),
            topic=body.get("topic"),
            notes=body.get("notes", ""),
            follow_up_on=body.get("follow_up_on"),
            course_key=body.get("course_key", ""),
        )
        return Response(coaching_data(session), status=status.HTTP_201_CREATED)


class CoachingDetailView(APIView):
    permission_classes = [HasRole.of(*COACH_ROLES, read=COACHING_READ_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        return Response(coaching_data(_session(request, pk)))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, pk: int):
        """Any of ``topic``, ``notes``, ``follow_up_on``, ``status``: the coach, a QA lead or an administrator."""
        body = _body(request)
        fields = {name: body[name] for name in ("topic", "notes", "follow_up_on", "status") if name in body}
        session = coaching_update(session=_session(request, pk), actor=request.user, **fields)
        return Response(coaching_data(session))

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        """Only a planned session the agent has not acknowledged (otherwise cancel it)."""
        coaching_delete(session=_session(request, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CoachingAcknowledgeView(APIView):
    permission_classes = [HasRole.of(Role.AGENT)]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """The agent coached confirms the session (again: unchanged)."""
        return Response(coaching_data(coaching_acknowledge(session=_session(request, pk), actor=request.user)))
