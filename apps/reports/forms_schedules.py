"""The report schedule form (/reports/schedules/new/ and …/<id>/): which report, which filters,
when, in which time zone, in which format, to whom. Validation of the schedule as a whole is the
service's (apps/reports/services/schedules.py); the form offers only valid choices."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.db import connection
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.widgets import TimeInput
from apps.reports import registry
from apps.reports.models.runs import ReportSchedule
from apps.telephony.models import Agent, Campaign, Queue

INTERVALS = ((15, _("15 minutes")), (30, _("30 minutes")), (60, _("60 minutes")))


class RecipientsField(forms.ModelMultipleChoiceField):
    """Users of this tenant by name and address (the address is where the report goes)."""

    def label_from_instance(self, obj: User) -> str:
        return f"{obj.name} <{obj.email}>" if obj.name else obj.email


class AgentsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Agent) -> str:
        return obj.user.get_short_name()


def report_choices() -> list[tuple[str, str]]:
    return [(report.code, str(report.title)) for report in registry.all_reports()]


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


class ScheduleForm(forms.ModelForm):
    report_code = forms.ChoiceField(label=_("Report"), choices=report_choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    # Querysets are evaluated per form, in the request's tenant schema.
    recipients = RecipientsField(
        queryset=User.objects.filter(is_active=True).exclude(email="").order_by("name", "email"),
        label=_("Recipients"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Users of your company; the report is attached to one e-mail to all of them."),
    )
    queues = forms.ModelMultipleChoiceField(
        queryset=Queue.objects.filter(is_scratch=False).order_by("name"),
        label=_("Queues"),
        required=False,
        help_text=_("None chosen: all."),
    )
    agents = AgentsField(
        queryset=Agent.objects.none(), label=_("Agents"), required=False, help_text=_("None chosen: all.")
    )
    campaigns = forms.ModelMultipleChoiceField(
        queryset=Campaign.objects.order_by("name"),
        label=_("Campaigns"),
        required=False,
        help_text=_("None chosen: all."),
    )
    interval_minutes = forms.TypedChoiceField(label=_("Interval"), choices=INTERVALS, coerce=int, initial=30)

    class Meta:
        model = ReportSchedule
        fields = ["report_code", "format", "frequency", "weekday", "day_of_month", "time_of_day", "time_zone", "active"]
        # The project's time box (apps/core/widgets.py, decision 0021): "09:30", hint in the page's language.
        widgets = {"time_of_day": TimeInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["day_of_month"].widget.attrs.update({"min": 1, "max": 31})
        if self.instance.pk:
            params = self.instance.params or {}
            self.initial["recipients"] = list(self.instance.recipients.values_list("pk", flat=True))
            self.initial["queues"] = params.get("queue", [])
            self.initial["agents"] = params.get("agent", [])
            self.initial["campaigns"] = params.get("campaign", [])
            self.initial["interval_minutes"] = params.get("interval_minutes", 30)
        else:
            tenant = getattr(connection, "tenant", None)
            self.initial.setdefault("time_zone", getattr(tenant, "time_zone", None) or "Asia/Shanghai")

    def schedule(self) -> ReportSchedule:
        """The schedule with the form's values (not saved: the service validates and saves)."""
        schedule = self.save(commit=False)
        data = self.cleaned_data
        params: dict[str, Any] = {"interval_minutes": data.get("interval_minutes") or 30}
        for key, field in (("queue", "queues"), ("agent", "agents"), ("campaign", "campaigns")):
            if data.get(field):
                params[key] = sorted(obj.pk for obj in data[field])
        schedule.params = params
        return schedule

    # Service field names → this form's fields, for its ValidationError.
    FIELD_OF = {"queue": "queues", "agent": "agents", "campaign": "campaigns"}

    def add_service_errors(self, message_dict: dict[str, list[str]]) -> None:
        for field, messages in message_dict.items():
            name = self.FIELD_OF.get(field, field)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
