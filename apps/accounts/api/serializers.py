from rest_framework import serializers

from apps.accounts.choices import Role
from apps.accounts.models import ApiToken, User


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="With two-factor authentication on: the code."
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), required=False)

    class Meta:
        model = User
        fields = ["id", "email", "name", "roles", "language", "is_active", "date_joined", "last_login"]
        read_only_fields = ["id", "date_joined", "last_login"]


class UserCreateSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    roles = serializers.ListField(child=serializers.CharField(max_length=16), allow_empty=True)
    password = serializers.CharField(max_length=128, required=False, allow_blank=True, trim_whitespace=False)


class UserUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    roles = serializers.ListField(child=serializers.CharField(max_length=16), required=False)
    is_active = serializers.BooleanField(required=False)
    language = serializers.CharField(max_length=8, required=False, allow_blank=True)
    password = serializers.CharField(max_length=128, required=False, trim_whitespace=False)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    language = serializers.CharField()
    tenant = serializers.CharField(allow_null=True)


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "user", "created_at", "last_used_at", "expires_at"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Optional; refused from then on."
    )


class TwoFactorStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    # DRF's metaclass moves declared fields off the class, so this does not shadow Field.required
    # at run time; the stubs see a class attribute.
    required = serializers.BooleanField()  # type: ignore[assignment]
    recovery_codes_left = serializers.IntegerField()


class SecurityPolicySerializer(serializers.Serializer):
    require_admin_two_factor = serializers.BooleanField()


class ApiTokenIssuedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The token itself: shown once, never again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
