"""The attendance policy, warnings and dismissal-review flags under /api/v1/workforce/.

- ``GET workforce/policy`` (the version in effect today and every version) — HR, administrators,
  supervisors; ``POST workforce/policy`` (``effective_from`` and any policy fields) adds a version
  — HR and administrators; audited.
- ``GET/POST workforce/warnings`` (``user, reason, evidence?``) — HR and administrators (a warning
  is issued by HR); issuing one applies the thresholds at once.
- ``GET workforce/review-flags`` and ``POST workforce/review-flags/{id}/decide``
  (``decision``: dismiss|keep, ``note?``) — HR and administrators.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.permissions import HasRole
from apps.workforce.api.common import CORRECT_ROLES, MANAGE_ROLES, UserField, body, moment, person
from apps.workforce.models import DisciplineWarning, DismissalReviewFlag, WorkforcePolicy
from apps.workforce.selectors.policy import policy_on
from apps.workforce.services.discipline import review_decide, warning_issue
from apps.workforce.services.policy import POLICY_FIELDS, policy_create


def policy_data(policy: WorkforcePolicy) -> dict:
    data = {"id": policy.pk, "effective_from": policy.effective_from.isoformat()}
    for name in POLICY_FIELDS:
        value = getattr(policy, name)
        data[name] = float(value) if name == "monthly_legal_hours" else value
    return data


class PolicySerializer(serializers.Serializer):
    effective_from = serializers.DateField()
    early_clock_in_minutes = serializers.IntegerField(min_value=0, max_value=240, required=False)
    late_grace_minutes = serializers.IntegerField(min_value=0, max_value=240, required=False)
    sick_bands = serializers.JSONField(required=False)
    bereavement_days = serializers.JSONField(required=False)
    annual_leave_bands = serializers.JSONField(required=False)
    overtime_rate_workday = serializers.IntegerField(min_value=100, max_value=1000, required=False)
    overtime_rate_rest_day = serializers.IntegerField(min_value=100, max_value=1000, required=False)
    overtime_rate_holiday = serializers.IntegerField(min_value=100, max_value=1000, required=False)
    monthly_legal_hours = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=1, required=False)
    warning_threshold = serializers.IntegerField(min_value=0, max_value=100, required=False)
    warning_window_months = serializers.IntegerField(min_value=1, max_value=60, required=False)
    absence_consecutive_days = serializers.IntegerField(min_value=0, max_value=100, required=False)
    absence_days_per_year = serializers.IntegerField(min_value=0, max_value=366, required=False)
    leave_hr_approval_over_days = serializers.IntegerField(min_value=0, max_value=366, required=False)
    handover_required = serializers.BooleanField(required=False)
    ip_allowlist = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    auto_clock_from_desk = serializers.BooleanField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def _bands(self, value, name):
        ok = isinstance(value, list) and all(
            isinstance(row, list)
            and len(row) == 3
            and isinstance(row[0], int)
            and (row[1] is None or isinstance(row[1], int))
            and isinstance(row[2], int | float)
            for row in value
        )
        if not ok:
            raise serializers.ValidationError(f"[[from, to or null, value], …] ({name})")
        return value

    def validate_sick_bands(self, value):
        return self._bands(value, "sick_bands")

    def validate_annual_leave_bands(self, value):
        return self._bands(value, "annual_leave_bands")

    def validate_bereavement_days(self, value):
        if not isinstance(value, dict) or not all(isinstance(v, int) and v >= 0 for v in value.values()):
            raise serializers.ValidationError('{"parent": 3, …}')
        return value


class PolicyView(APIView):
    permission_classes = [HasRole.of(*MANAGE_ROLES, read=CORRECT_ROLES)]

    def get(self, request):
        return Response(
            {
                "current": policy_data(policy_on(timezone.localdate())),
                "versions": [policy_data(p) for p in WorkforcePolicy.objects.all()],
            }
        )

    def post(self, request):
        serializer = PolicySerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        effective_from = values.pop("effective_from")
        policy = policy_create(effective_from=effective_from, actor=request.user, values=values)
        return Response(policy_data(policy), status=status.HTTP_201_CREATED)


def warning_data(warning: DisciplineWarning) -> dict:
    return {
        "id": warning.pk,
        "user": warning.user_id,
        "reason": warning.reason,
        "evidence": warning.evidence,
        "has_file": bool(warning.evidence_file),
        "issued_by": warning.issued_by_id,
        "issued_at": moment(warning.issued_at),
    }


def flag_data(flag: DismissalReviewFlag) -> dict:
    return {
        "id": flag.pk,
        "user": person(flag.user),
        "rule": flag.rule,
        "evidence": flag.evidence,
        "created_at": moment(flag.created_at),
        "reviewed_by": flag.reviewed_by_id,
        "reviewed_at": moment(flag.reviewed_at),
        "decision": flag.decision,
        "note": flag.note,
    }


class WarningSerializer(serializers.Serializer):
    user = UserField()
    reason = serializers.CharField(max_length=200)
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class WarningListView(APIView):
    permission_classes = [HasRole.of(*MANAGE_ROLES)]

    def get(self, request):
        warnings = DisciplineWarning.objects.all()
        if request.query_params.get("user", "").isdigit():
            warnings = warnings.filter(user_id=int(request.query_params["user"]))
        return Response([warning_data(w) for w in warnings[:500]])

    def post(self, request):
        serializer = WarningSerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        warning = warning_issue(user=data["user"], reason=data["reason"], evidence=data["evidence"], actor=request.user)
        return Response(warning_data(warning), status=status.HTTP_201_CREATED)


class ReviewFlagListView(APIView):
    permission_classes = [HasRole.of(*MANAGE_ROLES)]

    def get(self, request):
        flags = DismissalReviewFlag.objects.select_related("user")
        if request.query_params.get("open") in ("1", "true"):
            flags = flags.filter(reviewed_at__isnull=True)
        return Response([flag_data(f) for f in flags[:500]])


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["dismiss", "keep"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ReviewFlagDecideView(APIView):
    permission_classes = [HasRole.of(*MANAGE_ROLES)]

    def post(self, request, pk: int):
        flag = get_object_or_404(DismissalReviewFlag, pk=pk)
        serializer = DecisionSerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        flag = review_decide(flag=flag, decision=data["decision"], note=data["note"], actor=request.user)
        return Response(flag_data(flag))
