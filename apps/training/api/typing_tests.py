"""``/api/v1/training/typing-tests`` and ``…/typing-attempts``: author, start, submit the typed text."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.permissions import HasRole
from apps.core.errors import NotFoundError
from apps.training.api.common import AUTHOR_ROLES, TAKER_ROLES, body, get_or_404
from apps.training.models import TypingAttempt, TypingTest
from apps.training.services import typing as services


def test_data(test: TypingTest) -> dict:
    return {
        "id": test.pk,
        "title": test.title,
        "language": test.language,
        "passage": test.passage,
        "duration_seconds": test.duration_seconds,
        "pass_cpm": test.pass_cpm,
        "pass_accuracy": test.pass_accuracy,
        "is_active": test.is_active,
    }


def attempt_data(attempt: TypingAttempt) -> dict:
    return {
        "id": attempt.pk,
        "test": attempt.test_id,
        "status": attempt.status,
        "started_at": attempt.started_at.isoformat(),
        "deadline": attempt.deadline.isoformat(),
        "characters": attempt.characters,
        "cpm": None if attempt.cpm is None else float(attempt.cpm),
        "accuracy": None if attempt.accuracy is None else float(attempt.accuracy),
        "passed": attempt.passed,
    }


class TypingTestListView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"results": [test_data(t) for t in TypingTest.objects.filter(is_active=True)]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        return Response(test_data(services.typing_test_create(actor=request.user, data=body(request))), status=201)


class TypingStartView(APIView):
    permission_classes = [HasRole.of(*TAKER_ROLES)]

    @extend_schema(request=None, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        test = get_or_404(TypingTest.objects, pk, _("No such typing test."))
        attempt = services.typing_start(test=test, user=request.user)
        data = attempt_data(attempt)
        data["passage"] = test.passage
        return Response(data, status=status.HTTP_201_CREATED)


class TypingSubmitView(APIView):
    permission_classes = [HasRole.of(*TAKER_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """``{"typed": "…"}``: characters per minute and accuracy, measured by the server."""
        attempt = TypingAttempt.objects.filter(pk=pk, user=request.user).first()
        if attempt is None:
            raise NotFoundError("not_found", _("No such attempt."))
        return Response(attempt_data(services.typing_submit(attempt=attempt, typed=body(request).get("typed"))))
