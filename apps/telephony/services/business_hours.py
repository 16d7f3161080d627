"""Business hours and their holiday overrides (what IVR hours nodes branch on)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import available_timezones

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.telephony.choices import IvrFlowStatus
from apps.telephony.ivr import schema
from apps.telephony.ivr.hours import interval_errors, weekly_errors
from apps.telephony.models import BusinessHours, HolidayOverride, IvrFlowVersion


def _problem_text(code: str) -> str:
    return {
        "not_a_list": _("A list of [start, end] pairs."),
        "not_an_object": _("An object with mon … sun."),
        "bad_interval": _('Each interval is ["HH:MM", "HH:MM"].'),
        "empty_interval": _("An interval must end after it starts."),
        "overlap": _("Intervals must be in order and must not overlap."),
        "unknown_day": _("Days are mon, tue, wed, thu, fri, sat, sun."),
    }.get(code, code)


def _clean(
    *,
    name: str | None,
    time_zone: str | None,
    weekly: Any,
    makeup_day_hours: Any,
    exclude: int | None = None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if name is not None:
        if not name.strip():
            errors["name"] = [_("This field is required.")]
        elif len(name) > 100:
            errors["name"] = [_("At most 100 characters.")]
        elif BusinessHours.objects.filter(name__iexact=name.strip()).exclude(pk=exclude or 0).exists():
            errors["name"] = [_("Business hours with this name exist.")]
    if time_zone is not None and time_zone not in available_timezones():
        errors["time_zone"] = [_("Unknown time zone.")]
    if weekly is not None:
        for day, codes in weekly_errors(weekly).items():
            errors[f"weekly.{day}" if day != "weekly" else "weekly"] = [_problem_text(code) for code in codes]
    if makeup_day_hours is not None:
        codes = interval_errors(makeup_day_hours)
        if codes:
            errors["makeup_day_hours"] = [_problem_text(code) for code in codes]
    return errors


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ApplicationError("invalid", _("The business hours have invalid fields."), fields=errors)


@transaction.atomic
def business_hours_create(
    *,
    name: str,
    time_zone: str = "Asia/Shanghai",
    weekly: dict | None = None,
    follow_chinese_holidays: bool = True,
    makeup_day_hours: list | None = None,
) -> BusinessHours:
    hours = BusinessHours(
        name=(name or "").strip(), time_zone=time_zone, follow_chinese_holidays=follow_chinese_holidays
    )
    if weekly is not None:
        hours.weekly = weekly
    hours.makeup_day_hours = makeup_day_hours or []
    _raise(_clean(name=name or "", time_zone=time_zone, weekly=hours.weekly, makeup_day_hours=hours.makeup_day_hours))
    hours.save()
    return hours


@transaction.atomic
def business_hours_update(*, hours: BusinessHours, **fields: Any) -> BusinessHours:
    allowed = {"name", "time_zone", "weekly", "follow_chinese_holidays", "makeup_day_hours"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    _raise(
        _clean(
            name=fields.get("name"),
            time_zone=fields.get("time_zone"),
            weekly=fields.get("weekly"),
            makeup_day_hours=fields.get("makeup_day_hours"),
            exclude=hours.pk,
        )
    )
    for key, value in fields.items():
        setattr(hours, key, value.strip() if key == "name" else value)
    if fields:
        hours.save(update_fields=list(fields))
    return hours


def business_hours_users(hours: BusinessHours) -> list[IvrFlowVersion]:
    """Draft and published flow versions whose graph branches on these hours."""
    versions = IvrFlowVersion.objects.filter(status__in=[IvrFlowStatus.DRAFT, IvrFlowStatus.PUBLISHED]).select_related(
        "flow"
    )
    return [v for v in versions if hours.pk in schema.references(v.graph, schema.FieldKind.HOURS)]


@transaction.atomic
def business_hours_delete(*, hours: BusinessHours) -> None:
    users = business_hours_users(hours)
    if users:
        names = ", ".join(sorted({f"{v.flow.name} v{v.number}" for v in users}))
        raise ApplicationError(
            "in_use", _("These flows branch on these hours: %(flows)s. Change them first.") % {"flows": names}
        )
    hours.delete()


@transaction.atomic
def holiday_override_set(
    *, hours: BusinessHours, date: dt.date, is_open: bool = False, open_hours: list | None = None, name: str = ""
) -> HolidayOverride:
    """Close (or open, with hours) one date, replacing any override already on it."""
    open_hours = open_hours or []
    errors: dict[str, list[str]] = {}
    codes = interval_errors(open_hours)
    if codes:
        errors["open_hours"] = [_problem_text(code) for code in codes]
    if open_hours and not is_open:
        errors["open_hours"] = [_("A closed day has no hours.")]
    if len(name or "") > 100:
        errors["name"] = [_("At most 100 characters.")]
    if errors:
        raise ApplicationError("invalid", _("The override has invalid fields."), fields=errors)
    override, _created = HolidayOverride.objects.update_or_create(
        hours=hours, date=date, defaults={"is_open": is_open, "open_hours": open_hours, "name": name or ""}
    )
    return override


@transaction.atomic
def holiday_override_delete(*, override: HolidayOverride) -> None:
    override.delete()
