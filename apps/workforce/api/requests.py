"""Leave, overtime and swap requests under /api/v1/workforce/.

- ``GET/POST workforce/leave-requests`` (``user?, kind, start_date, end_date, relation?, reason?``;
  multipart may carry ``certificate``), ``POST …/{id}/approve|reject`` (``note?``),
  ``POST …/{id}/cancel``, ``POST …/{id}/certificate`` (multipart ``certificate``);
  ``GET workforce/leave-balances?user=&year=``.
- ``GET/POST workforce/overtime-requests`` (``user?, start, end, reason``),
  ``POST …/{id}/approve|reject|cancel``.
- ``GET/POST workforce/swap-requests`` (``counterpart, requester_shift, counterpart_shift?, note?``),
  ``POST …/{id}/accept|decline`` (the colleague), ``…/{id}/approve|reject`` (a supervisor),
  ``…/{id}/cancel`` (the requester).

Agents ask for themselves and see their own; supervisors see and decide their teams' (never
their own); HR and administrators everyone's, and may ask on someone's behalf.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError, NotFoundError
from apps.workforce.api.common import WORKFORCE_ROLES, UserField, body, check_visible, moment, person, person_for
from apps.workforce.choices import LeaveKind, Relation
from apps.workforce.models import LeaveRequest, OvertimeRequest, Shift, SwapRequest
from apps.workforce.selectors.people import scope_user_ids
from apps.workforce.services.leave import (
    leave_approve,
    leave_balances,
    leave_cancel,
    leave_certificate_attach,
    leave_reject,
    leave_request_create,
    next_step,
)
from apps.workforce.services.overtime import (
    overtime_approve,
    overtime_cancel,
    overtime_reject,
    overtime_request_create,
)
from apps.workforce.services.swaps import swap_answer, swap_cancel, swap_decide, swap_request_create

MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024
LIST_LIMIT = 500


def leave_data(request: LeaveRequest) -> dict:
    return {
        "id": request.pk,
        "user": request.user_id,
        "kind": request.kind,
        "start_date": request.start_date.isoformat(),
        "end_date": request.end_date.isoformat(),
        "days": float(request.days),
        "relation": request.relation,
        "reason": request.reason,
        "has_certificate": bool(request.certificate),
        "status": request.status,
        "required_steps": request.required_steps,
        "next_step": next_step(request) if request.status == "pending" else None,
        "created_at": moment(request.created_at),
        "decided_by": request.decided_by_id,
        "decided_at": moment(request.decided_at),
        "decision_note": request.decision_note,
    }


def overtime_data(request: OvertimeRequest) -> dict:
    return {
        "id": request.pk,
        "user": request.user_id,
        "start": moment(request.start),
        "end": moment(request.end),
        "reason": request.reason,
        "day_kind": request.day_kind,
        "status": request.status,
        "created_at": moment(request.created_at),
        "decided_by": request.decided_by_id,
        "decided_at": moment(request.decided_at),
        "decision_note": request.decision_note,
    }


def swap_data(swap: SwapRequest) -> dict:
    return {
        "id": swap.pk,
        "requester": person(swap.requester),
        "counterpart": person(swap.counterpart),
        "requester_shift": swap.requester_shift_id,
        "counterpart_shift": swap.counterpart_shift_id,
        "status": swap.status,
        "note": swap.note,
        "created_at": moment(swap.created_at),
        "answered_at": moment(swap.answered_at),
        "decided_by": swap.decided_by_id,
        "decided_at": moment(swap.decided_at),
        "decision_note": swap.decision_note,
    }


def _visible(request, queryset):
    ids = scope_user_ids(request.user)
    return queryset if ids is None else queryset.filter(user_id__in=ids)


def _status_filter(request, queryset):
    wanted = request.query_params.get("status")
    return queryset.filter(status=wanted) if wanted else queryset


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


def _note(request) -> str:
    serializer = NoteSerializer(data=body(request))
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["note"]


# --- leave ---------------------------------------------------------------------------------------


class LeaveSerializer(serializers.Serializer):
    user = UserField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=LeaveKind.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    relation = serializers.ChoiceField(choices=Relation.choices, required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    certificate = serializers.FileField(required=False, allow_null=True)

    def validate_certificate(self, value):
        if value is not None and value.size > MAX_CERTIFICATE_BYTES:
            raise serializers.ValidationError(_("At most 10 MB."))
        return value


class LeaveListView(APIView):
    permission_classes = [HasRole.of(*WORKFORCE_ROLES)]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get(self, request):
        rows = _status_filter(request, _visible(request, LeaveRequest.objects.all()))
        return Response([leave_data(r) for r in rows.order_by("-start_date", "pk")[:LIST_LIMIT]])

    def post(self, request):
        serializer = LeaveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        leave = leave_request_create(
            user=person_for(request, data.get("user")),
            kind=data["kind"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            relation=data.get("relation", ""),
            reason=data.get("reason", ""),
            certificate=data.get("certificate"),
            actor=request.user,
        )
        return Response(leave_data(leave), status=status.HTTP_201_CREATED)


def _leave(request, pk: int) -> LeaveRequest:
    leave = get_object_or_404(LeaveRequest.objects.select_related("user"), pk=pk)
    check_visible(request, leave.user_id, _("leave request"))
    return leave


class LeaveActionView(APIView):
    permission_classes = [HasRole.of(*WORKFORCE_ROLES)]
    action = ""

    def post(self, request, pk: int):
        leave = _leave(request, pk)
        if self.action == "approve":
            leave = leave_approve(request=leave, actor=request.user, note=_note(request))
        elif self.action == "reject":
            leave = leave_reject(request=leave, actor=request.user, note=_note(request))
        else:
            leave = leave_cancel(request=leave, actor=request.user)
        return Response(leave_data(leave))


class CertificateSerializer(serializers.Serializer):
    certificate = serializers.FileField()

    def validate_certificate(self, value):
        if value.size > MAX_CERTIFICATE_BYTES:
            raise serializers.ValidationError(_("At most 10 MB."))
        return value


class LeaveCertificateView(APIView):
    permission_classes = [HasRole.of(*WORKFORCE_ROLES)]
    parser_classes = [MultiPartParser, FormParser]

    def post(self, request, pk: int):
        serializer = CertificateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        leave = leave_certificate_attach(
            request=_leave(request, pk), certificate=serializer.validated_data["certificate"], actor=request.user
        )
        return Response(leave_data(leave))


class BalanceSerializer(serializers.Serializer):
    user = serializers.IntegerField(required=False)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


class LeaveBalanceView(APIView):
    permission_classes = [HasRole.of(*WORKFORCE_ROLES)]

    def get(self, request):
        serializer = BalanceSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        user_id = serializer.validated_data.get("user", request.user.pk)
        check_visible(request, user_id, _("person"))
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            raise NotFoundError("not_found", _("No such person."))
        year = serializer.validated_data.get("year", timezone.localdate().year)
        return Response({"user": user.pk, "year": year, "balances": leave_balances(user, year)})


# --- overtime -----------------------------------------------------------------------------------


class OvertimeSerializer(serializers.Serializer):
    user = UserField(required=False, allow_null=True)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    reason = serializers.CharField(max_length=2000)


class OvertimeListView(APIView):
    permission_classes = [HasRole.of(*WORKFORCE_ROLES)]

    def get(self, request):
        rows = _status_filter(request, _visible(request, OvertimeRequest.objects.all()))
        return Response([overtime_data(r) for r in rows.order_by("-start", "pk")[:LIST_LIMIT]])

    def post(self, request):
        serializer = OvertimeSerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        overtime = overtime_request_create(
            user=person_for(request, data.get("user")),
            start=data["start"],
            end=data["end"],
            reason=data["reason"],
            actor=request.user,
        )
        return Response(overtime_data(overtime), status=status.HTTP_201_CREATED)


class OvertimeActionView(APIView):
    permission_classes = [HasRole.of(*WORKFORCE_ROLES)]
    action = ""

    def post(self, request, pk: int):
        overtime = get_object_or_404(OvertimeRequest.objects.select_related("user"), pk=pk)
        check_visible(request, overtime.user_id, _("overtime request"))
        if self.action == "approve":
            overtime = overtime_approve(request=overtime, actor=request.user, note=_note(request))
        elif self.action == "reject":
            overtime = overtime_reject(request=overtime, actor=request.user, note=_note(request))
        else:
            overtime = overtime_cancel(request=overtime, actor=request.user)
        return Response(overtime_data(overtime))


# --- swaps --------------------------------------------------------------------------------------


class SwapSerializer(serializers.Serializer):
    counterpart = UserField()
    requester_shift = serializers.IntegerField()
    counterpart_shift = serializers.IntegerField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


def _shift(pk: int | None, field: str) -> Shift | None:
    if pk is None:
        return None
    shift = Shift.objects.filter(pk=pk).first()
    if shift is None:
        raise ApplicationError("invalid", _("The request has invalid fields."), fields={field: [_("No such shift.")]})
    return shift


class SwapListView(APIView):
    permission_classes = [HasRole.of(*WORKFORCE_ROLES)]

    def get(self, request):
        swaps = SwapRequest.objects.select_related("requester", "counterpart")
        ids = scope_user_ids(request.user)
        if ids is not None:
            swaps = swaps.filter(requester_id__in=ids) | swaps.filter(counterpart_id__in=ids)
        swaps = _status_filter(request, swaps)
        return Response([swap_data(s) for s in swaps.order_by("-created_at")[:LIST_LIMIT]])

    def post(self, request):
        serializer = SwapSerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        mine = _shift(data["requester_shift"], "requester_shift")
        assert mine is not None  # noqa: S101 -- _shift returns a shift for a given id
        swap = swap_request_create(
            requester=request.user,
            counterpart=data["counterpart"],
            requester_shift=mine,
            counterpart_shift=_shift(data.get("counterpart_shift"), "counterpart_shift"),
            note=data.get("note", ""),
        )
        return Response(swap_data(swap), status=status.HTTP_201_CREATED)


class SwapActionView(APIView):
    permission_classes = [HasRole.of(*WORKFORCE_ROLES)]
    action = ""

    def post(self, request, pk: int):
        swap = get_object_or_404(SwapRequest.objects.select_related("requester", "counterpart"), pk=pk)
        if request.user.pk not in (swap.requester_id, swap.counterpart_id):
            check_visible(request, swap.requester_id, _("swap request"))
        if self.action in ("accept", "decline"):
            swap = swap_answer(swap=swap, user=request.user, accept=self.action == "accept")
        elif self.action in ("approve", "reject"):
            swap = swap_decide(swap=swap, actor=request.user, approve=self.action == "approve", note=_note(request))
        else:
            swap = swap_cancel(swap=swap, user=request.user)
        return Response(swap_data(swap))
