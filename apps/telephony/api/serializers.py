from rest_framework import serializers

from apps.telephony.choices import SeatRegistrationMode
from apps.telephony.models import PhoneNumber, Seat, Trunk


class SeatSerializer(serializers.ModelSerializer):
    class Meta:
        model = Seat
        fields = [
            "id",
            "extension",
            "sip_username",
            "label",
            "is_remote",
            "registration_mode",
            "created_at",
            "secret_reset_at",
        ]
        read_only_fields = fields


class SeatUpdateSerializer(serializers.Serializer):
    registration_mode = serializers.ChoiceField(
        choices=SeatRegistrationMode.choices,
        help_text="browser: a new credential at every agent login; desk_phone: the seat's own secret.",
    )


class SeatAddSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class SeatSecretSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    extension = serializers.CharField()
    sip_username = serializers.CharField()
    secret = serializers.CharField(help_text="Shown once; only its digest is stored.")


class TrunkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Trunk
        fields = [
            "id",
            "name",
            "kind",
            "carrier",
            "channels",
            "caller_id",
            "codecs",
            "per_minute_rate",
            "monthly_rental",
            "is_default",
        ]
        read_only_fields = [
            "id",
            "kind",
            "carrier",
            "channels",
            "codecs",
            "per_minute_rate",
            "monthly_rental",
            "is_default",
        ]


class PhoneNumberSerializer(serializers.ModelSerializer):
    class Meta:
        model = PhoneNumber
        fields = ["id", "number", "name", "trunk", "caller_id"]
        read_only_fields = ["id", "number", "trunk"]


class RenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    caller_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
