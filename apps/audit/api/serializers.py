from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.audit.choices import ActorKind
from apps.audit.models import AuditEntry


class AuditActorSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActorKind.choices)
    id = serializers.IntegerField(allow_null=True, help_text="A user id of this tenant, or of platform staff.")
    email = serializers.CharField()
    name = serializers.CharField()


class AuditObjectSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()
    repr = serializers.CharField()


class AuditEntrySerializer(serializers.ModelSerializer):
    time = serializers.DateTimeField(source="created_at")
    action_label = serializers.CharField()
    actor = serializers.SerializerMethodField()
    object = serializers.SerializerMethodField()
    details = serializers.JSONField(source="extra")

    class Meta:
        model = AuditEntry
        fields = ["id", "time", "action", "action_label", "actor", "object", "before", "after", "details"]
        fields += ["ip_address", "user_agent"]
        read_only_fields = fields

    @extend_schema_field(AuditActorSerializer)
    def get_actor(self, entry: AuditEntry) -> dict[str, Any]:
        data = {"kind": entry.actor_kind, "id": entry.actor_id, "email": entry.actor_email, "name": entry.actor_name}
        return AuditActorSerializer(data).data

    @extend_schema_field(AuditObjectSerializer)
    def get_object(self, entry: AuditEntry) -> dict[str, Any]:
        return AuditObjectSerializer({"type": entry.target_type, "id": entry.target_id, "repr": entry.target_repr}).data


class AuditSettingsSerializer(serializers.Serializer):
    retention_days = serializers.IntegerField(
        allow_null=True, min_value=1, help_text="Days to keep entries; null: the platform default."
    )
    effective_days = serializers.IntegerField(read_only=True)
