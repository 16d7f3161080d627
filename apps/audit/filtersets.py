"""The audit filters, shared by the page, the API and the exports (one meaning of "filter")."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.audit.choices import AuditAction
from apps.audit.models import AuditEntry
from apps.core.widgets import DateInput

_DATE = DateInput()


class AuditEntryFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(method="filter_actor", label=_("Who"), max_length=254)
    action = django_filters.MultipleChoiceFilter(choices=AuditAction.choices, label=_("Action"))
    object_type = django_filters.CharFilter(field_name="target_type", label=_("Object type"), max_length=64)
    object_id = django_filters.CharFilter(field_name="target_id", label=_("Object id"), max_length=64)
    since = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("From"), widget=_DATE)
    until = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("To"), widget=_DATE)

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def filter_actor(self, queryset, name, value):
        """An actor id, or part of the actor's email or name."""
        value = value.strip()
        if not value:
            return queryset
        match = Q(actor_email__icontains=value) | Q(actor_name__icontains=value)
        if value.isdigit():
            match |= Q(actor_id=int(value))
        return queryset.filter(match)
