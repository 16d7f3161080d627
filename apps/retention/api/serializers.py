from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import serializers

from apps.retention.models import LegalHold, PurgeRun, RetentionPolicy
from apps.retention.services import retention_days

if TYPE_CHECKING:
    from apps.telephony.models import Call


class RetentionPolicySerializer(serializers.ModelSerializer):
    """The tenant's choice per kind (null: the platform default) and the days in force."""

    in_force = serializers.SerializerMethodField()

    class Meta:
        model = RetentionPolicy
        fields = ["recordings_days", "calls_days", "contacts_days", "in_force", "updated_at", "updated_by"]
        read_only_fields = ["in_force", "updated_at", "updated_by"]

    def get_in_force(self, policy) -> dict[str, int]:
        return retention_days(policy)


class LegalHoldSerializer(serializers.ModelSerializer):
    call: serializers.SlugRelatedField[Call] = serializers.SlugRelatedField(slug_field="uid", read_only=True)

    class Meta:
        model = LegalHold
        fields = ["call", "reason", "placed_by", "placed_at"]


class LegalHoldCreateSerializer(serializers.Serializer):
    call = serializers.CharField(max_length=64)
    reason = serializers.CharField(max_length=200)


class PurgeRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = PurgeRun
        fields = [
            "id",
            "started_at",
            "finished_at",
            "recordings_before",
            "calls_before",
            "contacts_before",
            "recordings_deleted",
            "calls_deleted",
            "contacts_deleted",
            "agent_events_deleted",
            "files_missing",
            "held_skipped",
            "error",
        ]
