"""The administrators' webhook pages (/webhooks/): the list, a new webhook (its secret shown once),
a webhook's page with its settings, the delivery log with replay, "Send test event", enable or
disable, a new secret and delete. Thin: apps/webhooks/services/ do the work; GET never writes.

The secret is shown once: the service returns it, the view keeps it in the session under the
webhook's id and the next page view takes it out (``session.pop``), so a reload no longer shows it.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.webhooks.catalog import EVENT_TYPES
from apps.webhooks.choices import DeliveryStatus
from apps.webhooks.forms.webhooks import WebhookForm
from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from apps.webhooks.selectors.webhooks import delivery_get, delivery_list, subscription_get, subscription_list
from apps.webhooks.services.deliveries import delivery_replay, webhook_send_test
from apps.webhooks.services.integration import integration_secret_hint, integration_secret_rotate
from apps.webhooks.services.subscriptions import (
    subscription_create,
    subscription_delete,
    subscription_rotate_secret,
    subscription_update,
)
from apps.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER

admins = role_required(Role.TENANT_ADMIN)
LOG_ROWS = 50
BADGES: dict[str, str] = {
    DeliveryStatus.DELIVERED.value: "good",
    DeliveryStatus.PENDING.value: "warn",
    DeliveryStatus.FAILED.value: "bad",
    DeliveryStatus.CANCELLED.value: "neutral",
}


def _secret_key(pk: int) -> str:
    return f"webhooks.secret.{pk}"


def _subscription(pk: int) -> WebhookSubscription:
    subscription = subscription_get(pk)
    if subscription is None:
        raise Http404
    return subscription


INTEGRATION_SECRET_KEY = "webhooks.integration_secret"  # noqa: S105 -- a session key, not a secret


@admins
def webhooks(request: HttpRequest) -> HttpResponse:
    context = {
        "webhooks": list(subscription_list()),
        "labels": EVENT_TYPES,
        # The IVR http node's signing secret (docs/ivr.md): its last characters, or in full once
        # right after it was made.
        "integration_hint": integration_secret_hint(),
        "integration_secret": request.session.pop(INTEGRATION_SECRET_KEY, None),
    }
    return render(request, "webhooks/list.html", context)


@admins
@require_POST
def integration_rotate(request: HttpRequest) -> HttpResponse:
    request.session[INTEGRATION_SECRET_KEY] = integration_secret_rotate()
    messages.success(request, _("New secret made. Copy it now: it is shown only once."))
    return redirect("webhooks:list")


@admins
def webhook_new(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription, secret = subscription_create(
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                actor=request.user,
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            request.session[_secret_key(subscription.pk)] = secret
            messages.success(request, _("Webhook created. Copy its secret now: it is shown only once."))
            return redirect("webhooks:detail", pk=subscription.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "webhooks/new.html", {"form": form}, status=status)


@admins
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(pk)
    form = WebhookForm(
        request.POST or None,
        initial={"url": subscription.url, "events": subscription.events, "description": subscription.description},
    )
    if request.method == "POST" and form.is_valid():
        try:
            subscription_update(subscription=subscription, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("webhooks:detail", pk=pk)
    deliveries = list(delivery_list(subscription)[:LOG_ROWS])
    for delivery in deliveries:
        delivery.badge = BADGES.get(delivery.status, "neutral")  # type: ignore[attr-defined]
        delivery.body = json.dumps(delivery.payload, indent=2, ensure_ascii=False)  # type: ignore[attr-defined]
    context = {
        "webhook": subscription,
        "form": form,
        "secret": request.session.pop(_secret_key(pk), None),
        "deliveries": deliveries,
        "timestamp_header": TIMESTAMP_HEADER,
        "signature_header": SIGNATURE_HEADER,
    }
    return render(request, "webhooks/detail.html", context, status=400 if request.method == "POST" else 200)


def _act(request: HttpRequest, pk: int, action, success: str) -> HttpResponse:
    subscription = _subscription(pk)
    try:
        action(subscription)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, success)
    return redirect("webhooks:detail", pk=pk)


@admins
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda subscription: webhook_send_test(subscription=subscription, actor=request.user),
        _("Test event queued: its delivery is at the top of the log."),
    )


@admins
@require_POST
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    enable = request.POST.get("enable") == "1"
    return _act(
        request,
        pk,
        lambda subscription: subscription_update(subscription=subscription, actor=request.user, is_active=enable),
        _("Webhook enabled.") if enable else _("Webhook disabled."),
    )


@admins
@require_POST
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(pk)
    request.session[_secret_key(pk)] = subscription_rotate_secret(subscription=subscription, actor=request.user)
    messages.success(request, _("New secret made. Copy it now: it is shown only once."))
    return redirect("webhooks:detail", pk=pk)


@admins
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription_delete(subscription=_subscription(pk), actor=request.user)
    messages.success(request, _("Webhook deleted."))
    return redirect("webhooks:list")


@admins
@require_POST
def delivery_replay_view(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    subscription = _subscription(pk)
    delivery: WebhookDelivery | None = delivery_get(subscription, delivery_id)
    if delivery is None:
        raise Http404
    return _act(
        request,
        pk,
        lambda _subscription: delivery_replay(delivery=delivery, actor=request.user),
        _("Delivery queued again."),
    )
