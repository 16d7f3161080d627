"""Writes of webhook subscriptions: create (the secret is returned once), change, enable or
disable, renew the secret, delete. Each is audited (apps/audit) and forgets the cached event
types, so this process hears the change at once.

Bad input is an ``ApplicationError("invalid", …, fields=…)`` (HTTP 400) and changes nothing. A URL
is checked when it is saved as well as before each delivery (apps/webhooks/transport.py): an
address that is not public is refused unless ``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES`` is on.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.core.tenancy import current_schema
from apps.webhooks import limits
from apps.webhooks.catalog import EVENT_TYPES
from apps.webhooks.choices import DeliveryStatus, DisabledReason
from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from apps.webhooks.secret_box import secret_encrypt, secret_generate
from apps.webhooks.services.events import subscriptions_changed
from apps.webhooks.transport import UnsafeDestination, destination_check

URL_MAX = 2000
DESCRIPTION_MAX = 200


def snapshot(subscription: WebhookSubscription) -> dict[str, Any]:
    """What the audit log keeps (never the secret)."""
    return {
        "url": subscription.url,
        "events": list(subscription.events),
        "description": subscription.description,
        "is_active": subscription.is_active,
    }


def _url_errors(url: Any) -> list[str]:
    if not isinstance(url, str) or not url.strip():
        return [_("Enter the URL to send events to.")]
    if len(url) > URL_MAX:
        return [_("At most %(n)d characters.") % {"n": URL_MAX}]
    try:
        destination_check(url.strip())
    except UnsafeDestination as refusal:
        messages = {
            "bad_url": _("Use an http:// or https:// URL with a host name and no password in it."),
            "unresolvable": _("This host name does not resolve."),
            "private_address": _(
                "This address is not on the public internet (loopback, private or link-local): webhooks are not sent there."
            ),
        }
        return [messages.get(refusal.code, refusal.message)]
    return []


def _events_errors(events: Any) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        return [_("Choose at least one event type.")]
    unknown = [str(code) for code in events if not isinstance(code, str) or code not in EVENT_TYPES]
    if unknown:
        return [_("Unknown event type: %(codes)s.") % {"codes": ", ".join(unknown[:5])}]
    return []


def _clean(*, url: Any = None, events: Any = None, description: Any = None, partial: bool = False) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if not partial or url is not None:
        if problems := _url_errors(url):
            errors["url"] = problems
        else:
            clean["url"] = url.strip()
    if not partial or events is not None:
        if problems := _events_errors(events):
            errors["events"] = problems
        else:
            clean["events"] = [code for code in EVENT_TYPES if code in set(events)]  # catalog order, no repeats
    if description is not None:
        if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
            errors["description"] = [_("At most %(n)d characters.") % {"n": DESCRIPTION_MAX}]
        else:
            clean["description"] = description.strip()
    if errors:
        raise ApplicationError("invalid", _("The request has invalid fields."), fields=errors)
    return clean


@transaction.atomic
def subscription_create(
    *, url: Any, events: Any, description: Any = "", actor: Any = None
) -> tuple[WebhookSubscription, str]:
    """Subscribe ``url`` to ``events``; returns the subscription and its secret, which is never
    shown again (only its last four characters)."""
    clean = _clean(url=url, events=events, description=description if description is not None else "")
    if WebhookSubscription.objects.count() >= limits.max_subscriptions():
        raise ApplicationError(
            "limit_reached",
            _("A company has at most %(n)d webhooks.") % {"n": limits.max_subscriptions()},
            status=409,
        )
    secret = secret_generate()
    subscription = WebhookSubscription.objects.create(
        url=clean["url"],
        events=clean["events"],
        description=clean.get("description", ""),
        secret_encrypted=secret_encrypt(secret),
        secret_hint=secret[-4:],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(action=AuditAction.WEBHOOK_CREATED, actor=actor, target=subscription, after=snapshot(subscription))
    subscriptions_changed(current_schema())
    return subscription, secret


def _locked(subscription: WebhookSubscription) -> WebhookSubscription:
    return WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)


@transaction.atomic
def subscription_update(
    *,
    subscription: WebhookSubscription,
    actor: Any = None,
    url: Any = None,
    events: Any = None,
    description: Any = None,
    is_active: Any = None,
) -> WebhookSubscription:
    """Change what is given. Enabling a subscription that was disabled (by hand or after
    failures) starts its failure count again; disabling cancels its pending deliveries."""
    clean = _clean(url=url, events=events, description=description, partial=True)
    if is_active is not None and not isinstance(is_active, bool):
        raise ApplicationError(
            "invalid", _("The request has invalid fields."), fields={"is_active": [_("true or false.")]}
        )
    locked = _locked(subscription)
    before = snapshot(locked)
    for name, value in clean.items():
        setattr(locked, name, value)
    now = timezone.now()
    if is_active is True and not locked.is_active:
        locked.is_active, locked.disabled_reason, locked.disabled_at, locked.consecutive_failures = True, "", None, 0
    elif is_active is False and locked.is_active:
        locked.is_active, locked.disabled_reason, locked.disabled_at = False, DisabledReason.ADMIN, now
        _cancel_pending(locked)
    locked.updated_at = now
    locked.save()
    after = snapshot(locked)
    if after != before:
        audit_record(action=AuditAction.WEBHOOK_CHANGED, actor=actor, target=locked, before=before, after=after)
    subscriptions_changed(current_schema())
    return locked


def _cancel_pending(subscription: WebhookSubscription) -> int:
    return WebhookDelivery.objects.filter(subscription=subscription, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, next_attempt_at=None
    )


@transaction.atomic
def subscription_rotate_secret(*, subscription: WebhookSubscription, actor: Any = None) -> str:
    """A new secret, returned once; deliveries from now on are signed with it."""
    locked = _locked(subscription)
    secret = secret_generate()
    locked.secret_encrypted, locked.secret_hint, locked.updated_at = secret_encrypt(secret), secret[-4:], timezone.now()
    locked.save(update_fields=["secret_encrypted", "secret_hint", "updated_at"])
    audit_record(action=AuditAction.WEBHOOK_SECRET_ROTATED, actor=actor, target=locked)
    return secret


@transaction.atomic
def subscription_delete(*, subscription: WebhookSubscription, actor: Any = None) -> None:
    """Remove the subscription and its delivery log."""
    locked = _locked(subscription)
    audit_record(action=AuditAction.WEBHOOK_DELETED, actor=actor, target=locked, before=snapshot(locked))
    locked.delete()
    subscriptions_changed(current_schema())
