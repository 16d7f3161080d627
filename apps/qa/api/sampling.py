"""``/api/v1/qa/sampling-rules`` (CRUD, ``…/{id}/run``) and ``/api/v1/qa/assignments`` (the board,
reassign, skip).

Thin: apps/qa/services/sampling.py validates (400 ``invalid`` with a message per field, nothing
written), draws and assigns. QA leads and administrators manage rules and move assignments;
quality analysts read the rules and their own assignments. A rule body is
``{"name", "scorecard": id, "period": "day|week|month", "per_agent", "percent", "strata":
["queue"|"campaign"|"direction"], "queues": [ids], "campaigns": [ids], "directions": [...],
"min_talk_seconds", "include_csat_at_most", "include_dispositions": [ids], "include_transfers",
"include_hold_seconds_over", "include_analysis_flags": [...], "exclude_evaluated",
"evaluators": [user ids], "due_days", "seed", "is_active"}``.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.api.pagination import Pagination
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError, NotFoundError
from apps.qa.choices import AssignmentStatus
from apps.qa.models import Assignment, SamplingRule
from apps.qa.selectors.sampling import (
    BOARD_ROLES,
    EVALUATOR_ROLES,
    MANAGER_ROLES,
    assignment_list,
    assignments_visible_to,
    rule_list,
)
from apps.qa.services.sampling import (
    SamplingResult,
    assignment_reassign,
    assignment_skip,
    rule_values,
    sampling_rule_create,
    sampling_rule_delete,
    sampling_rule_update,
    sampling_run,
)

PREVIEW_ROWS = 500  # picks listed by a run's answer (the counts cover them all)


def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.get_full_name() or user.email}


def rule_data(rule: SamplingRule) -> dict:
    data = rule_values(rule)
    data["id"] = rule.pk
    data["created_at"] = rule.created_at.isoformat()
    if hasattr(rule, "open_count"):
        data["open_assignments"] = rule.open_count
        data["assignments"] = getattr(rule, "total_count", 0)
    return data


def assignment_data(assignment: Assignment) -> dict:
    call = assignment.call
    agent_user = call.agent.user if call.agent_id and call.agent else None
    return {
        "id": assignment.pk,
        "rule": assignment.rule_id,
        "rule_name": assignment.rule.name if assignment.rule else None,
        "call": call.uid,
        "call_arrived_at": call.arrived_at.isoformat(),
        "agent": _person(agent_user),
        "queue": call.queue.name if call.queue_id and call.queue else None,
        "scorecard": assignment.scorecard_id,
        "assignee": _person(assignment.assignee),
        "period_start": assignment.period_start.isoformat(),
        "reason": assignment.reason,
        "status": assignment.status,
        "due_at": assignment.due_at.isoformat() if assignment.due_at else None,
        "created_at": assignment.created_at.isoformat(),
    }


def run_data(result: SamplingResult) -> dict:
    return {
        "rule": result.rule_id,
        "period_start": result.period_start.isoformat(),
        "since": result.since.isoformat(),
        "until": result.until.isoformat(),
        "due_at": result.due_at.isoformat(),
        "dry_run": result.dry_run,
        "eligible": result.eligible,
        "picked": len(result.picks),
        "already_assigned": len(result.picks) - len(result.new),
        "created": result.created,
        "by_reason": result.by_reason,
        "picks": [
            {
                "call": pick.uid,
                "arrived_at": pick.arrived_at.isoformat() if pick.arrived_at else None,
                "agent_user": pick.agent_user_id,
                "reason": pick.reason,
                "assignee": pick.assignee_id,
                "existing": pick.existing,
            }
            for pick in result.picks[:PREVIEW_ROWS]
        ],
    }


def _body(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _rule(pk: int) -> SamplingRule:
    rule = SamplingRule.objects.filter(pk=pk).first()
    if rule is None:
        raise NotFoundError("not_found", _("No such sampling rule."))
    return rule


class SamplingRuleListView(APIView):
    permission_classes = [HasRole.of(*MANAGER_ROLES, read=EVALUATOR_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        """Every rule (paginated) with its open and total assignments."""
        paginator = Pagination()
        page = paginator.paginate_queryset(rule_list(), request, view=self)
        return paginator.get_paginated_response([rule_data(rule) for rule in page or []])

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """Create a rule (see the module docstring); ``seed`` defaults to a random one."""
        rule = sampling_rule_create(data=_body(request), actor=request.user)
        return Response(rule_data(rule), status=status.HTTP_201_CREATED)


class SamplingRuleDetailView(APIView):
    permission_classes = [HasRole.of(*MANAGER_ROLES, read=EVALUATOR_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        return Response(rule_data(_rule(pk)))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, pk: int):
        """Change the fields given; samples already made are kept."""
        rule = sampling_rule_update(rule=_rule(pk), data=_body(request), actor=request.user)
        return Response(rule_data(rule))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def put(self, request, pk: int):
        return self.patch(request, pk)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        """Delete the rule; its assignments stay on the board without a rule."""
        sampling_rule_delete(rule=_rule(pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SamplingRuleRunView(APIView):
    permission_classes = [HasRole.of(*MANAGER_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """Draw the rule's sample: ``{"period_start": "YYYY-MM-DD"?, "dry_run": false}``. The period
        is the one holding ``period_start`` (default: the last one that has ended, in the tenant's
        zone). ``dry_run`` answers 200 with what would be picked and who would get each call,
        writing nothing; otherwise 201 with ``created`` (0 when run again: nothing is drawn twice)."""
        body = _body(request)
        start = body.get("period_start")
        period_start: date | None = None
        if start not in (None, ""):
            try:
                period_start = date.fromisoformat(str(start))
            except ValueError:
                message = _("Enter a date as YYYY-MM-DD.")
                raise ApplicationError("invalid", message, fields={"period_start": [message]}) from None
        dry_run = body.get("dry_run", False)
        if not isinstance(dry_run, bool):
            message = _("Must be true or false.")
            raise ApplicationError("invalid", message, fields={"dry_run": [message]})
        result = sampling_run(rule=_rule(pk), period_start=period_start, dry_run=dry_run, actor=request.user)
        return Response(run_data(result), status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED)


class AssignmentListView(APIView):
    permission_classes = [HasRole.of(*BOARD_ROLES)]

    @extend_schema(
        parameters=[
            OpenApiParameter("assignee", OpenApiTypes.STR, description="a user id, or `none` for the unassigned"),
            OpenApiParameter("status", OpenApiTypes.STR, description="pending, in_progress, done, skipped or open"),
            OpenApiParameter("rule", OpenApiTypes.INT),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        """Assignments, the soonest due first (paginated). A quality analyst sees their own only."""
        params = request.query_params
        errors: dict[str, list[str]] = {}
        assignee = params.get("assignee", "")
        if assignee not in ("", "none") and not assignee.isdigit():
            errors["assignee"] = [_("Give a user id or none.")]
        wanted = params.get("status", "")
        if wanted not in ("", "open", *AssignmentStatus.values):
            errors["status"] = [_("Unknown status.")]
        rule = params.get("rule", "")
        if rule and not rule.isdigit():
            errors["rule"] = [_("Give a rule id.")]
        if errors:
            raise ApplicationError("invalid", _("The filters are not valid."), fields=errors)
        rows = assignment_list(user=request.user, filters={"assignee": assignee, "status": wanted, "rule": rule})
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([assignment_data(row) for row in page or []])


def _assignment(request, pk: int) -> Assignment:
    assignment = assignments_visible_to(request.user).filter(pk=pk).first()
    if assignment is None:
        raise NotFoundError("not_found", _("No such assignment."))
    return assignment


class AssignmentReassignView(APIView):
    permission_classes = [HasRole.of(*MANAGER_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """``{"assignee": user id | null}``: give an open assignment to another analyst (null: back
        to the unassigned pool)."""
        assignment = _assignment(request, pk)
        body = _body(request)
        if "assignee" not in body:
            message = _("This field is required.")
            raise ApplicationError("invalid", message, fields={"assignee": [message]})
        raw = body.get("assignee")
        assignee = None
        if raw is not None:
            assignee = User.objects.filter(pk=raw).first() if str(raw).isdigit() else None
            if assignee is None:
                message = _("Choose a quality analyst or a QA lead.")
                raise ApplicationError("invalid", message, fields={"assignee": [message]})
        assignment = assignment_reassign(assignment=assignment, assignee=assignee, actor=request.user)
        return Response(assignment_data(_assignment(request, assignment.pk)))


class AssignmentSkipView(APIView):
    permission_classes = [HasRole.of(*MANAGER_ROLES)]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """Take an open assignment off the board (status ``skipped``); the rule will not draw the
        call again."""
        assignment = assignment_skip(assignment=_assignment(request, pk), actor=request.user)
        return Response(assignment_data(_assignment(request, assignment.pk)))
