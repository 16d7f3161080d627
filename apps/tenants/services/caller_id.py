"""The platform's caller-ID rule per tenant (platform staff only).

By default a tenant presents only its own numbers as caller ID (apps/telephony/services/dialling.py
``caller_id_check``): showing someone else's number is how spoofed fraud and harassment calls are
made, and Chinese carriers hold the platform responsible. Platform staff may lift the rule for a
tenant that proved other numbers are its own (a carrier contract), from the platform console.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record_platform
from apps.core.errors import ApplicationError
from apps.tenants.models import Tenant


@transaction.atomic
def tenant_caller_id_set(*, tenant: Tenant, unrestricted: bool) -> Tenant:
    if not isinstance(unrestricted, bool):
        raise ApplicationError(
            "invalid", _("The request has invalid fields."), fields={"unrestricted": [_("Must be true or false.")]}
        )
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.caller_id_unrestricted != unrestricted:
        before = tenant.caller_id_unrestricted
        tenant.caller_id_unrestricted = unrestricted
        tenant.save(update_fields=["caller_id_unrestricted"])
        audit_record_platform(
            tenant=tenant,
            action=AuditAction.PLATFORM_CALLER_ID_RULE_CHANGED,
            before={"caller_id_unrestricted": before},
            after={"caller_id_unrestricted": unrestricted},
        )
    return tenant
