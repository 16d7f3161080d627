from __future__ import annotations

from rest_framework import serializers

from apps.tenants.choices import Language
from apps.tenants.models import Plan, Tenant


class SignupSerializer(serializers.Serializer):
    """Types only; the business rules live in ``signup_validate``."""

    company = serializers.CharField(max_length=200, trim_whitespace=True)
    slug = serializers.CharField(max_length=64)
    admin_email = serializers.CharField(max_length=254)
    admin_password = serializers.CharField(max_length=128, trim_whitespace=False)
    seats = serializers.IntegerField()
    plan = serializers.CharField(max_length=32)
    language = serializers.ChoiceField(choices=Language.choices, required=False, default=None, allow_null=True)


class SignupResultSerializer(serializers.Serializer):
    tenant = serializers.CharField()
    domain = serializers.CharField()
    seats = serializers.IntegerField()
    admin_email = serializers.EmailField()
    provisioned_ms = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)


class PlatformTenantSerializer(serializers.ModelSerializer):
    plan: serializers.SlugRelatedField[Plan] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    domain = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = [
            "id",
            "slug",
            "name",
            "plan",
            "status",
            "seat_count",
            "number_pending",
            "created",
            "default_language",
            "time_zone",
            "domain",
            "delete_after",
        ]
        read_only_fields = fields

    def get_domain(self, obj: Tenant) -> str | None:
        domain = obj.domains.filter(is_primary=True).first()
        return domain.domain if domain else None
