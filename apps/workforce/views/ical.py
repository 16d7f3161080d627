"""The agent's schedule as an iCalendar feed (RFC 5545) at a secret per-user URL, for phone and
desktop calendars that cannot log in.

The token is an HMAC of the company's schema, the user's id and their password hash, so the URL
works only on its own company's host, names one person, and changes (the old one stops working)
when the password changes — the way to revoke a link that leaked. Only published shifts from
:data:`PAST_DAYS` ago to :data:`FUTURE_DAYS` ahead are listed. The writer follows RFC 5545: CRLF
line ends, lines folded at 75 octets, TEXT values escaped, times in UTC.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from apps.accounts.models import User
from apps.core.tenancy import current_schema
from apps.workforce.models import Shift
from apps.workforce.selectors.roster import my_shifts

PAST_DAYS = 31
FUTURE_DAYS = 92
PRODID = "-//Hosted Contact Center//Workforce schedule//EN"


def feed_token(user: User) -> str:
    digest = salted_hmac(
        "workforce.ical", f"{current_schema()}:{user.pk}:{user.password}", algorithm="sha256"
    ).hexdigest()
    return f"{user.pk}-{digest[:40]}"


def user_for_token(token: str) -> User | None:
    user_id, _sep, _digest = token.partition("-")
    if not user_id.isdigit():
        return None
    user = get_user_model().objects.filter(pk=int(user_id), is_active=True).first()
    if user is None or not hmac.compare_digest(feed_token(user), token):
        return None
    return user


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character (RFC 5545 §3.1)."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_text(shifts: Iterable[Shift], *, name: str, host: str, now: dt.datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for shift in shifts:
        kind = shift.shift_type
        description = kind.name
        if shift.break_minutes:
            description += f" ({shift.break_minutes} min break)"
        if shift.note:
            description += f"\n{shift.note}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:shift-{shift.pk}@{host}",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART:{_utc(shift.start)}",
            f"DTEND:{_utc(shift.end)}",
            f"SUMMARY:{_escape(f'{kind.code} {kind.name}')}",
            f"DESCRIPTION:{_escape(description)}",
            f"LAST-MODIFIED:{_utc(shift.updated_at)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def schedule_feed(request, token: str):
    """GET only, no session: the token is the credential."""
    user = user_for_token(token)
    if user is None:
        raise Http404
    today = timezone.localdate()
    shifts = my_shifts(user, today - dt.timedelta(days=PAST_DAYS), today + dt.timedelta(days=FUTURE_DAYS))
    host = request.get_host().split(":")[0]
    body = calendar_text(shifts, name=user.get_full_name() or user.email, host=host, now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="schedule.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
