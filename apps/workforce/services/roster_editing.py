"""The roster editor's operations (/workforce/roster/): set one cell of the grid, copy last week,
lay a rotation pattern over several people and dates, keep rotation patterns.

Each one goes through the roster services of ``services/roster.py`` (assign, remove, copy a week,
apply a rotation, publish), which own the rules (materialised instants, drafts, telling agents
when a published shift changes); this module adds what the grid needs around them: a cell given
by ids, several people at once, the pattern's steps checked against the shift types.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError, NotFoundError
from apps.workforce.models import RotationPattern, Shift, ShiftType
from apps.workforce.services.roster import roster_copy_week, rotation_apply, shift_assign, shift_remove

MAX_PATTERN_STEPS = 56


def _invalid(message, **fields) -> ApplicationError:
    return ApplicationError("invalid", message, fields={name: [text] for name, text in fields.items()})


@transaction.atomic
def roster_cell_set(*, actor: User, user: User, day: dt.date, shift_type: ShiftType | None) -> Shift | None:
    """Put ``user`` on ``shift_type`` on ``day``, or take them off (``None``). Returns the shift
    now in the cell (None when the day is off)."""
    if shift_type is None:
        existing = Shift.objects.select_for_update().filter(user=user, date=day).first()
        if existing is not None:
            shift_remove(shift=existing, actor=actor)
        return None
    return shift_assign(user=user, day=day, shift_type=shift_type, actor=actor)


@transaction.atomic
def roster_copy_previous_week(*, actor: User, monday: dt.date, user_ids: list[int] | None = None) -> int:
    """Copy the week before ``monday`` into the week from ``monday`` as drafts (days that already
    have a shift are kept). Returns how many shifts were added."""
    if monday.weekday() != 0:
        raise _invalid(_("Weeks start on a Monday."), week=_("Choose a Monday."))
    return roster_copy_week(
        source_monday=monday - dt.timedelta(days=7), target_monday=monday, actor=actor, user_ids=user_ids
    )


@transaction.atomic
def rotation_apply_people(
    *,
    actor: User,
    pattern: RotationPattern,
    users: list[User],
    since: dt.date,
    until: dt.date,
    start_step: int = 0,
    stagger: bool = False,
) -> int:
    """Lay ``pattern`` over ``since``–``until`` for each of ``users``. With ``stagger`` the n-th
    person starts n steps further on (a team on a 4-shift rotation covers every shift each day).
    Returns how many shifts were set."""
    if not users:
        raise _invalid(_("Choose at least one person."), users=_("Required."))
    if start_step < 0:
        raise _invalid(_("The first step is 1 or more."), start_step=_("Too small."))
    count = 0
    for index, person in enumerate(sorted(users, key=lambda u: (u.name, u.email))):
        step = start_step + (index if stagger else 0)
        count += rotation_apply(pattern=pattern, user=person, since=since, until=until, start_step=step, actor=actor)
    return count


def parse_steps(text: str) -> list[str]:
    """Steps as typed: shift-type codes separated by commas or spaces; ``-`` or ``off`` is a day off."""
    raw = [part.strip() for part in text.replace("，", ",").replace(",", " ").split()]
    return ["" if part.lower() in ("-", "off", "休") else part for part in raw if part]


@transaction.atomic
def rotation_pattern_save(*, name: str, steps: list[str], pattern: RotationPattern | None = None) -> RotationPattern:
    """Create (or rename and re-step) a rotation pattern; every step is a known shift type's code
    or a day off."""
    name = (name or "").strip()
    if not name:
        raise _invalid(_("Name the pattern."), name=_("Required."))
    if not steps or not any(steps):
        raise _invalid(_("A pattern needs at least one working step."), steps=_("Required."))
    if len(steps) > MAX_PATTERN_STEPS:
        raise _invalid(_("At most %(count)s steps.") % {"count": MAX_PATTERN_STEPS}, steps=_("Too many."))
    known = set(ShiftType.objects.filter(code__in=[s for s in steps if s]).values_list("code", flat=True))
    unknown = sorted({s for s in steps if s and s not in known})
    if unknown:
        raise _invalid(_("Unknown shift types: %(codes)s") % {"codes": ", ".join(unknown)}, steps=_("Unknown codes."))
    clash = RotationPattern.objects.filter(name=name)
    if pattern is not None:
        clash = clash.exclude(pk=pattern.pk)
    if clash.exists():
        raise _invalid(_("A pattern with this name exists."), name=_("Already used."))
    pattern = pattern or RotationPattern()
    pattern.name = name
    pattern.steps = steps
    pattern.save()
    return pattern


def rotation_pattern_get(pk: int) -> RotationPattern:
    pattern = RotationPattern.objects.filter(pk=pk).first()
    if pattern is None:
        raise NotFoundError("not_found", _("No such rotation pattern."))
    return pattern


@transaction.atomic
def rotation_pattern_delete(*, pattern: RotationPattern) -> None:
    """Shifts a pattern laid are ordinary shifts: deleting the pattern leaves them."""
    pattern.delete()
