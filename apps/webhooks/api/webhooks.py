"""``/api/v1/webhooks``: the company's outgoing webhooks (docs/api.md "Webhooks").

- ``GET webhooks`` / ``POST webhooks {"url", "events", "description"?}`` → 201 with ``id`` and
  the ``secret`` (the only time it is shown);
- ``GET|PATCH|DELETE webhooks/{id}`` (PATCH: ``url``, ``events``, ``description``, ``is_active``);
- ``POST webhooks/{id}/rotate-secret`` → ``{"secret"}`` (once), ``POST webhooks/{id}/test`` → 202;
- ``GET webhooks/{id}/deliveries?status=`` (status, attempts, response code …),
  ``GET webhooks/{id}/deliveries/{delivery_id}`` (with the body sent) and
  ``POST webhooks/{id}/deliveries/{delivery_id}/replay`` → 202 with the new delivery;
- ``GET webhooks/event-types``: the event types and the JSON Schema of each payload.

Administrators only (``tenant_admin``); another company's ids answer 404 like missing ones (the
schema is the tenant's). Thin: the rules are apps/webhooks/services/.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.core.api.pagination import Pagination
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError, NotFoundError
from apps.webhooks.catalog import EVENT_TYPES, envelope_schema
from apps.webhooks.choices import DeliveryStatus
from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from apps.webhooks.payloads import iso
from apps.webhooks.selectors.webhooks import delivery_get, delivery_list, subscription_get, subscription_list
from apps.webhooks.services.deliveries import delivery_replay, webhook_send_test
from apps.webhooks.services.subscriptions import (
    subscription_create,
    subscription_delete,
    subscription_rotate_secret,
    subscription_update,
)

ADMIN_ONLY = [HasRole.of(Role.TENANT_ADMIN)]


def subscription_data(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "url": subscription.url,
        "events": list(subscription.events),
        "description": subscription.description,
        "is_active": subscription.is_active,
        "disabled_reason": subscription.disabled_reason or None,
        "disabled_at": iso(subscription.disabled_at),
        "consecutive_failures": subscription.consecutive_failures,
        "secret_hint": "…" + subscription.secret_hint,
        "created_at": iso(subscription.created_at),
        "updated_at": iso(subscription.updated_at),
    }


def delivery_data(delivery: WebhookDelivery, *, payload: bool = False) -> dict[str, Any]:
    data = {
        "id": delivery.pk,
        "event_id": str(delivery.event_id),
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "response_code": delivery.response_code,
        "error": delivery.error,
        "duration_ms": delivery.duration_ms,
        "created_at": iso(delivery.created_at),
        "last_attempt_at": iso(delivery.last_attempt_at),
        "next_attempt_at": iso(delivery.next_attempt_at) if delivery.status == DeliveryStatus.PENDING else None,
        "delivered_at": iso(delivery.delivered_at),
        "replay_of": delivery.replay_of_id,
    }
    if payload:
        data["payload"] = delivery.payload
        data["response_body"] = delivery.response_body
    return data


def _body(request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ApplicationError("invalid", _("Send a JSON object."))
    return request.data


def _subscription(pk: int) -> WebhookSubscription:
    subscription = subscription_get(pk)
    if subscription is None:
        raise NotFoundError("not_found", _("No such webhook."))
    return subscription


def _delivery(subscription: WebhookSubscription, pk: int) -> WebhookDelivery:
    delivery = delivery_get(subscription, pk)
    if delivery is None:
        raise NotFoundError("not_found", _("No such delivery."))
    return delivery


class WebhookListView(APIView):
    permission_classes = ADMIN_ONLY

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        """Every webhook of the company (without secrets)."""
        return Response({"results": [subscription_data(row) for row in subscription_list()]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """Subscribe a URL to event types; the answer carries the secret, shown this once."""
        body = _body(request)
        subscription, secret = subscription_create(
            url=body.get("url"), events=body.get("events"), description=body.get("description", ""), actor=request.user
        )
        return Response({**subscription_data(subscription), "secret": secret}, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    permission_classes = ADMIN_ONLY

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        return Response(subscription_data(_subscription(pk)))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, pk: int):
        """Change ``url``, ``events``, ``description`` or ``is_active`` (true re-enables a webhook
        disabled after failures)."""
        body = _body(request)
        unknown = sorted(set(body) - {"url", "events", "description", "is_active"})
        if unknown:
            raise ApplicationError(
                "invalid",
                _("The request has invalid fields."),
                fields={name: [_("Unknown field.")] for name in unknown},
            )
        subscription = subscription_update(subscription=_subscription(pk), actor=request.user, **body)
        return Response(subscription_data(subscription))

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        subscription_delete(subscription=_subscription(pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretView(APIView):
    permission_classes = ADMIN_ONLY

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """A new signing secret, shown this once; the old one stops signing at once."""
        secret = subscription_rotate_secret(subscription=_subscription(pk), actor=request.user)
        return Response({"id": pk, "secret": secret})


class WebhookTestView(APIView):
    permission_classes = ADMIN_ONLY

    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """Queue a ``webhook.test`` event to this webhook; its delivery is in the log."""
        delivery = webhook_send_test(subscription=_subscription(pk), actor=request.user)
        delivery.refresh_from_db()
        return Response(delivery_data(delivery), status=status.HTTP_202_ACCEPTED)


@extend_schema(
    parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=[code for code, _label in DeliveryStatus.choices])]
)
class WebhookDeliveryListView(APIView):
    permission_classes = ADMIN_ONLY

    def get(self, request, pk: int):
        """The webhook's deliveries, newest first (paginated)."""
        subscription = _subscription(pk)
        wanted = request.query_params.get("status") or None
        if wanted is not None and wanted not in DeliveryStatus.values:
            raise ApplicationError(
                "invalid",
                _("The request has invalid fields."),
                fields={"status": [_("One of: %(codes)s.") % {"codes": ", ".join(DeliveryStatus.values)}]},
            )
        paginator = Pagination()
        page = paginator.paginate_queryset(delivery_list(subscription, status=wanted), request, view=self)
        return paginator.get_paginated_response([delivery_data(row) for row in page or []])


class WebhookDeliveryDetailView(APIView):
    permission_classes = ADMIN_ONLY

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int, delivery_id: int):
        """One delivery with the body it sends and the start of the last response."""
        return Response(delivery_data(_delivery(_subscription(pk), delivery_id), payload=True))


class WebhookDeliveryReplayView(APIView):
    permission_classes = ADMIN_ONLY

    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT})
    def post(self, request, pk: int, delivery_id: int):
        """Send the delivery's body again (same event id) as a new delivery."""
        replay = delivery_replay(delivery=_delivery(_subscription(pk), delivery_id), actor=request.user)
        replay.refresh_from_db()
        return Response(delivery_data(replay), status=status.HTTP_202_ACCEPTED)


class WebhookEventTypesView(APIView):
    permission_classes = ADMIN_ONLY

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        """Every event type a webhook may subscribe to, with the JSON Schema of its body."""
        return Response(
            {
                "results": [
                    {"type": code, "description": str(label), "schema": envelope_schema(code)}
                    for code, (label, _schema) in EVENT_TYPES.items()
                ]
            }
        )
