"""Server-side request forgery: a webhook never reaches loopback, private or link-local addresses
(not at creation, not at delivery), and the connection goes to the address that was checked."""

from __future__ import annotations

import socket

import pytest
from django_tenants.utils import tenant_context

from apps.webhooks import transport
from apps.webhooks.choices import DeliveryStatus
from apps.webhooks.models import WebhookSubscription
from apps.webhooks.services.deliveries import webhook_send_test
from apps.webhooks.transport import UnsafeDestination, address_allowed, destination_check
from tests.webhooks.conftest import subscribe

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.20",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104 -- an address refused, not a bind
    "::1",
    "fd00::1",
    "fe80::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",
    "2002:7f00:1::1",  # 6to4 around 127.0.0.1
    "224.0.0.1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_addresses_that_are_not_public_are_refused(address):
    assert not address_allowed(address, allow_private=False)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert address_allowed(address, allow_private=False)


def test_the_setting_allows_private_but_never_multicast_or_unspecified():
    assert address_allowed("127.0.0.1", allow_private=True)
    assert address_allowed("10.0.0.1", allow_private=True)
    assert not address_allowed("0.0.0.0", allow_private=True)  # noqa: S104 -- refused, not bound
    assert not address_allowed("224.0.0.1", allow_private=True)


def test_a_host_name_resolving_to_loopback_is_refused():
    with pytest.raises(UnsafeDestination) as refused:
        destination_check("http://localhost:8080/hook", allow_private=False)
    assert refused.value.code == "private_address"


def test_every_address_of_a_name_is_checked_not_only_the_first(monkeypatch):
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443)) for address in ("8.8.8.8", "10.0.0.7")]
    monkeypatch.setattr(transport.socket, "getaddrinfo", lambda *args, **kwargs: answers)
    with pytest.raises(UnsafeDestination) as refused:
        destination_check("https://mixed.example/hook", allow_private=False)
    assert "10.0.0.7" in refused.value.message


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "http:///nohost", "http://user:pw@example.com/", "javascript:alert(1)"]
)
def test_urls_that_are_not_plain_http_are_refused(url):
    with pytest.raises(UnsafeDestination) as refused:
        destination_check(url, allow_private=True)
    assert refused.value.code == "bad_url"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.5/hook",
        "http://192.168.0.10/hook",
        "http://[::1]:8080/hook",
        "http://localhost:9000/hook",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_the_api_refuses_a_private_destination_and_saves_nothing(acme, url):
    api = acme.api(acme.admin())
    response = api.post("/api/v1/webhooks", {"url": url, "events": ["call.ended"]}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "url" in body["fields"]
    with tenant_context(acme.tenant):
        assert not WebhookSubscription.objects.exists()


def test_a_destination_that_became_private_is_refused_at_delivery(
    acme, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    subscription, _secret = subscribe(acme, receiver.url, ["call.ended"])
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_send_test(subscription=subscription)
    with tenant_context(acme.tenant):
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED  # final: an address that is not public stays so
    assert delivery.error.startswith("private_address")
    assert delivery.attempts == 1 and delivery.next_attempt_at is None
    assert receiver.requests == []


def test_the_connection_is_pinned_to_the_address_that_was_checked(
    acme, receiver, allow_private, monkeypatch, django_capture_on_commit_callbacks
):
    """DNS rebinding: the name is resolved once; the socket goes to that address while Host names
    the original host."""
    lookups = []
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        lookups.append(host)
        if host == "hooks.integrator.example":
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(transport.socket, "getaddrinfo", resolver)
    url = f"http://hooks.integrator.example:{receiver.port}/in"
    subscription, _secret = subscribe(acme, url, ["call.ended"])
    lookups.clear()
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_send_test(subscription=subscription)
    with tenant_context(acme.tenant):
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert lookups == ["hooks.integrator.example"]  # one resolution per attempt, nothing after the check
    assert receiver.requests[0].headers["Host"] == f"hooks.integrator.example:{receiver.port}"
    assert receiver.requests[0].path == "/in"
