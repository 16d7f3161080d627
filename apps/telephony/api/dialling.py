"""``/api/v1/dialling-policy``: the tenant's toll-fraud guard (services/dialling.py).

Administrators read and change it; supervisors read it. The platform's own blocked prefixes and
the caller-ID flag set by platform staff are shown read-only.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from apps.accounts.choices import Role
from apps.core.api.permissions import HasRole
from apps.telephony.dialer import dialling
from apps.telephony.models import DiallingPolicy
from apps.telephony.services.dialling import caller_id_unrestricted, dialling_policy_get, dialling_policy_update

AdminWritesSupervisorReads = HasRole.of(Role.TENANT_ADMIN, read=(Role.TENANT_ADMIN, Role.SUPERVISOR))


class PlatformPrefixSerializer(serializers.Serializer):
    prefix = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the API field, not Field.label (DRF's metaclass takes it)


class DiallingPolicySerializer(serializers.Serializer):
    allow_international = serializers.BooleanField(required=False)
    allowed_prefixes = serializers.ListField(
        child=serializers.CharField(max_length=32, allow_blank=True), required=False, max_length=500
    )
    blocked_prefixes = serializers.ListField(
        child=serializers.CharField(max_length=32, allow_blank=True), required=False, max_length=500
    )
    rate_per_minute = serializers.IntegerField(required=False)
    rate_per_hour = serializers.IntegerField(required=False)
    platform_blocked_prefixes = PlatformPrefixSerializer(many=True, read_only=True)
    caller_id_unrestricted = serializers.BooleanField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    updated_by = serializers.EmailField(read_only=True, allow_null=True)


def _payload(policy: DiallingPolicy) -> dict:
    return DiallingPolicySerializer(
        {
            "allow_international": policy.allow_international,
            "allowed_prefixes": policy.allowed_prefixes,
            "blocked_prefixes": policy.blocked_prefixes,
            "rate_per_minute": policy.rate_per_minute,
            "rate_per_hour": policy.rate_per_hour,
            "platform_blocked_prefixes": [
                {"prefix": prefix, "label": label} for prefix, label in dialling.PLATFORM_BLOCKED
            ],
            "caller_id_unrestricted": caller_id_unrestricted(),
            "updated_at": policy.updated_at,
            "updated_by": policy.updated_by.email if policy.updated_by else None,
        }
    ).data


@extend_schema(methods=["GET"], request=None, responses={200: DiallingPolicySerializer})
@extend_schema(methods=["PUT", "PATCH"], request=DiallingPolicySerializer, responses={200: DiallingPolicySerializer})
@api_view(["GET", "PUT", "PATCH"])
@permission_classes([AdminWritesSupervisorReads])
def dialling_policy(request):
    """Which numbers agents may dial, the blocked (premium) prefixes and the per-agent rate limit.
    PUT and PATCH change the fields given and keep the others; a bad value changes nothing."""
    if request.method in ("PUT", "PATCH"):
        serializer = DiallingPolicySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        policy = dialling_policy_update(user=request.user, **serializer.validated_data)
    else:
        policy = dialling_policy_get()
    return Response(_payload(policy))
