"""The ticket FilterSet, shared by ``GET /api/v1/tickets`` and the ticket list page.

Every filter maps to an indexed column of the ticket table (apps/crm/models/tickets.py), so the
list stays fast over a million tickets; ``q`` (number or words of the title) is the exception and
is meant for a person typing, not for scripts.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.crm.choices import TicketPriority, TicketStatus
from apps.crm.models import OPEN_STATUSES, Department, Ticket, TicketCategory
from apps.crm.selectors.tickets import assignable_users, due_soon_condition, overdue_condition

OPEN = "open"
ME, NOBODY = "me", "none"
OVERDUE, DUE_SOON = "overdue", "soon"


class TicketFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(OPEN, _("Open (not resolved yet)")), *TicketStatus.choices],
        method="filter_status",
    )
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=TicketPriority.choices)
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=TicketCategory.objects.order_by("name"))
    department = django_filters.ModelChoiceFilter(label=_("Department"), queryset=Department.objects.order_by("name"))
    assignee = django_filters.ChoiceFilter(label=_("Assignee"), method="filter_assignee")
    breached = django_filters.BooleanFilter(label=_("Target missed"))
    due = django_filters.ChoiceFilter(
        label=_("Due"), choices=[(OVERDUE, _("Overdue")), (DUE_SOON, _("Due soon"))], method="filter_due"
    )
    customer = django_filters.NumberFilter(label=_("Customer"), field_name="customer_id")
    q = django_filters.CharFilter(label=_("Number or title"), method="filter_search")

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        people = [(str(pk), name or email) for pk, name, email in assignable_users().values_list("pk", "name", "email")]
        self.filters["assignee"].extra["choices"] = [(ME, _("Me")), (NOBODY, _("Nobody")), *people]

    def filter_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_assignee(self, queryset, name, value):
        if value == ME:
            return queryset.filter(assignee_id=getattr(getattr(self.request, "user", None), "pk", None))
        if value == NOBODY:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    def filter_due(self, queryset, name, value):
        now = timezone.now()
        return queryset.filter(overdue_condition(now) if value == OVERDUE else due_soon_condition(now))

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("T-"):
            return queryset.filter(number=value.upper())
        return queryset.filter(Q(title__icontains=value) | Q(number__endswith=value))
