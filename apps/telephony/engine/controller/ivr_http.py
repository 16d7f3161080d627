"""The IVR's http node: a signed POST to the customer's endpoint, off the engine's loop.

The request runs in a worker thread (name lookup, the SSRF check and the POST all block), and
its outcome comes back to the loop with ``call_soon_threadsafe`` — like a driver event — as an
:class:`~apps.telephony.ivr.runner.HttpResult` fed to the caller's IVR session. The node's
time-out is kept by the engine clock, not by the socket: when it fires first the session takes
its fallback branch and the late answer is ignored.

The request (docs/ivr.md "http node"): ``POST <url>`` with JSON ``{"call_uid", "caller",
"callee", "number", "node", "digits", "variables"}`` and the webhook signature headers
(``X-CC-Timestamp``, ``X-CC-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>">``) keyed with
the tenant's integration secret (:mod:`apps.webhooks.services.integration`). Private and
loopback addresses are refused unless ``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES`` is on (development).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from apps.telephony.ivr.http import perform, request_body, signed_headers
from apps.telephony.ivr.runner import HttpRequest, HttpResult

if TYPE_CHECKING:
    from apps.telephony.engine.controller.core import CallController
    from apps.telephony.engine.state import CallState

logger = logging.getLogger(__name__)

Done = Callable[[HttpResult], None]


class IvrHttp:
    """Sends http nodes' requests for one tenant's controller and feeds their results back."""

    def __init__(self, ctl: CallController, deliver: Callable[[CallState, int, HttpResult], None]) -> None:
        self.ctl = ctl
        self.deliver = deliver
        # The tenant's integration secret: given (tests), or read by ``secret_loader`` in the worker
        # thread (the runner sets it; it touches the database) and kept for ``SECRET_TTL`` seconds.
        self.secret: str | None = None
        self.secret_loader: Callable[[], str] | None = None
        self._secret_read = 0.0
        self.perform: Callable[[str, bytes, dict[str, str], float], HttpResult] = perform
        self._executor: ThreadPoolExecutor | None = None
        self.sequence = 0
        self.pending: dict[str, tuple[int, object]] = {}  # call uid -> (request number, time-out timer)

    SECRET_TTL = 60.0

    def _secret(self) -> str:
        if self.secret_loader is not None and (
            self.secret is None or time.monotonic() - self._secret_read > self.SECRET_TTL
        ):
            self.secret = self.secret_loader()
            self._secret_read = time.monotonic()
        return self.secret or ""

    def request(self, call: CallState, action: HttpRequest) -> None:
        self.sequence += 1
        seq = self.sequence
        body = request_body(action, call_uid=call.uid, caller=call.caller, callee=call.callee)
        seconds = action.timeout_ms / 1000.0
        timer = self.ctl.clock.call_later(seconds, self._finish, call.uid, seq, HttpResult(False, error="timeout"))
        self.pending[call.uid] = (seq, timer)
        self.ctl.store.call_event(call, "ivr_http", node=action.node, url=action.url)

        def work() -> HttpResult:
            try:
                secret = self._secret()
            except Exception:  # the database is away: the request cannot be signed
                logger.exception("ivr http: the integration secret could not be read")
                return HttpResult(False, error="no_secret")
            return self.perform(action.url, body, signed_headers(secret, body), seconds)

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            # A simulation on a virtual clock (no event loop to block): answer in line, delivered
            # through the clock like any event.
            result = work()
            self.ctl.clock.call_later(0.0, self._finish, call.uid, seq, result)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ivr-http")
        future = loop.run_in_executor(self._executor, work)

        def landed(done: asyncio.Future) -> None:
            result = done.result() if not done.cancelled() and done.exception() is None else None
            self._finish(call.uid, seq, result or HttpResult(False, error="failed"))

        future.add_done_callback(landed)

    def _finish(self, uid: str, seq: int, result: HttpResult) -> None:
        found = self.pending.get(uid)
        if found is None or found[0] != seq:
            return  # the time-out came first (or the call moved on): a late answer is dropped
        del self.pending[uid]
        timer = found[1]
        cancel = getattr(timer, "cancel", None)
        if cancel is not None:
            cancel()
        call = self.ctl.calls.get(uid)
        if call is None:
            return
        self.deliver(call, seq, result)

    def forget(self, uid: str) -> None:
        found = self.pending.pop(uid, None)
        if found is not None:
            cancel = getattr(found[1], "cancel", None)
            if cancel is not None:
                cancel()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


__all__ = ["IvrHttp", "perform"]
