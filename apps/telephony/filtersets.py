"""FilterSets shared by the REST API and the web pages (NetBox style): one definition of what
"filter calls by queue" means."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.forms import InstantFilter
from apps.core.widgets import DateInput, DateTimeInput
from apps.crm.phones import normalize_phone
from apps.telephony.choices import CallAnalysisFlag, CallDirection, CallStatus
from apps.telephony.models import Agent, Call, CallbackRequest, Disposition, Queue, Voicemail
from apps.telephony.selectors.analysis import calls_filter_analysis

_DATETIME = DateTimeInput()


class AnyYesNo(forms.NullBooleanSelect):
    """A yes/no filter whose empty choice reads "All" (Django's says "Unknown", which on a filter
    bar reads as a third kind of call)."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", _("All")), ("true", _("Yes")), ("false", _("No"))]


class AgentChoiceField(forms.ModelChoiceField):
    """Agents by name: the filter is read by colleagues, who have no business with each other's e-mails."""

    def label_from_instance(self, obj: Agent) -> str:
        return obj.user.get_short_name()


class AgentFilter(django_filters.ModelChoiceFilter):
    field_class = AgentChoiceField


class CallFilterSet(django_filters.FilterSet):
    since = InstantFilter(field_name="arrived_at", lookup_expr="gte", label=_("Arrived from"), widget=_DATETIME)
    until = InstantFilter(field_name="arrived_at", lookup_expr="lt", label=_("Arrived before"), widget=_DATETIME)
    queue = django_filters.ModelChoiceFilter(queryset=Queue.objects.all(), label=_("Queue"))
    agent = AgentFilter(queryset=Agent.objects.select_related("user").order_by("user__name", "id"), label=_("Agent"))
    direction = django_filters.ChoiceFilter(choices=CallDirection.choices, label=_("Direction"))
    status = django_filters.ChoiceFilter(choices=CallStatus.choices, label=_("Status"))
    abandoned = django_filters.BooleanFilter(label=_("Abandoned"), widget=AnyYesNo)
    disposition = django_filters.ModelChoiceFilter(
        queryset=Disposition.objects.all(), to_field_name="code", label=_("Disposition")
    )
    caller = django_filters.CharFilter(method="filter_caller", label=_("Caller"))
    customer = django_filters.NumberFilter(field_name="customer_id", label=_("Customer"))
    campaign = django_filters.NumberFilter(field_name="campaign_id", label=_("Campaign"))
    # The automatic analysis of the recording (apps/telephony/analysis).
    flag = django_filters.ChoiceFilter(choices=CallAnalysisFlag.choices, method="filter_flag", label=_("Analysis flag"))
    flagged = django_filters.BooleanFilter(method="filter_flagged", label=_("Flagged by analysis"), widget=AnyYesNo)
    dead_air_over = django_filters.NumberFilter(
        field_name="analysis__longest_silence_seconds",
        lookup_expr="gt",
        min_value=0,
        label=_("Dead air longer than (s)"),
    )
    overtalk_at_least = django_filters.NumberFilter(
        field_name="analysis__overtalk_count", lookup_expr="gte", min_value=0, label=_("Overtalk at least (times)")
    )

    class Meta:
        model = Call
        fields: list[str] = []

    def filter_flag(self, queryset, name, value):
        return calls_filter_analysis(queryset, flags=[value]) if value else queryset

    def filter_flagged(self, queryset, name, value):
        return queryset if value is None else calls_filter_analysis(queryset, flagged=value)

    def filter_caller(self, queryset, name, value):
        """Part of the caller number, ignoring spaces and dashes."""
        value = normalize_phone(value)
        if not value:
            return queryset
        return queryset.filter(Q(caller__contains=value) | Q(caller__contains=value.lstrip("+")))


class VoicemailFilterSet(django_filters.FilterSet):
    queue = django_filters.ModelChoiceFilter(queryset=Queue.objects.all(), label=_("Queue"))
    heard = django_filters.BooleanFilter(
        field_name="heard_at", lookup_expr="isnull", exclude=True, label=_("Heard"), widget=AnyYesNo
    )
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Assigned to me"), widget=AnyYesNo)
    assigned = django_filters.BooleanFilter(
        field_name="assigned_to", lookup_expr="isnull", exclude=True, label=_("Assigned"), widget=AnyYesNo
    )

    class Meta:
        model = Voicemail
        fields: list[str] = []

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value is None or not (user and user.is_authenticated):
            return queryset
        return queryset.filter(assigned_to=user) if value else queryset.exclude(assigned_to=user)


class CallbackFilterSet(django_filters.FilterSet):
    queue = django_filters.ModelChoiceFilter(queryset=Queue.objects.all(), label=_("Queue"))
    status = django_filters.ChoiceFilter(choices=CallbackRequest._meta.get_field("status").choices, label=_("Status"))
    since = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("Requested from"), widget=DateInput()
    )
    until = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("Requested until"), widget=DateInput()
    )

    class Meta:
        model = CallbackRequest
        fields: list[str] = []
