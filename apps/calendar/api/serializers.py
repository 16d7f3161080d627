from __future__ import annotations

from rest_framework import serializers

from apps.calendar.choices import DayKind, DaySource, TenantDayKind
from apps.calendar.models import TenantCalendarDay


class DayInfoSerializer(serializers.Serializer):
    """One special date as the calendar answers it (merged: tenant exception, platform, provisional)."""

    date = serializers.DateField()
    kind = serializers.CharField(help_text="holiday, in_lieu, makeup; for a tenant exception closed or worked")
    is_working_day = serializers.BooleanField()
    source = serializers.CharField(help_text="official, provisional, manual or tenant")  # type: ignore[assignment]  # the field, not Field.source
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    platform_kind = serializers.CharField()
    platform_source = serializers.CharField()


class YearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    official = serializers.BooleanField(help_text="The year's official schedule is in the calendar.")
    days = DayInfoSerializer(many=True)


class PlatformDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=DayKind.choices)
    name_zh = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    name_en = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(choices=DaySource.choices, required=False, default=DaySource.MANUAL)  # type: ignore[assignment]


class YearOfficialSerializer(serializers.Serializer):
    official = serializers.BooleanField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


class ImportResultSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    days = serializers.IntegerField()


class CoverageSerializer(serializers.Serializer):
    start = serializers.DateField()
    until = serializers.DateField()
    complete = serializers.BooleanField()
    uncovered = serializers.ListField(child=serializers.ListField(child=serializers.DateField()))
    provisional = DayInfoSerializer(many=True)


class TenantDaySerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=TenantDayKind.choices)

    class Meta:
        model = TenantCalendarDay
        fields = ["id", "date", "kind", "name"]
