"""The report pages' forms: the filter bar every report shows (only the filters the report
declares), and the tenant's KPI settings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.widgets import DateInput
from apps.reports.models import KpiSettings
from apps.reports.registry import DEFAULT_GRAIN, ReportParams, extra_filters
from apps.telephony.filtersets import AgentChoiceField
from apps.telephony.models import Agent, Campaign, Queue

# A report over more than this many days is an export job, not a page.
MAX_DAYS = 400
INTERVALS = ((15, _("15 minutes")), (30, _("30 minutes")), (60, _("60 minutes")))
GRAINS = (
    ("day", pgettext_lazy("period", "Day")),
    ("week", pgettext_lazy("period", "Week")),
    ("month", pgettext_lazy("period", "Month")),
)


def default_days() -> tuple[date, date]:
    """The last 7 whole days in the tenant's time zone (today is not over yet)."""
    today = timezone.localdate()
    return today - timedelta(days=7), today - timedelta(days=1)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class ReportFilterForm(forms.Form):
    """since/until are whole days, *until* included; a report runs from the start of *since* to
    the end of *until* in the tenant's time zone."""

    # The project's date box (apps/core/widgets.py, decision 0021): ISO order, a calendar in the page's language.
    since = forms.DateField(label=_("From"), widget=DateInput(), required=False)
    until = forms.DateField(label=_("To (included)"), widget=DateInput(), required=False)
    # An empty choice means every queue (agent, campaign): it reads "All", as on the other filter bars.
    queue = forms.ModelChoiceField(
        queryset=Queue.objects.none(), label=_("Queue"), required=False, empty_label=_("All")
    )
    agent = AgentChoiceField(queryset=Agent.objects.none(), label=_("Agent"), required=False, empty_label=_("All"))
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), label=_("Campaign"), required=False, empty_label=_("All")
    )
    interval_minutes = forms.TypedChoiceField(
        label=_("Interval"), choices=INTERVALS, coerce=int, required=False, empty_value=None
    )
    grain = forms.ChoiceField(label=_("Grouped by"), choices=GRAINS, required=False)

    def __init__(self, data=None, *, filters: tuple[str, ...] = ("since", "until", "queue"), **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        shown = {"interval_minutes" if name == "interval" else name for name in filters}
        for name in list(self.fields):
            if name not in shown:
                del self.fields[name]
        choices: dict[str, Any] = {
            "queue": Queue.objects.filter(is_scratch=False).order_by("name"),
            "agent": Agent.objects.select_related("user").order_by("user__name", "id"),
            "campaign": Campaign.objects.order_by("name"),
        }
        for name, queryset in choices.items():
            field = self.fields.get(name)
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = queryset
        # A department's filters (registry.register_filter) that this report declares: one choice each.
        self.extra_names = [name for name in extra_filters() if name in shown]
        for name in self.extra_names:
            id_filter = extra_filters()[name]
            self.fields[name] = forms.ModelChoiceField(
                queryset=id_filter.choices(), label=str(id_filter.label), required=False, empty_label=_("All")
            )
        if "grain" in self.fields:
            self.fields["grain"].initial = DEFAULT_GRAIN
        first, last = default_days()
        for name, day in (("since", first), ("until", last)):
            if name in self.fields:
                self.fields[name].initial = day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = default_days()
        since = data.get("since") or first
        until = data.get("until") or last
        if "since" in self.errors or "until" in self.errors:
            return data
        earliest, latest = date(2000, 1, 1), timezone.localdate() + timedelta(days=366)
        for name, day in (("since", since), ("until", until)):
            if not earliest <= day <= latest:
                self.add_error(
                    name, _("Choose a day between %(first)s and %(last)s.") % {"first": earliest, "last": latest}
                )
        if self.errors:
            return data
        if until < since:
            self.add_error("until", _("The last day is before the first day."))
        elif (until - since).days + 1 > MAX_DAYS:
            self.add_error("until", _("A report covers at most %(days)s days.") % {"days": MAX_DAYS})
        data["since"], data["until"] = since, until
        return data

    def params(self) -> ReportParams:
        """The validated filters as the report framework's parameters (call after is_valid)."""
        data = self.cleaned_data
        return ReportParams(
            since=day_start(data["since"]),
            until=day_start(data["until"] + timedelta(days=1)),
            queue_ids=[data["queue"].pk] if data.get("queue") else [],
            agent_ids=[data["agent"].pk] if data.get("agent") else [],
            campaign_ids=[data["campaign"].pk] if data.get("campaign") else [],
            interval_minutes=data.get("interval_minutes") or 30,
            ids={name: [data[name].pk] for name in self.extra_names if data.get(name)},
            grain=data.get("grain") or DEFAULT_GRAIN,
        )

    def query(self) -> dict[str, str]:
        """The filters as GET parameters (export links, the schedule link)."""
        data = self.cleaned_data
        query = {"since": data["since"].isoformat(), "until": data["until"].isoformat()}
        for name in ("queue", "agent", "campaign"):
            if data.get(name):
                query[name] = str(data[name].pk)
        for name in self.extra_names:
            if data.get(name):
                query[name] = str(data[name].pk)
        if "grain" in self.fields:
            query["grain"] = data.get("grain") or DEFAULT_GRAIN
        if "interval_minutes" in self.fields:
            query["interval_minutes"] = str(data.get("interval_minutes") or 30)
        return query


class KpiSettingsForm(forms.ModelForm):
    class Meta:
        model = KpiSettings
        fields = [
            "fcr_window_hours",
            "fcr_resolved_counts",
            "short_abandons_excluded",
            "abandon_rate_target_percent",
            "asa_target_seconds",
            "fcr_target_percent",
            "occupancy_target_percent",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("abandon_rate_target_percent", "fcr_target_percent", "occupancy_target_percent"):
            value = data.get(name)
            if value is not None and not 0 <= value <= 100:
                self.add_error(name, _("Enter a percentage between 0 and 100."))
        return data
