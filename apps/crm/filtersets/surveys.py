"""The survey-response FilterSet, shared by ``GET /api/v1/survey-responses`` and the responses page."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from apps.core.forms import InstantFilter
from apps.core.widgets import DateTimeInput
from apps.crm.models import SurveyResponse
from apps.crm.surveys.choices import FollowUpStatus, SurveyChannel
from apps.crm.surveys.scoring import LOW_SCORE_MAX, SCORE_MAX, SCORE_MIN
from apps.telephony.filtersets import AgentFilter
from apps.telephony.models import Agent, Queue

LOW = "low"
_DATETIME = DateTimeInput()


class SurveyResponseFilterSet(django_filters.FilterSet):
    since = InstantFilter(field_name="answered_at", lookup_expr="gte", label=_("Answered from"), widget=_DATETIME)
    until = InstantFilter(field_name="answered_at", lookup_expr="lt", label=_("Answered before"), widget=_DATETIME)
    score = django_filters.ChoiceFilter(
        label=_("Score"),
        choices=[(LOW, _("Low (1–%(max)s)") % {"max": LOW_SCORE_MAX})]
        + [(str(score), str(score)) for score in range(SCORE_MIN, SCORE_MAX + 1)],
        method="filter_score",
    )
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=SurveyChannel.choices)
    queue = django_filters.ModelChoiceFilter(queryset=Queue.objects.filter(is_scratch=False), label=_("Queue"))
    agent = AgentFilter(queryset=Agent.objects.select_related("user").order_by("user__name", "id"), label=_("Agent"))
    follow_up = django_filters.ChoiceFilter(
        label=_("Follow-up"), choices=FollowUpStatus.choices, field_name="follow_up_status"
    )

    class Meta:
        model = SurveyResponse
        fields: list[str] = []

    def filter_score(self, queryset, name, value):
        if value == LOW:
            return queryset.filter(score__lte=LOW_SCORE_MAX)
        return queryset.filter(score=int(value))
