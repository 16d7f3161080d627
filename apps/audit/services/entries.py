"""``audit_record`` and its platform twin (see the package docstring)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django_tenants.utils import get_public_schema_name, schema_context

from apps.audit.choices import ActorKind, AuditAction
from apps.audit.context import current_request
from apps.audit.models import AuditEntry
from apps.core.clientip import client_ip

USER_AGENT_MAX = 400
TARGET_REPR_MAX = 200


@dataclass(frozen=True)
class AuditTarget:
    """An object that is not (or no longer) a model instance: a deleted row, a file, a tenant."""

    type: str
    id: Any = ""
    repr: str = ""


class _Encoder(DjangoJSONEncoder):
    """Django's encoder (dates as ISO 8601, decimals, UUIDs, lazy translations), then text for
    anything else: an audit row is never refused because a detail was not JSON."""

    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _json(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=_Encoder))


def _target_fields(target: Any) -> dict[str, str]:
    if target is None:
        return {"target_type": "", "target_id": "", "target_repr": ""}
    if isinstance(target, AuditTarget):
        kind, pk, text = target.type, target.id, target.repr
    elif isinstance(target, models.Model):
        kind, pk, text = target._meta.label_lower, target.pk, str(target)
    else:
        raise TypeError(f"audit target must be a model instance or an AuditTarget, not {type(target).__name__}")
    return {
        "target_type": str(kind)[:64],
        "target_id": "" if pk is None else str(pk)[:64],
        "target_repr": str(text or "")[:TARGET_REPR_MAX],
    }


def _request_user(request):
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def _write(
    *,
    action: str,
    actor_kind: str | None,
    actor,
    target,
    before,
    after,
    request,
    ip: str | None,
    user_agent: str | None,
    extra: dict | None,
) -> AuditEntry | None:
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}: add it to apps.audit.choices.AuditAction")
    if getattr(connection, "schema_name", None) == get_public_schema_name():
        # Platform staff's own accounts (a token for the platform API) live in the public schema,
        # which has no tenant log; what staff do *to a tenant* goes through audit_record_platform.
        return None
    if request is None:
        request = current_request()
    if actor is None:
        actor = _request_user(request)
    kind = ActorKind.SYSTEM if actor is None else actor_kind or ActorKind.USER
    if ip is None and request is not None:
        ip = client_ip(request)
    if user_agent is None and request is not None:
        user_agent = request.META.get("HTTP_USER_AGENT", "") if hasattr(request, "META") else ""
    return AuditEntry.objects.create(
        action=action,
        actor_kind=kind,
        actor_id=getattr(actor, "pk", None),
        actor_email=(getattr(actor, "email", "") or "")[:254],
        actor_name=(getattr(actor, "name", "") or "")[:150],
        before=_json(before),
        after=_json(after),
        extra=_json(extra) or {},
        ip_address=ip or None,
        user_agent=(user_agent or "")[:USER_AGENT_MAX],
        **_target_fields(target),
    )


def audit_record(
    *,
    action: str,
    actor=None,
    target=None,
    before: dict | None = None,
    after: dict | None = None,
    request=None,
    ip: str | None = None,
    user_agent: str | None = None,
    extra: dict | None = None,
) -> AuditEntry | None:
    """Append one row to the current tenant's audit log and return it (None in the public
    schema, which has no tenant log: platform staff managing their own accounts).

    ``actor``: the user who acted (a user of this tenant); None means the current request's user,
    or "system" outside a request. ``target``: a model instance or an :class:`AuditTarget`.
    ``ip``/``user_agent``: taken from ``request`` (or the current request) when not given.
    Raises ``ValueError`` for an action code not in ``AuditAction`` (a programming error).
    """
    return _write(
        action=action,
        actor_kind=ActorKind.USER,
        actor=actor,
        target=target,
        before=before,
        after=after,
        request=request,
        ip=ip,
        user_agent=user_agent,
        extra=extra,
    )


def audit_record_platform(
    *,
    tenant,
    action: str,
    actor=None,
    target=None,
    before: dict | None = None,
    after: dict | None = None,
    request=None,
    extra: dict | None = None,
) -> AuditEntry | None:
    """A platform operator's action on ``tenant``, written into that tenant's own log.

    The staff member (a public-schema user, so never a foreign key here) is the actor, shown to
    the tenant's administrators as platform staff."""
    if request is None:
        request = current_request()
    if actor is None:
        actor = _request_user(request)
    with schema_context(tenant.schema_name):
        return _write(
            action=action,
            actor_kind=ActorKind.PLATFORM,
            actor=actor,
            target=target if target is not None else AuditTarget("tenants.tenant", tenant.pk, tenant.slug),
            before=before,
            after=after,
            request=request,
            ip=None,
            user_agent=None,
            extra=extra,
        )
