"""Customer serializers. Output goes through :func:`customer_payload` (custom values as the
requesting user may see them); input is only shaped here and validated by the services, so the
API, the pages and the import share one set of rules."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.crm.choices import VIP_LEVEL_MAX
from apps.crm.custom_fields import may_unmask, present
from apps.crm.models import Customer, CustomerImport, CustomerNote, CustomField
from apps.crm.selectors.customers import custom_field_list


class CustomerSerializer(serializers.ModelSerializer):
    """A customer; ``custom`` is ``{key: value}`` with the fields the user may see, sensitive
    values masked (``1101**********1234``) for roles without permission, ``masked`` lists those keys."""

    phones = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    vip_level = serializers.IntegerField(min_value=0, max_value=VIP_LEVEL_MAX, required=False)
    custom = serializers.DictField(required=False, help_text='{"field key": value}; null or "" removes a value.')
    masked = serializers.SerializerMethodField(help_text="Keys of custom values shown masked to you.")
    primary_phone = serializers.CharField(read_only=True)
    primary_email = serializers.CharField(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "phones",
            "primary_phone",
            "emails",
            "primary_email",
            "tags",
            "is_vip",
            "vip_level",
            "owner_user",
            "owner_team",
            "custom",
            "masked",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            "name": {"validators": [], "required": False},
            "notes": {"required": False},
            "is_vip": {"required": False},
            "owner_user": {"required": False, "allow_null": True},
            "owner_team": {"required": False, "allow_null": True},
        }

    def _view(self) -> tuple[list[str], list[CustomField]]:
        cache: dict[str, Any] = self.__dict__.setdefault("_crm_view", {})  # per serializer: one query for many rows
        if not cache:
            request = self.context.get("request")
            cache["roles"] = list(getattr(getattr(request, "user", None), "roles", None) or [])
            cache["fields"] = custom_field_list()
        return cache["roles"], cache["fields"]

    def to_representation(self, instance: Customer) -> dict[str, Any]:
        data = super().to_representation(instance)
        roles, fields = self._view()
        custom: dict[str, Any] = {}
        masked: list[str] = []
        for field in fields:
            if field.visible_roles and not set(field.visible_roles) & set(roles):
                continue
            value, is_masked = present(field, instance.custom.get(field.key), roles)
            if value is None:
                continue
            custom[field.key] = value
            if is_masked:
                masked.append(field.key)
        data["custom"] = custom
        data["masked"] = masked
        return data

    def get_masked(self, instance: Customer) -> list[str]:
        return []  # filled in by to_representation

    def writable_data(self, instance: Customer | None = None) -> dict[str, Any]:
        """The validated input for the services, less what the user could not have meant to write:
        a custom value they may not see, or a masked value sent back unchanged."""
        data = dict(self.validated_data)
        custom = data.get("custom")
        if custom is not None:
            roles, fields = self._view()
            by_key = {field.key: field for field in fields}
            kept = {}
            for key, value in custom.items():
                field = by_key.get(key)
                if field is not None and instance is not None and not may_unmask(field, roles):
                    shown, _masked = present(field, instance.custom.get(key), roles)
                    if value == shown:
                        continue  # the mask sent back: leave the stored value alone
                kept[key] = value
            data["custom"] = kept
        return data


class CustomerMergeSerializer(serializers.Serializer):
    survivor = serializers.IntegerField(help_text="The customer that stays.")
    other = serializers.IntegerField(help_text="The customer merged into the survivor, then deleted.")


class CustomerNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerNote
        fields = ["id", "customer", "author", "body", "created_at"]
        read_only_fields = ["id", "customer", "author", "created_at"]


class TimelineItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["call", "ticket", "survey", "note"])
    at = serializers.DateTimeField()
    title = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField(allow_null=True)


class CustomFieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomField
        fields = [
            "id",
            "key",
            "label",
            "field_type",
            "choices",
            "required",
            "unique",
            "sensitive",
            "visible_roles",
            "unmasked_roles",
            "position",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "key": {"validators": [], "required": False},
            "label": {"required": False},
            "field_type": {"required": False},
        }


class CustomerImportSerializer(serializers.ModelSerializer):
    has_error_report = serializers.SerializerMethodField()

    class Meta:
        model = CustomerImport
        fields = [
            "id",
            "file_name",
            "file_format",
            "columns",
            "sample",
            "mapping",
            "status",
            "error_message",
            "rows_total",
            "rows_processed",
            "rows_imported",
            "rows_invalid",
            "rows_duplicate",
            "progress_percent",
            "has_error_report",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "rows_checkpoint",
            "attempts",
        ]
        read_only_fields = fields

    def get_has_error_report(self, job: CustomerImport) -> bool:
        return bool(job.error_report)


class CustomerImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)
    mapping = serializers.JSONField(
        required=False,
        help_text='Optional {"column": "name"|"phone"|"email"|"tags"|"vip_level"|"notes"|"owner"|"custom.<key>"}; '
        "given, the import starts at once.",
    )


class MappingSerializer(serializers.Serializer):
    mapping = serializers.JSONField()
