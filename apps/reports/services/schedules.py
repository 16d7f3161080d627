"""Scheduled delivery: a report e-mailed to users of the tenant every day, week or month.

Every minute the beat task ``reports.schedules_due`` looks, in each tenant, for active schedules
whose ``next_run_at`` has passed (:func:`schedules_claim_due`). Claiming a schedule moves its
``next_run_at`` to the following occurrence in the same transaction (row locks, ``SKIP LOCKED``),
so two beat ticks or two workers never send the same occurrence twice; the sending itself runs
in the task ``reports.send_schedule`` (:func:`schedule_send`), which Celery retries with backoff
when rendering or mailing fails. The outcome is written on the schedule (``last_status``,
``last_error``) for the schedules page.

Times are wall-clock times in the schedule's own time zone (zoneinfo): "07:00 every day" stays
07:00 across a daylight-saving change. A wall time that does not exist that day (skipped by a
spring-forward) is sent at the same offset as before the change (an hour later on the clock), one
that happens twice is sent once, at its first occurrence.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from apps.reports import registry
from apps.reports.models.runs import (
    DeliveryStatus,
    Frequency,
    ReportRun,
    ReportSchedule,
    RunStatus,
)
from apps.reports.services.runs import failure_text, render_file

logger = logging.getLogger(__name__)

# The filters a schedule keeps; the period is the one that just ended (see schedule_period).
SCHEDULE_FILTERS = ("queue", "agent", "campaign", "interval_minutes")


def zone_of(schedule: ReportSchedule) -> ZoneInfo:
    try:
        return ZoneInfo(schedule.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def _at(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """``day`` at wall time ``at`` in ``zone``, in UTC (fold=0: the first of a repeated hour)."""
    return dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC)


def _month_day(year: int, month: int, wanted: int) -> dt.date:
    return dt.date(year, month, min(wanted, calendar.monthrange(year, month)[1]))


def next_run_after(schedule: ReportSchedule, after: dt.datetime) -> dt.datetime:
    """The first occurrence of ``schedule`` strictly after ``after`` (UTC)."""
    zone = zone_of(schedule)
    local_day = after.astimezone(zone).date()
    at = schedule.time_of_day
    if schedule.frequency == Frequency.DAILY:
        for offset in range(3):
            candidate = _at(local_day + dt.timedelta(days=offset), at, zone)
            if candidate > after:
                return candidate
    elif schedule.frequency == Frequency.WEEKLY:
        weekday = schedule.weekday if schedule.weekday is not None else 0
        for offset in range(15):
            day = local_day + dt.timedelta(days=offset)
            if day.weekday() == weekday and (candidate := _at(day, at, zone)) > after:
                return candidate
    else:
        wanted = schedule.day_of_month or 1
        year, month = local_day.year, local_day.month
        for _ in range(3):
            candidate = _at(_month_day(year, month, wanted), at, zone)
            if candidate > after:
                return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable: an occurrence is always within the searched range")


def schedule_period(schedule: ReportSchedule, occurrence: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The whole local period that ended before ``occurrence``: the previous day (daily), the
    previous 7 days (weekly) or the previous calendar month (monthly). Days, not the send time:
    a report sent at 07:00 covers yesterday from midnight to midnight."""
    zone = zone_of(schedule)
    today = occurrence.astimezone(zone).date()
    if schedule.frequency == Frequency.DAILY:
        first = today - dt.timedelta(days=1)
        end = today
    elif schedule.frequency == Frequency.WEEKLY:
        first = today - dt.timedelta(days=7)
        end = today
    else:
        end = today.replace(day=1)
        first = (end - dt.timedelta(days=1)).replace(day=1)
    return _at(first, dt.time(), zone), _at(end, dt.time(), zone)


def _check(schedule: ReportSchedule) -> None:
    errors: dict[str, list[str]] = {}
    try:
        registry.get(schedule.report_code)
    except KeyError:
        errors["report_code"] = [gettext("Unknown report.")]
    try:
        ZoneInfo(schedule.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = [gettext("Unknown time zone.")]
    if schedule.frequency == Frequency.WEEKLY and schedule.weekday is None:
        errors["weekday"] = [gettext("Choose the day of the week.")]
    if schedule.frequency == Frequency.MONTHLY and not (1 <= (schedule.day_of_month or 0) <= 31):
        errors["day_of_month"] = [gettext("Choose a day from 1 to 31.")]
    params = {key: value for key, value in (schedule.params or {}).items() if key in SCHEDULE_FILTERS}
    try:
        registry.ReportParams.from_query(params)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


def schedule_save(schedule: ReportSchedule, *, recipients: list[Any], now: dt.datetime | None = None) -> ReportSchedule:
    """Create or change a schedule: validate it, keep only the filters a schedule may hold,
    compute its next occurrence, and set its recipients (users of this tenant with an e-mail).

    Raises ``ValidationError`` naming the field; nothing is saved then."""
    _check(schedule)
    active_users = [user for user in recipients if user.is_active and user.email]
    if not active_users:
        raise ValidationError({"recipients": [gettext("Choose at least one active user with an e-mail address.")]})
    schedule.params = {key: value for key, value in (schedule.params or {}).items() if key in SCHEDULE_FILTERS}
    if schedule.frequency != Frequency.WEEKLY:
        schedule.weekday = None
    if schedule.frequency != Frequency.MONTHLY:
        schedule.day_of_month = None
    schedule.next_run_at = next_run_after(schedule, now or timezone.now()) if schedule.active else None
    with transaction.atomic():
        schedule.save()
        schedule.recipients.set(active_users)
    return schedule


def schedules_claim_due(now: dt.datetime | None = None) -> list[tuple[int, str]]:
    """Claim the current tenant's due schedules: ``[(schedule id, occurrence ISO)]``, each
    schedule's ``next_run_at`` already moved on. A schedule missed for several periods (workers
    down) is sent once, for the latest occurrence, not once per missed period."""
    now = now or timezone.now()
    claimed: list[tuple[int, str]] = []
    with transaction.atomic():
        due = (
            ReportSchedule.objects.select_for_update(skip_locked=True)
            .filter(active=True, next_run_at__lte=now)
            .order_by("next_run_at", "pk")
        )
        for schedule in due:
            occurrence = schedule.next_run_at
            assert occurrence is not None  # noqa: S101 -- filtered on next_run_at <= now
            following = next_run_after(schedule, occurrence)
            while following <= now:
                occurrence, following = following, next_run_after(schedule, following)
            schedule.next_run_at = following
            schedule.save(update_fields=["next_run_at"])
            claimed.append((schedule.pk, occurrence.isoformat()))
    return claimed


def schedule_send(schedule_id: int, occurrence: dt.datetime, *, attempt: int = 1) -> ReportRun | None:
    """Render the schedule's report for the period before ``occurrence`` and e-mail it.

    Raises on failure (the task retries); :func:`schedule_record_failure` writes the error.
    ``None`` when the schedule was deleted or deactivated meanwhile."""
    schedule = ReportSchedule.objects.filter(pk=schedule_id, active=True).first()
    if schedule is None:
        return None
    since, until = schedule_period(schedule, occurrence)
    params = {**schedule.params, "since": since.isoformat(), "until": until.isoformat()}
    run = ReportRun.objects.create(
        report_code=schedule.report_code,
        format=schedule.format,
        params=params,
        status=RunStatus.RUNNING,
        requested_by=schedule.created_by,
        schedule=schedule,
        attempts=attempt,
    )
    language = _language_of(schedule)
    with translation.override(language):
        content, filename = render_file(schedule.report_code, params, schedule.format)
        report = registry.get(schedule.report_code)
        recipients = sorted(user.email for user in schedule.recipients.filter(is_active=True) if user.email)
        if not recipients:
            raise ValidationError({"recipients": [gettext("No active recipient with an e-mail address.")]})
        zone = zone_of(schedule)
        period = f"{since.astimezone(zone):%Y-%m-%d} – {(until.astimezone(zone) - dt.timedelta(days=1)):%Y-%m-%d}"
        message = EmailMessage(
            subject=gettext("%(report)s, %(period)s") % {"report": report.title, "period": period},
            body=gettext(
                "The report %(report)s for %(period)s (%(zone)s) is attached.\n\n"
                "You receive it because you are a recipient of a report schedule; "
                "a supervisor or administrator can change it on the Report schedules page."
            )
            % {"report": report.title, "period": period, "zone": zone.key},
            to=recipients,
        )
        message.attach(filename, content, registry.CONTENT_TYPES[schedule.format])
        message.send(fail_silently=False)
    from django.core.files.base import ContentFile  # noqa: PLC0415 -- only here

    run.file.save(filename, ContentFile(content), save=False)
    run.filename, run.size, run.status, run.finished_at = filename, len(content), RunStatus.DONE, timezone.now()
    run.save(update_fields=["file", "filename", "size", "status", "finished_at"])
    ReportSchedule.objects.filter(pk=schedule.pk).update(
        last_run_at=timezone.now(), last_status=DeliveryStatus.SENT, last_error=""
    )
    return run


def _language_of(schedule: ReportSchedule) -> str:
    """The language the schedule's author reads (their own setting, else the tenant's)."""
    author = schedule.created_by
    tenant = getattr(connection, "tenant", None)
    return getattr(author, "language", "") or getattr(tenant, "default_language", "") or "zh-hans"


def schedule_record_failure(schedule_id: int, error: BaseException, *, final: bool) -> None:
    """Show a failed attempt on the schedules page: ``retrying`` while Celery will try again,
    ``failed`` after the last attempt. The run made for the attempt, if any, is marked failed."""
    text = failure_text(error)
    ReportSchedule.objects.filter(pk=schedule_id).update(
        last_run_at=timezone.now(),
        last_status=DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING,
        last_error=text,
    )
    ReportRun.objects.filter(schedule_id=schedule_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, error=text, finished_at=timezone.now()
    )


def schedule_delete(schedule: ReportSchedule) -> None:
    """Delete a schedule; its past runs stay (their files are the record of what was sent)."""
    schedule.delete()
