"""The client address behind our proxies: the rightmost hop that is not a trusted proxy."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from apps.core.clientip import client_ip, client_ip_from


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip_from("203.0.113.9", "1.2.3.4") == "203.0.113.9"


def test_rightmost_untrusted_hop_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client forged "6.6.6.6"; the balancer appended what it saw (198.51.100.7).
    assert client_ip_from("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.5") == "198.51.100.7"


def test_request_from_an_untrusted_peer_keeps_its_own_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip_from("203.0.113.9", "6.6.6.6") == "203.0.113.9"


def test_garbled_hop_stops_the_walk(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip_from("10.0.0.2", "1.1.1.1, not-an-ip") == "10.0.0.2"


@pytest.mark.parametrize("forwarded", ["", "10.0.0.7"])
def test_only_proxies_in_the_chain(settings, forwarded):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip_from("10.0.0.2", forwarded) == (forwarded or "10.0.0.2")


def test_django_request_and_asgi_scope(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip(request) == "198.51.100.1"
    scope = {"client": ("127.0.0.1", 5555), "headers": [(b"x-forwarded-for", b"198.51.100.2")]}
    assert client_ip(scope) == "198.51.100.2"
