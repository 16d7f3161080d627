"""``/api/v1/training/programmes``, ``…/programme-runs``, ``…/career-levels``, ``…/career``:
onboarding programmes, their runs and milestone sign-offs, and the career ladder.

Trainers and administrators build and assign programmes and levels; a run is readable by its
new hire and by those who follow them (a supervisor's team, trainers); milestones are signed off
by a trainer, an administrator or the new hire's supervisor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError, NotFoundError
from apps.training.api.common import AUTHOR_ROLES, TAKER_ROLES, body, get_or_404
from apps.training.models import CareerLevel, Programme, ProgrammeAssignment, ProgrammeStep
from apps.training.selectors.progress import people_visible_to
from apps.training.services import careers as career_services
from apps.training.services import programmes as services

FOLLOW_ROLES = (*AUTHOR_ROLES, Role.SUPERVISOR, Role.HR)


def programme_data(programme: Programme) -> dict[str, Any]:
    return {
        "id": programme.pk,
        "name": programme.name,
        "description": programme.description,
        "is_active": programme.is_active,
        "steps": [
            {
                "id": s.pk,
                "position": s.position,
                "kind": s.kind,
                "title": s.title,
                "course": s.course_id,
                "exam": s.exam_id,
                "due_days": s.due_days,
            }
            for s in programme.steps.order_by("position", "id")
        ],
    }


def run_data(run: ProgrammeAssignment) -> dict[str, Any]:
    return {
        "id": run.pk,
        "programme": run.programme_id,
        "user": run.user_id,
        "started_on": run.started_on.isoformat(),
        "completed_at": run.completed_at.isoformat() if run.completed_at else None,
        "steps": [
            {
                "step": row["step"].pk,
                "kind": row["step"].kind,
                "label": row["label"],
                "due": row["due"].isoformat(),
                "done": row["done"],
                "done_at": row["done_at"].isoformat() if row["done_at"] else None,
                "overdue": row["overdue"],
            }
            for row in services.step_states(run)
        ],
    }


def level_data(level: CareerLevel) -> dict[str, Any]:
    return {
        "id": level.pk,
        "name": level.name,
        "rank": level.rank,
        "description": level.description,
        "min_qa_average": float(level.min_qa_average) if level.min_qa_average is not None else None,
        "min_tenure_months": level.min_tenure_months,
        "certifications": sorted(level.required_certifications.values_list("pk", flat=True)),
    }


class ProgrammeListView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=FOLLOW_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"results": [programme_data(p) for p in Programme.objects.order_by("name")]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        programme = services.programme_save(actor=request.user, data=body(request))
        return Response(programme_data(programme), status=status.HTTP_201_CREATED)


class ProgrammeDetailView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=FOLLOW_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        return Response(programme_data(get_or_404(Programme.objects, pk, _("No such programme."))))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, pk: int):
        programme = get_or_404(Programme.objects, pk, _("No such programme."))
        return Response(
            programme_data(services.programme_save(actor=request.user, data=body(request), programme=programme))
        )


class ProgrammeAssignView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """``{"users": [ids], "started_on": "YYYY-MM-DD"}`` → the runs."""
        programme = get_or_404(Programme.objects, pk, _("No such programme."))
        data = body(request)
        errors: dict[str, list[str]] = {}
        raw = data.get("users")
        ids = (
            raw if isinstance(raw, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in raw) else None
        )
        users = list(people_visible_to(request.user).filter(pk__in=ids or []))
        if not ids or len(users) != len(set(ids)):
            errors["users"] = [_("Choose existing, active people.")]
        started = None
        if data.get("started_on") not in (None, ""):
            try:
                started = dt.date.fromisoformat(str(data["started_on"]))
            except ValueError:
                errors["started_on"] = [_("Enter a date (YYYY-MM-DD).")]
        if errors:
            raise ApplicationError("invalid", next(iter(errors.values()))[0], fields=errors)
        runs = services.programme_assign(actor=request.user, programme=programme, users=users, started_on=started)
        return Response({"results": [run_data(run) for run in runs]}, status=status.HTTP_201_CREATED)


def _run(request, pk: int) -> ProgrammeAssignment:
    run = (
        ProgrammeAssignment.objects.select_related("programme", "user")
        .filter(pk=pk, user__in=people_visible_to(request.user))
        .first()
    )
    if run is None:
        raise NotFoundError("not_found", _("No such programme run."))
    return run


class RunListView(APIView):
    permission_classes = [HasRole.of(*TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        """The runs one may follow: one's own, a supervisor's team's, everybody's for trainers."""
        rows = ProgrammeAssignment.objects.filter(user__in=people_visible_to(request.user)).select_related(
            "programme", "user"
        )
        return Response({"results": [run_data(run) for run in rows.order_by("-assigned_at")[:500]]})


class RunDetailView(APIView):
    permission_classes = [HasRole.of(*TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        return Response(run_data(_run(request, pk)))


class SignoffView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, Role.SUPERVISOR)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """``{"step": id, "notes"}``: sign off a milestone of the run."""
        run = _run(request, pk)
        data = body(request)
        step_id = data.get("step")
        step = (
            ProgrammeStep.objects.filter(pk=step_id, programme_id=run.programme_id).first()
            if isinstance(step_id, int) and not isinstance(step_id, bool)
            else None
        )
        if step is None:
            raise ApplicationError(
                "invalid", _("No such step."), fields={"step": [_("Choose a step of the programme.")]}
            )
        notes = data.get("notes", "")
        if not isinstance(notes, str):
            raise ApplicationError("invalid", _("Enter text."), fields={"notes": [_("Enter text.")]})
        services.milestone_sign_off(actor=request.user, assignment=run, step=step, notes=notes)
        run.refresh_from_db()
        return Response(run_data(run), status=status.HTTP_201_CREATED)


class CareerLevelListView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        rows = CareerLevel.objects.prefetch_related("required_certifications").order_by("rank")
        return Response({"results": [level_data(level) for level in rows]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        level = career_services.career_level_save(actor=request.user, data=body(request))
        return Response(level_data(level), status=status.HTTP_201_CREATED)


class CareerLevelDetailView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=FOLLOW_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        """The level and who (of those one may follow) meets it today."""
        level = get_or_404(CareerLevel.objects, pk, _("No such level."))
        people = people_visible_to(request.user).filter(roles__overlap=[Role.AGENT, Role.SUPERVISOR])
        return Response({**level_data(level), "meeting": [u.pk for u in career_services.people_meeting(level, people)]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, pk: int):
        level = get_or_404(CareerLevel.objects, pk, _("No such level."))
        return Response(
            level_data(career_services.career_level_save(actor=request.user, data=body(request), level=level))
        )


class CareerStandingView(APIView):
    permission_classes = [HasRole.of(*TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        """One's level, the next one and what it still needs."""
        standing = career_services.career_standing(request.user)
        return Response(
            {
                "level": standing["level"].pk if standing["level"] else None,
                "next_level": standing["next_level"].pk if standing["next_level"] else None,
                "missing": standing["missing"],
                "qa_average": float(standing["qa_average"]) if standing["qa_average"] is not None else None,
                "qa_evaluations": standing["qa_evaluations"],
                "tenure_months": standing["tenure_months"],
            }
        )
