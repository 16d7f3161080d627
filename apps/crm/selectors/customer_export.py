"""The customers export: one row per customer, custom values as the exporting user may see them.

Rows go out through :mod:`apps.core.exports` (formula injection neutralised, XLSX text as strings);
a sensitive value is masked for a role that may not see it whole, exactly as on the page, and a
field the role may not see is not a column at all. The caller audits the download
(:func:`customers_export_audit`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.crm.custom_fields import display_text, may_see, present
from apps.crm.models import Customer
from apps.crm.selectors.customers import custom_field_list

CHUNK = 2000


def customer_export_rows(customers: QuerySet[Customer], *, roles: Sequence[str]) -> Iterator[list[Any]]:
    """A header row, then one row per customer (streamed in chunks; the query is not held)."""
    fields = [field for field in custom_field_list() if may_see(field, roles)]
    yield [
        _("ID"),
        _("Name"),
        _("Phone numbers"),
        _("E-mail addresses"),
        _("Tags"),
        _("VIP level"),
        _("Owner"),
        *[field.label for field in fields],
        _("Notes"),
        _("Created"),
    ]
    rows = customers.select_related("owner_user", "owner_team").order_by("id")
    for customer in rows.iterator(chunk_size=CHUNK):
        owner = customer.owner_user or customer.owner_team
        values = []
        for field in fields:
            value, masked = present(field, customer.custom.get(field.key), roles)
            values.append(value if masked else display_text(value))
        yield [
            customer.pk,
            customer.name,
            " ".join(customer.phones),
            " ".join(customer.emails),
            ", ".join(customer.tags),
            customer.vip_level or "",
            str(owner) if owner else "",
            *values,
            customer.notes,
            timezone.localtime(customer.created_at).replace(tzinfo=None),
        ]


def customers_export_audit(*, user: Any, file_format: str, filters: dict[str, Any], count: int) -> None:
    """Customer data leaving the product is logged (DOMAIN §7): who, which filters, how many rows."""
    audit_record(
        action=AuditAction.EXPORT_DOWNLOADED,
        actor=user if getattr(user, "pk", None) else None,
        extra={"kind": "customers", "format": file_format, "filters": filters, "rows": count},
    )
