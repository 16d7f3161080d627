from rest_framework import serializers

from apps.crm.models import Customer


class CustomerSerializer(serializers.ModelSerializer):
    phones = serializers.ListField(child=serializers.CharField(max_length=40), default=list)

    class Meta:
        model = Customer
        fields = ["id", "name", "phones", "is_vip", "notes", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"name": {"validators": []}, "notes": {"required": False}}
