"""The one do-not-call (and consent) number search: the lists' pages and ``GET /api/v1/dnc`` /
``GET /api/v1/consents`` (``?number=``) match the same way.

The rule, chosen for people typing into a search box: a query that is a whole valid number
(in any format: ``138 0013 8000``, ``+86 138-0013-8000``) finds that number exactly, by its
E.164 form; anything else finds every number containing the query's digits (``8000`` finds
``+8613800138000``); a query without digits finds nothing. Before, the pages matched like this
and the API only exactly, so a partial number found rows on the page and none in the API. The
page's rule won: for a whole number the two agreed already, and a partial one is what a search
is for.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from apps.telephony.dialer.numbers import normalize_number
from apps.telephony.models import Consent, DoNotCall

_M = TypeVar("_M", bound=Model)


def number_search(queryset: QuerySet[_M], query: str | None) -> QuerySet[_M]:
    """``queryset`` (of rows with a ``number`` field) narrowed to the numbers ``query`` matches;
    unchanged for an empty query."""
    query = (query or "").strip()
    if not query:
        return queryset
    number = normalize_number(query)
    if number is not None:
        return queryset.filter(number=number)
    digits = "".join(ch for ch in query if ch.isdigit())
    return queryset.filter(number__contains=digits) if digits else queryset.none()


def dnc_search(query: str | None, queryset: QuerySet[DoNotCall] | None = None) -> QuerySet[DoNotCall]:
    """Do-not-call entries matching ``query`` (newest first unless ``queryset`` says otherwise)."""
    base = queryset if queryset is not None else DoNotCall.objects.order_by("-created_at", "-id")
    return number_search(base, query)


def consent_search(query: str | None, queryset: QuerySet[Consent] | None = None) -> QuerySet[Consent]:
    """Consent records matching ``query``, by the same rule."""
    base = queryset if queryset is not None else Consent.objects.order_by("-granted_at", "-id")
    return number_search(base, query)
