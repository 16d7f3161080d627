"""The http node's request and its answer, shared by the engine (apps/telephony/engine/controller/
ivr_http.py, in a worker thread) and the console's test call: the body, the signature headers
and the blocking POST through the webhooks' SSRF-safe transport.

Body: ``{"call_uid", "caller", "callee", "number", "node", "digits", "variables"}`` (``digits``:
the variables that hold only digits, i.e. what the caller keyed in). Headers as webhook
deliveries (docs/webhooks.md): ``X-CC-Timestamp``, ``X-CC-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<body>">`` with the tenant's integration secret, ``X-CC-Event: ivr.http``.
"""

from __future__ import annotations

import http.client
import json
import logging
import time

from apps.telephony.ivr import schema
from apps.telephony.ivr.runner import HttpRequest, HttpResult
from apps.webhooks import signing, transport

logger = logging.getLogger(__name__)

EVENT_TYPE = "ivr.http"
USER_AGENT = "contactcenter-ivr/1"


def request_body(action: HttpRequest, *, call_uid: str, caller: str, callee: str) -> bytes:
    payload = {
        "call_uid": call_uid,
        "caller": caller,
        "callee": callee,
        "number": callee,
        "node": action.node,
        "digits": {name: value for name, value in action.variables.items() if value.isdigit()},
        "variables": action.variables,
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


def signed_headers(secret: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.TIMESTAMP_HEADER: timestamp,
        signing.SIGNATURE_HEADER: signing.signature(secret, timestamp, body),
        signing.EVENT_HEADER: EVENT_TYPE,
    }


def perform(url: str, body: bytes, headers: dict[str, str], timeout: float) -> HttpResult:
    """The blocking part: check the destination, POST, read a JSON object. Never raises."""
    try:
        destination = transport.destination_check(url)
    except transport.UnsafeDestination as error:
        return HttpResult(False, error="unsafe_url" if error.code == "bad_url" else error.code)
    try:
        reply = transport.post(destination, body, headers, timeout=timeout, keep=schema.HTTP_MAX_BODY + 1)
    except TimeoutError:
        return HttpResult(False, error="timeout")
    except (OSError, http.client.HTTPException) as error:
        logger.info("ivr http %s: %s", url, error)
        return HttpResult(False, error="connection")
    if not 200 <= reply.status < 300:
        return HttpResult(False, status=reply.status, error="status")
    if len(reply.body) > schema.HTTP_MAX_BODY:
        return HttpResult(False, status=reply.status, error="too_large")
    try:
        data = json.loads(reply.body) if reply.body.strip() else {}
    except ValueError:
        return HttpResult(False, status=reply.status, error="not_json")
    if not isinstance(data, dict):
        return HttpResult(False, status=reply.status, error="not_json")
    return HttpResult(True, status=reply.status, data=data)
