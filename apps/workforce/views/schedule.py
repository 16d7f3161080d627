"""The agent's own schedule (/workforce/schedule/): their published shifts of a month, each day
as the company's calendar has it (holidays, make-up workdays), and the link of their iCal feed.
Everyone with a login has one; drafts stay the planner's until published."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from apps.workforce.forms.schedule import MonthForm
from apps.workforce.selectors.roster import calendar_days, month_range, my_shifts
from apps.workforce.views.ical import feed_token


@login_required
def my_schedule(request):
    form = MonthForm(request.GET or None)
    today = timezone.localdate()
    since, until = month_range(form.first_day(today))
    shifts = {shift.date: shift for shift in my_shifts(request.user, since, until)}
    days = [(info, shifts.get(info.date)) for info in calendar_days(since, until)]
    minutes = sum(int((s.end - s.start).total_seconds() // 60) - s.break_minutes for s in shifts.values())
    feed = request.build_absolute_uri(reverse("workforce:schedule_feed", args=[feed_token(request.user)]))
    context = {
        "form": form,
        "since": since,
        "days": days,
        "shift_count": len(shifts),
        "hours": round(minutes / 60, 1),
        "today": today,
        "feed_url": feed,
        "previous_month": (since - dt.timedelta(days=1)).strftime("%Y-%m"),
        "next_month": (until + dt.timedelta(days=1)).strftime("%Y-%m"),
    }
    return render(request, "workforce/schedule.html", context)
