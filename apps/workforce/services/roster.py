"""Shift types and the roster: assigning, removing, copying, rotations and publishing.

Shifts are drafts until published; publishing a range makes them count for attendance and tells
each agent once (a notification naming the dates). A shift's instants are materialised from its
type and date in the company's time zone when assigned.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.notifications.services import notify
from apps.workforce import rules
from apps.workforce.choices import ShiftStatus
from apps.workforce.models import RotationPattern, Shift, ShiftType
from apps.workforce.selectors.policy import tenant_zone

KIND_ROSTER_PUBLISHED = "workforce.roster_published"
KIND_SHIFT_CHANGED = "workforce.shift_changed"
MAX_RANGE_DAYS = 62


def _invalid(message, **fields) -> ApplicationError:
    return ApplicationError("invalid", message, fields={k: [v] for k, v in fields.items()})


@transaction.atomic
def shift_type_create(
    *, code: str, name: str, start: dt.time, end: dt.time, break_minutes: int = 0, colour: str = "#4f7cff"
) -> ShiftType:
    code = (code or "").strip()
    if not code:
        raise _invalid(_("Enter a code."), code=_("Required."))
    if ShiftType.objects.filter(code=code).exists():
        raise _invalid(_("A shift type with this code exists."), code=_("Already used."))
    shift_type = ShiftType(
        code=code, name=(name or code).strip(), start=start, end=end, break_minutes=break_minutes, colour=colour
    )
    _check_type(shift_type)
    shift_type.save()
    return shift_type


@transaction.atomic
def shift_type_update(*, shift_type: ShiftType, **values) -> ShiftType:
    """Changes apply to shifts assigned from now on; shifts already rostered keep their times."""
    for name in ("code", "name", "start", "end", "break_minutes", "colour", "is_active"):
        if name in values:
            setattr(shift_type, name, values[name])
    if ShiftType.objects.filter(code=shift_type.code).exclude(pk=shift_type.pk).exists():
        raise _invalid(_("A shift type with this code exists."), code=_("Already used."))
    _check_type(shift_type)
    shift_type.save()
    return shift_type


def _check_type(shift_type: ShiftType) -> None:
    begins, ends = rules.shift_instants(dt.date(2026, 1, 5), shift_type.start, shift_type.end, dt.UTC)
    if shift_type.break_minutes >= (ends - begins).total_seconds() / 60:
        raise _invalid(_("The break is longer than the shift."), break_minutes=_("Too long."))
    if len(shift_type.colour or "") != 7 or not shift_type.colour.startswith("#"):
        raise _invalid(_("A colour is #RRGGBB."), colour=_("Use #RRGGBB."))
    try:
        int(shift_type.colour[1:], 16)
    except ValueError as error:
        raise _invalid(_("A colour is #RRGGBB."), colour=_("Use #RRGGBB.")) from error


def _materialise(shift: Shift, shift_type: ShiftType) -> None:
    shift.shift_type = shift_type
    shift.start, shift.end = rules.shift_instants(shift.date, shift_type.start, shift_type.end, tenant_zone())
    shift.break_minutes = shift_type.break_minutes


@transaction.atomic
def shift_assign(*, user: User, day: dt.date, shift_type: ShiftType, actor: User | None = None) -> Shift:
    """Put ``user`` on ``shift_type`` on ``day`` (replacing what they had that day). A change to a
    published shift stays published and tells the agent."""
    if not user.is_active:
        raise _invalid(_("This user is deactivated."), user=_("Deactivated."))
    if not shift_type.is_active:
        raise _invalid(_("This shift type is retired."), shift_type=_("Retired."))
    shift = Shift.objects.select_for_update().filter(user=user, date=day).first()
    if shift is None:
        shift = Shift(user=user, date=day)
    changed_published = shift.pk is not None and shift.status == ShiftStatus.PUBLISHED
    _materialise(shift, shift_type)
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError as error:  # a concurrent assign of the same person and day
        raise ApplicationError("conflict", _("This day was just changed; reload."), status=409) from error
    if changed_published:
        notify(
            users=[user],
            kind=KIND_SHIFT_CHANGED,
            title=_("Your shift on %(date)s changed: %(shift)s"),
            params={"date": day.isoformat(), "shift": f"{shift_type.name} {shift_type.start:%H:%M}"},
            url="/workforce/schedule/",
        )
    return shift


@transaction.atomic
def shift_remove(*, shift: Shift, actor: User | None = None) -> None:
    if shift.status == ShiftStatus.PUBLISHED:
        notify(
            users=[shift.user],
            kind=KIND_SHIFT_CHANGED,
            title=_("Your shift on %(date)s was removed"),
            params={"date": shift.date.isoformat()},
            url="/workforce/schedule/",
        )
    shift.delete()


def _check_range(since: dt.date, until: dt.date) -> None:
    if until < since:
        raise _invalid(_("The end is before the start."), until=_("Before the start."))
    if (until - since).days >= MAX_RANGE_DAYS:
        raise _invalid(_("At most %(days)s days at once.") % {"days": MAX_RANGE_DAYS}, until=_("Too far."))


@transaction.atomic
def roster_publish(*, since: dt.date, until: dt.date, actor: User | None, user_ids: list[int] | None = None) -> int:
    """Publish the drafts of ``since``–``until`` (optionally only these people); each agent with
    a newly published shift is told once. Returns how many shifts were published."""
    _check_range(since, until)
    drafts = Shift.objects.select_for_update().filter(status=ShiftStatus.DRAFT, date__range=(since, until))
    if user_ids is not None:
        drafts = drafts.filter(user_id__in=user_ids)
    rows = list(drafts.order_by("pk").values_list("pk", "user_id", "date"))
    if not rows:
        return 0
    now = timezone.now()
    Shift.objects.filter(pk__in=[pk for pk, _user, _day in rows]).update(status=ShiftStatus.PUBLISHED, published_at=now)
    dates: dict[int, list[dt.date]] = defaultdict(list)
    for _pk, user_id, day in rows:
        dates[user_id].append(day)
    people = User.objects.filter(pk__in=list(dates))
    for person in people:
        days = sorted(dates[person.pk])
        notify(
            users=[person],
            kind=KIND_ROSTER_PUBLISHED,
            title=_("Your schedule for %(since)s to %(until)s is published"),
            body=_("%(count)s shifts, from %(first)s to %(last)s."),
            params={
                "since": since.isoformat(),
                "until": until.isoformat(),
                "count": len(days),
                "first": days[0].isoformat(),
                "last": days[-1].isoformat(),
            },
            url="/workforce/schedule/",
        )
    audit_record(
        action="workforce.roster_published",
        actor=actor,
        extra={"since": since.isoformat(), "until": until.isoformat(), "shifts": len(rows), "people": len(dates)},
    )
    return len(rows)


@transaction.atomic
def roster_copy_week(
    *, source_monday: dt.date, target_monday: dt.date, actor: User | None = None, user_ids: list[int] | None = None
) -> int:
    """Copy a week's shifts (any status) to another week as drafts; days that already have a
    shift in the target week are left alone. Returns how many were created."""
    if source_monday.weekday() != 0 or target_monday.weekday() != 0:
        raise _invalid(_("Weeks start on a Monday."), target=_("Choose a Monday."))
    offset = target_monday - source_monday
    source = Shift.objects.filter(date__range=(source_monday, source_monday + dt.timedelta(days=6)))
    if user_ids is not None:
        source = source.filter(user_id__in=user_ids)
    taken = set(
        Shift.objects.filter(date__range=(target_monday, target_monday + dt.timedelta(days=6))).values_list(
            "user_id", "date"
        )
    )
    created = []
    for shift in source.select_related("shift_type"):
        day = shift.date + offset
        if (shift.user_id, day) in taken:
            continue
        new = Shift(user_id=shift.user_id, date=day)
        _materialise(new, shift.shift_type)
        created.append(new)
    Shift.objects.bulk_create(created)
    return len(created)


@transaction.atomic
def rotation_apply(
    *,
    pattern: RotationPattern,
    user: User,
    since: dt.date,
    until: dt.date,
    start_step: int = 0,
    actor: User | None = None,
) -> int:
    """Lay ``pattern`` over ``since``–``until`` for ``user`` as drafts, starting at ``start_step``;
    a "" step is a day off (a draft there is removed, a published shift is kept)."""
    _check_range(since, until)
    steps = list(pattern.steps or [])
    if not steps:
        raise _invalid(_("The pattern has no steps."), pattern=_("Empty."))
    types = {t.code: t for t in ShiftType.objects.filter(code__in=[s for s in steps if s])}
    missing = sorted({s for s in steps if s and s not in types})
    if missing:
        raise _invalid(_("Unknown shift types: %(codes)s") % {"codes": ", ".join(missing)}, pattern=_("Unknown."))
    count = 0
    day = since
    index = start_step % len(steps)
    while day <= until:
        code = steps[index]
        if code:
            shift_assign(user=user, day=day, shift_type=types[code], actor=actor)
            count += 1
        else:
            Shift.objects.filter(user=user, date=day, status=ShiftStatus.DRAFT).delete()
        day += dt.timedelta(days=1)
        index = (index + 1) % len(steps)
    return count
