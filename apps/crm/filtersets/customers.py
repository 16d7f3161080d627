"""The customer FilterSet, shared by the API and the web list."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from apps.crm.models import Customer
from apps.crm.phones import phone_variants
from apps.crm.selectors import customer_list


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search name or number"))
    phone = django_filters.CharFilter(method="filter_phone", label=_("Phone number (exact)"))
    email = django_filters.CharFilter(method="filter_email", label=_("E-mail address (exact)"))
    tag = django_filters.CharFilter(method="filter_tag", label=_("Tag"))
    vip_level = django_filters.NumberFilter(label=_("VIP level"))
    owner_user = django_filters.NumberFilter(field_name="owner_user_id", label=_("Owner"))
    is_vip = django_filters.BooleanFilter(label=_("VIP"))

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(pk__in=customer_list(search=value).values("pk"))

    def filter_phone(self, queryset, name, value):
        variants = phone_variants(value)
        return queryset.filter(phones__overlap=variants) if variants else queryset.none()

    def filter_email(self, queryset, name, value):
        return queryset.filter(emails__contains=[value.strip().lower()])

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value.strip()])
