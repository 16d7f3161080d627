"""``/api/v1/qa/scorecards``: create, read, edit (a new version once scored on), publish, retire.

Thin: apps/qa/services/scorecards.py validates (400 ``invalid`` with dotted field names such as
``sections.0.questions.1.points``, nothing written) and decides between editing in place and a
new version. QA leads and administrators write; analysts and supervisors read (they score on
the forms). Weights are JSON numbers with up to 2 decimals.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.core.api.pagination import Pagination
from apps.core.api.permissions import HasRole
from apps.core.errors import NotFoundError
from apps.qa.models import Scorecard
from apps.qa.selectors.scorecards import scorecard_sections, scorecard_versions, scorecards_current
from apps.qa.services.scorecards import (
    SCORECARD_ADMIN_ROLES,
    scorecard_create,
    scorecard_publish,
    scorecard_retire,
    scorecard_update,
)

SCORECARD_READ_ROLES = (Role.QA, Role.SUPERVISOR)


def _number(value) -> float | int:
    """A Decimal weight as a JSON number (2 is 2, 1.5 is 1.5)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.get_full_name() or user.email}


def scorecard_data(scorecard: Scorecard, *, with_sections: bool = True) -> dict:
    data = {
        "id": scorecard.pk,
        "family": str(scorecard.family),
        "version": scorecard.version,
        "is_current": scorecard.is_current,
        "name": scorecard.name,
        "description": scorecard.description,
        "status": scorecard.status,
        "created_at": scorecard.created_at.isoformat(),
        "created_by": _person(scorecard.created_by),
    }
    if hasattr(scorecard, "evaluation_count"):
        data["evaluation_count"] = scorecard.evaluation_count
    if with_sections:
        data["sections"] = [
            {
                "id": section.pk,
                "title": section.title,
                "weight": _number(section.weight),
                "position": section.position,
                "questions": [
                    {
                        "id": q.pk,
                        "text": q.text,
                        "kind": q.kind,
                        "points": q.points,
                        "weight": _number(q.weight),
                        "critical": q.critical,
                        "allow_na": q.allow_na,
                        "guidance": q.guidance,
                        "position": q.position,
                    }
                    for q in section.questions.all()
                ],
            }
            for section in scorecard_sections(scorecard)
        ]
    return data


def _body(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _scorecard(pk: int) -> Scorecard:
    scorecard = Scorecard.objects.select_related("created_by").filter(pk=pk).first()
    if scorecard is None:
        raise NotFoundError("not_found", _("No such scorecard."))
    return scorecard


class ScorecardListView(APIView):
    permission_classes = [HasRole.of(*SCORECARD_ADMIN_ROLES, read=SCORECARD_READ_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        """The current version of every scorecard (paginated), without their questions; add
        ``?status=published`` for the forms evaluators may score on."""
        scorecards = scorecards_current().select_related("created_by")
        wanted = request.query_params.get("status")
        if wanted:
            scorecards = scorecards.filter(status=wanted)
        paginator = Pagination()
        page = paginator.paginate_queryset(scorecards, request, view=self)
        return paginator.get_paginated_response([scorecard_data(s, with_sections=False) for s in page or []])

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """``{"name", "description", "status": "published|draft", "sections": [{"title", "weight",
        "questions": [{"text", "kind": "yes_no|scale|points", "points", "weight",
        "critical": "none|section|form", "allow_na", "guidance"}]}]}`` → 201 with the scorecard,
        its ``version`` and an id for every section and question."""
        body = _body(request)
        scorecard = scorecard_create(
            actor=request.user,
            name=body.get("name"),  # type: ignore[arg-type]  # the service validates it
            description=body.get("description") or "",
            sections=body.get("sections"),  # type: ignore[arg-type]
            status=body.get("status") or "published",
        )
        return Response(scorecard_data(scorecard), status=status.HTTP_201_CREATED)


class ScorecardDetailView(APIView):
    permission_classes = [HasRole.of(*SCORECARD_ADMIN_ROLES, read=SCORECARD_READ_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        """One version of a scorecard with its sections and questions."""
        return Response(scorecard_data(_scorecard(pk)))

    def _update(self, request, pk: int, *, partial: bool) -> Response:
        body = _body(request)
        scorecard = _scorecard(pk)
        before = scorecard.pk
        if partial:
            updated = scorecard_update(
                actor=request.user,
                scorecard=scorecard,
                name=body.get("name"),
                description=body.get("description"),
                sections=body.get("sections"),
            )
        else:
            updated = scorecard_update(
                actor=request.user,
                scorecard=scorecard,
                name=body.get("name") or "",
                description=body.get("description") or "",
                sections=body.get("sections") or [],
            )
        created = updated.pk != before
        return Response(scorecard_data(updated), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT})
    def put(self, request, pk: int):
        """Replace the form (same body as POST). 200 when edited in place; 201 with the new
        version (a new ``id``, ``version`` + 1) when this version already has evaluations."""
        return self._update(request, pk, partial=False)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT})
    def patch(self, request, pk: int):
        """Change only the fields given (``name``, ``description``, ``sections``); versions as PUT."""
        return self._update(request, pk, partial=True)


class ScorecardVersionsView(APIView):
    permission_classes = [HasRole.of(*SCORECARD_ADMIN_ROLES, read=SCORECARD_READ_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        """Every version of this scorecard's family, newest first, with their evaluation counts."""
        scorecard = _scorecard(pk)
        return Response(
            {"results": [scorecard_data(v, with_sections=False) for v in scorecard_versions(scorecard.family)]}
        )


class ScorecardPublishView(APIView):
    permission_classes = [HasRole.of(*SCORECARD_ADMIN_ROLES)]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """Offer the current version to evaluators (from draft or retired)."""
        return Response(scorecard_data(scorecard_publish(actor=request.user, scorecard=_scorecard(pk))))


class ScorecardRetireView(APIView):
    permission_classes = [HasRole.of(*SCORECARD_ADMIN_ROLES)]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """No new evaluations on this form; existing ones (and drafts) keep it."""
        return Response(scorecard_data(scorecard_retire(actor=request.user, scorecard=_scorecard(pk))))
