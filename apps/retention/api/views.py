"""``/api/v1/retention/…``: the policy, the legal holds and the purge reports.

Tenant administrators only: retention decides when the company's calls and recordings are
destroyed, and a legal hold overrides it.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from apps.accounts.choices import Role
from apps.core.api.permissions import HasRole
from apps.retention.api.serializers import (
    LegalHoldCreateSerializer,
    LegalHoldSerializer,
    PurgeRunSerializer,
    RetentionPolicySerializer,
)
from apps.retention.models import LegalHold, PurgeRun
from apps.retention.services import (
    legal_hold_place,
    legal_hold_release,
    retention_policy_get,
    retention_policy_update,
)
from apps.telephony.models import Call

AdminOnly = HasRole.of(Role.TENANT_ADMIN)


@extend_schema(methods=["GET"], request=None, responses={200: RetentionPolicySerializer})
@extend_schema(methods=["PUT"], request=RetentionPolicySerializer, responses={200: RetentionPolicySerializer})
@api_view(["GET", "PUT"])
@permission_classes([AdminOnly])
def retention_policy(request):
    """Days kept per kind (null: the platform default) and the days in force. PUT sets all three."""
    if request.method == "PUT":
        serializer = RetentionPolicySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        policy = retention_policy_update(
            actor=request.user,
            recordings_days=data.get("recordings_days"),
            calls_days=data.get("calls_days"),
            contacts_days=data.get("contacts_days"),
        )
    else:
        policy = retention_policy_get()
    return Response(RetentionPolicySerializer(policy).data)


@extend_schema(responses={200: PurgeRunSerializer(many=True)})
@api_view(["GET"])
@permission_classes([AdminOnly])
def purge_runs(request):
    """The last 50 purge runs, newest first: cut-off dates and what each removed."""
    return Response(PurgeRunSerializer(PurgeRun.objects.all()[:50], many=True).data)


@extend_schema(methods=["GET"], request=None, responses={200: LegalHoldSerializer(many=True)})
@extend_schema(methods=["POST"], request=LegalHoldCreateSerializer, responses={201: LegalHoldSerializer})
@api_view(["GET", "POST"])
@permission_classes([AdminOnly])
def legal_holds(request):
    """Calls kept whatever the retention says. POST ``{"call": "<uid>", "reason": "…"}`` places one."""
    if request.method == "POST":
        serializer = LegalHoldCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call = get_object_or_404(Call, uid=serializer.validated_data["call"])
        hold = legal_hold_place(call=call, reason=serializer.validated_data["reason"], actor=request.user)
        return Response(LegalHoldSerializer(hold).data, status=status.HTTP_201_CREATED)
    return Response(LegalHoldSerializer(LegalHold.objects.select_related("call")[:500], many=True).data)


@extend_schema(request=None, responses={204: None})
@api_view(["DELETE"])
@permission_classes([AdminOnly])
def legal_hold_detail(request, uid: str):
    """Release the hold on a call: the next purge may remove it if it is past retention."""
    legal_hold_release(call=get_object_or_404(Call, uid=uid), actor=request.user)
    return Response(status=status.HTTP_204_NO_CONTENT)
