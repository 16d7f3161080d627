"""The signature of a delivery (the contract integrators verify; docs/webhooks.md).

``X-CC-Timestamp``: Unix seconds when the attempt was made. ``X-CC-Signature``:
``sha256=`` + hex HMAC-SHA256, keyed with the subscription's secret, of ``"<timestamp>.<body>"``
where body is the exact bytes of the request body. A receiver recomputes it, compares in
constant time and refuses timestamps older than a few minutes (replayed captures).
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-CC-Timestamp"
SIGNATURE_HEADER = "X-CC-Signature"
EVENT_HEADER = "X-CC-Event"
DELIVERY_HEADER = "X-CC-Delivery"


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex>`` of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_valid(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does (and the tests): recompute and compare in constant time."""
    return hmac.compare_digest(signature(secret, timestamp, body), header or "")
