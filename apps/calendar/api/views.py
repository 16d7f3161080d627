"""The holiday calendar's API: the platform operator's (public host, /api/v1/platform/calendar/…)
and the tenant's merged view and exceptions (tenant host, /api/v1/calendar/…)."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.response import Response

from apps.calendar import selectors, services
from apps.calendar.api.serializers import (
    CoverageSerializer,
    ImportResultSerializer,
    ImportSerializer,
    PlatformDaySerializer,
    TenantDaySerializer,
    YearOfficialSerializer,
    YearSerializer,
)
from apps.calendar.models import TenantCalendarDay
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError

YEAR = OpenApiParameter("year", int, description="The year (default: this year).")


def _year(request) -> int:
    raw = request.query_params.get("year") or str(selectors.today().year)
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise ApplicationError(
            "invalid", _("Choose a year between 2000 and 2100."), fields={"year": [_("Out of range.")]}
        )
    return int(raw)


def _year_body(year: int, tenant=None) -> dict:
    snapshot = selectors.calendar_for(tenant)
    return {"year": year, "official": snapshot.is_official_year(year), "days": snapshot.year_days(year)}


# --- platform ---------------------------------------------------------------------------------------


@extend_schema(parameters=[YEAR], responses={200: YearSerializer})
@api_view(["GET"])
@permission_classes([IsAdminUser])
def platform_year(request):
    """The platform calendar of a year: stored days and, for a year not officially covered, the
    provisional holidays computed by rule."""
    return Response(YearSerializer(_year_body(_year(request))).data)


@extend_schema(request=PlatformDaySerializer, responses={201: PlatformDaySerializer})
@api_view(["POST"])
@permission_classes([IsAdminUser])
def platform_day_set(request):
    """Add or replace the entry of one date (wins over a provisional day)."""
    serializer = PlatformDaySerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    day = services.calendar_day_set(**serializer.validated_data, user=request.user)
    return Response(PlatformDaySerializer(day).data, status=status.HTTP_201_CREATED)


@extend_schema(responses={204: None})
@api_view(["DELETE"])
@permission_classes([IsAdminUser])
def platform_day_delete(request, date: str):
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise ApplicationError("invalid", _("Not a date (YYYY-MM-DD)."), fields={"date": [_("Not a date.")]}) from None
    services.calendar_day_delete(date=day)
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(request=YearOfficialSerializer, responses={200: YearSerializer})
@api_view(["POST"])
@permission_classes([IsAdminUser])
def platform_year_official(request, year: int):
    """Mark a year officially covered once its whole schedule is entered (or take the mark back)."""
    serializer = YearOfficialSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    services.calendar_year_set_official(year=year, **serializer.validated_data)
    return Response(YearSerializer(_year_body(year)).data)


@extend_schema(request={"multipart/form-data": ImportSerializer}, responses={201: ImportResultSerializer})
@api_view(["POST"])
@permission_classes([IsAdminUser])
@parser_classes([MultiPartParser, FormParser])
def platform_import(request):
    """Import the State Council schedule of one year (CSV or JSON; see docs/operations.md)."""
    serializer = ImportSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    upload = serializer.validated_data["file"]
    if upload.size > services.MAX_IMPORT_BYTES:
        raise ApplicationError(
            "invalid_file", _("The file is too large (at most 256 KB)."), fields={"file": [_("Too large.")]}
        )
    result = services.calendar_import(
        content=upload.read(), filename=upload.name or "", year=serializer.validated_data.get("year"), user=request.user
    )
    return Response(ImportResultSerializer(result).data, status=status.HTTP_201_CREATED)


@extend_schema(
    parameters=[OpenApiParameter("days", int, description="How far ahead (default 60).")],
    responses={200: CoverageSerializer},
)
@api_view(["GET"])
@permission_classes([IsAdminUser])
def platform_coverage(request):
    """Which of the next days the official schedule does not cover yet, and the provisional days."""
    raw = request.query_params.get("days", str(selectors.WARN_DAYS))
    days = int(raw) if raw.isdigit() and 0 < int(raw) <= 3660 else selectors.WARN_DAYS
    start = selectors.today()
    result = selectors.coverage(start + dt.timedelta(days=days), start=start)
    body = {
        "start": result.start,
        "until": result.until,
        "complete": result.complete,
        "uncovered": [list(pair) for pair in result.uncovered],
        "provisional": result.provisional,
    }
    return Response(CoverageSerializer(body).data)


# --- tenant -----------------------------------------------------------------------------------------


@extend_schema(parameters=[YEAR], responses={200: YearSerializer})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def tenant_year(request):
    """The calendar of a year as it applies to this company: the platform's days with the
    company's own exceptions on top."""
    return Response(YearSerializer(_year_body(_year(request), request.tenant)).data)


class CalendarOverrideViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The company's exceptions to the holiday calendar: an extra closed day, or a holiday worked.
    Creating one on a date that already has one replaces it."""

    serializer_class = TenantDaySerializer
    permission_classes = [HasRole.of("tenant_admin", read=("supervisor",))]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TenantCalendarDay.objects.none()
        return TenantCalendarDay.objects.filter(tenant=self.request.tenant).order_by("date")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = services.tenant_day_set(tenant=request.tenant, **serializer.validated_data)
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        row = self.get_object()
        serializer = self.get_serializer(row, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = {"date": row.date, "kind": row.kind, "name": row.name, **serializer.validated_data}
        if data["date"] != row.date:
            services.tenant_day_delete(row=row)
        row = services.tenant_day_set(tenant=request.tenant, **data)
        return Response(self.get_serializer(row).data)

    def destroy(self, request, *args, **kwargs):
        services.tenant_day_delete(row=get_object_or_404(self.get_queryset(), pk=kwargs["pk"]))
        return Response(status=status.HTTP_204_NO_CONTENT)
