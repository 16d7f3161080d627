"""The browser walk-through: Debian's Chromium (through Playwright) against a live daphne and the
call engine on the sim driver, both serving this worker's test database.

Why everything runs in this process, in threads:

* **daphne** (HTTP and websockets, exactly the ASGI application of ``make run``) runs its
  Twisted reactor in a thread, so that it reads the same settings as the tests: the worker's
  test database, its own Redis databases (cache and channel layer) and the in-memory file
  storage where the engine writes recordings. A Twisted reactor cannot be restarted, so there
  is one server per test session (per xdist worker), on a free port of 127.0.0.1.
* **the engine** (``EngineService`` of ``run_engine``, the real clock, the sim driver) runs on
  its own event loop in another thread; tests place a simulated caller on the tenant's number
  with :meth:`EngineThread.inject`, which runs on that loop as the driver requires.

The pages and the engine commit for real, so the tests cannot run inside the usual rolled-back
transaction: they use a tenant of their own, ``walk``, provisioned through the real sign-up
service when the module starts and dropped (schema and rows) when it ends, so that the other
test files of the worker never see it. Tests read the database in autocommit mode, from a thread
of their own (:meth:`Walk.read`): Playwright's synchronous API keeps its event loop marked as
running in the main thread, where Django refuses database calls (SynchronousOnlyOperation);
running them elsewhere keeps that safety net on for the server and the engine, rather than
switching it off with DJANGO_ALLOW_ASYNC_UNSAFE. For the same reason Playwright lives no longer
than this package's tests: the worker's other test files need the main thread's loop free.

Chromium is Debian's ``/usr/bin/chromium`` (scripts/system-packages.txt); Playwright's own browser
downloads are never used. Without it the tests fail under CI (``CI`` set) and are skipped, with
the reason, elsewhere (CONTRIBUTING.md, "Browser tests").
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone
from django_tenants.utils import tenant_context

from tests.committed_tenants import committed_tenant_drop, committed_tenant_provision
from tests.conftest import PASSWORD

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
SLUG = "walk"
WAIT_SECONDS = 20.0  # the longest a page or the database may take to show something (a loaded machine)
VIP_NUMBER = "13801380001"
VIP_NAME = "上海启航贸易有限公司"


def _missing_browser() -> str | None:
    if not CHROMIUM.exists():
        return (
            f"{CHROMIUM} is missing: install Debian's chromium (scripts/install-system-deps.sh, or "
            "`apt-get install chromium`); Playwright's own browser downloads are not used"
        )
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing: .venv/bin/pip install -r requirements/dev.txt"
    return None


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium, or the session's browser tests fail (CI) or are skipped (elsewhere)."""
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"browser tests need Chromium under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


# --- waiting for the world ----------------------------------------------------------------------


def wait_until(predicate: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    """Poll ``predicate`` until it returns something truthy (the engine and pages are asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


# --- the live server -------------------------------------------------------------------------------


class LiveServer:
    """daphne serving ``config.asgi.application`` on 127.0.0.1, in a thread of this process."""

    def __init__(self) -> None:
        from daphne.server import Server  # installs the asyncio reactor before anything else uses Twisted

        from config.asgi import application

        self.server = Server(
            application=application,
            endpoints=["tcp:port=0:interface=127.0.0.1"],
            signal_handlers=False,
            verbosity=0,
            application_close_timeout=5,
        )
        self.thread = threading.Thread(target=self._run, name="live-daphne", daemon=True)
        self.failure: BaseException | None = None
        self.port = 0

    def _run(self) -> None:
        try:
            self.server.run()
        except BaseException as error:  # reported by start() instead of dying silently
            self.failure = error

    def start(self) -> None:
        self.thread.start()
        wait_until(lambda: self.server.listening_addresses or self.failure or not self.thread.is_alive(), "daphne")
        if not self.server.listening_addresses:
            raise RuntimeError(f"daphne did not start: {self.failure!r}")
        self.port = self.server.listening_addresses[0][1]

    def stop(self) -> None:
        from twisted.internet import reactor

        reactor.callFromThread(self.server.stop)
        self.thread.join(15)


@pytest.fixture(scope="session")
def asgi_server(chromium_path, django_db_setup) -> Iterator[LiveServer]:
    server = LiveServer()
    server.start()
    yield server
    server.stop()


# --- the engine ---------------------------------------------------------------------------------------


class EngineThread:
    """``run_engine --driver sim`` for one tenant, on the real clock, on an event loop of its own."""

    def __init__(self, tenant) -> None:
        self.tenant = tenant
        self.loop = asyncio.new_event_loop()
        self.service = None
        self.thread = threading.Thread(target=self._run, name="live-engine", daemon=True)
        self._created = threading.Event()

    def _run(self) -> None:
        from apps.telephony.engine.runner import EngineService

        asyncio.set_event_loop(self.loop)
        self.service = EngineService(tenants=lambda: [self.tenant], rescan_seconds=1.0, record=True)
        self._created.set()
        try:
            self.loop.run_until_complete(self.service.run())
        finally:
            # Let the channel layer's last tasks (backup-queue cleaners) finish and close its
            # connections, rather than leave failed tasks behind for the garbage collector.
            pending = asyncio.all_tasks(self.loop)
            if pending:
                self.loop.run_until_complete(asyncio.wait(pending, timeout=5))
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(self.service.layer.close_pools())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def on_loop(self, function: Callable[[], Any]) -> Any:
        """Run ``function`` on the engine's loop (the controller and driver are not thread-safe)."""

        async def run() -> Any:
            return function()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(WAIT_SECONDS)

    @property
    def tenant_engine(self):
        return self.service.engines.get(self.tenant.schema_name)

    def start(self) -> None:
        self.thread.start()
        self._created.wait(WAIT_SECONDS)
        wait_until(lambda: self.on_loop(lambda: self.tenant_engine is not None), "the tenant's engine")

        def deterministic_callers() -> None:
            # The demo's callers lose patience after an exponential wait and hang up after a sampled
            # talk time: here they wait and talk for as long as the test needs.
            from apps.telephony.engine.drivers.sim import Duration

            caller = self.tenant_engine.driver.caller
            caller.patience = None
            caller.talk_with_human = Duration(3600, "fixed")
            caller.known_caller_share = 0.0

        self.on_loop(deterministic_callers)

    def inject(self, caller: str) -> str:
        """A simulated caller dials the tenant's service number now; returns the call's uid."""

        def dial() -> str:
            driver = self.tenant_engine.driver
            number = next(iter(driver.numbers.values()))
            return driver.inject(number, caller=caller)

        return self.on_loop(dial)

    def stop(self) -> None:
        if self.service is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self.service.stop)
        self.thread.join(30)


class DatabaseThread:
    """One thread for the tests' own database calls (see the module docstring for why)."""

    def __init__(self) -> None:
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="browser-db")

    def run(self, function: Callable[[], Any]) -> Any:
        return self.executor.submit(function).result()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.run(connections.close_all)
        self.executor.shutdown()


# --- the tenant and its people ---------------------------------------------------------------------


@dataclass
class Walk:
    """The walk-through's tenant: an agent, a supervisor, a VIP customer with two earlier calls."""

    tenant: Any
    host: str
    port: int
    agent_email: str
    supervisor_email: str
    agent_id: int
    old_agent_email: str
    old_agent_id: int
    seat: str
    other_seat: str
    queue_id: int
    queue_name: str
    customer_id: int
    history_uids: list[str] = field(default_factory=list)
    database: DatabaseThread | None = None
    engine: EngineThread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def read(self, function: Callable[[], Any]) -> Any:
        """``function()`` in the tenant's schema, on the database thread (autocommit: it sees
        everything the server and the engine committed)."""

        def in_tenant() -> Any:
            with tenant_context(self.tenant):
                return function()

        return self.database.run(in_tenant)

    def api(self, method: str, path: str, *, token: str, body: dict | None = None) -> tuple[int, Any]:
        """The REST API through the live server (127.0.0.1, the tenant named in the Host header)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 of the live server
            f"http://127.0.0.1:{self.port}/api/v1/{path}",
            data=data,
            method=method,
            headers={"Host": self.host, "Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def token(self, email: str) -> str:
        from apps.accounts.models import User
        from apps.accounts.services import token_create

        return self.read(lambda: token_create(user=User.objects.get(email=email), name="browser test").raw)


def _provision_walk(port: int) -> Walk:
    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.crm.services import customer_create
    from apps.telephony.models import PhoneNumber, Queue, Seat, Skill
    from apps.telephony.services import routing
    from apps.telephony.services.agent_state import agent_ensure
    from apps.telephony.services.cdr import call_answered, call_close, call_open, call_queued, call_wrapup_end

    tenant = committed_tenant_provision(SLUG, company="Walkthrough Ltd", password=PASSWORD)
    host = f"{SLUG}.{settings.PLATFORM_DOMAIN}"
    with tenant_context(tenant):
        agent_user = User.objects.create_user(f"agent@{SLUG}.test", PASSWORD, name="Wendy Agent", roles=[Role.AGENT])
        User.objects.create_user(f"supervisor@{SLUG}.test", PASSWORD, name="Sam Supervisor", roles=[Role.SUPERVISOR])
        old_user = User.objects.create_user(f"olivia@{SLUG}.test", PASSWORD, name="Olivia Earlier", roles=[Role.AGENT])
        queue = Queue.objects.get(code="general")
        # Long enough that neither a ring timeout (RONA) nor the wrap-up timer ends a step
        # before the test has clicked, on a loaded machine.
        queue = routing.queue_update(queue=queue, ring_timeout_seconds=120, wrapup_seconds=600)
        general = Skill.objects.get(code="general")
        agent = agent_ensure(user=agent_user)
        routing.agent_skills_set(agent=agent, skills={general.pk: 5})
        old_agent = agent_ensure(user=old_user)
        # The service number goes straight to the queue (the default IVR depends on the hour) and
        # has no simulated traffic: the only callers are the ones the tests place.
        PhoneNumber.objects.update(ivr_flow=None, queue=queue, sim_arrivals_per_hour=0)
        customer = customer_create(name=VIP_NAME, phones=[VIP_NUMBER], is_vip=True, notes="Key account")
        number = PhoneNumber.objects.get()
        history = []
        for days, disposition in ((3, "follow_up"), (1, "resolved")):
            at = timezone.now() - timedelta(days=days)
            call = call_open(
                uid=f"walk-history-{days}",
                direction="inbound",
                caller=VIP_NUMBER,
                callee=number.number,
                trunk=number.trunk_id,
                number=number,
                at=at,
                customer=customer,
            )
            call_queued(call, queue=queue, at=at + timedelta(seconds=5))
            call_answered(call, agent=old_agent, at=at + timedelta(seconds=12))
            call_close(call, at=at + timedelta(seconds=200), end_reason="completed", wrapup=True)
            call_wrapup_end(call, at=at + timedelta(seconds=230), disposition=disposition)
            history.append(call.uid)
        seat, other_seat = Seat.objects.order_by("extension").values_list("extension", flat=True)[:2]
    return Walk(
        tenant=tenant,
        host=host,
        port=port,
        agent_email=agent_user.email,
        supervisor_email=f"supervisor@{SLUG}.test",
        agent_id=agent.pk,
        old_agent_email=old_user.email,
        old_agent_id=old_agent.pk,
        seat=seat,
        other_seat=other_seat,
        queue_id=queue.pk,
        queue_name=queue.name,
        customer_id=customer.pk,
        history_uids=history,
    )


def _fresh_channel_layer() -> None:
    """Forget the process's default channel layer; the next user builds a new one.

    channels_redis keeps receive state (locks, buffers, cleaner tasks) per layer instance and
    per event loop; daphne's consumers here run on the server's loop, the other test files' on
    loops of their own. A fresh instance on each side of this module keeps them apart."""
    from channels.layers import channel_layers

    channel_layers.backends.pop("default", None)


def _close_thread_connections() -> None:
    """Close the database connections that the server's and engine's worker threads keep open.

    Django's connections are per thread; asgiref runs ``sync_to_async`` code of consumers and the
    engine in one shared thread, whose connection would otherwise stay open and keep the test
    database (and the tenant's schema) from being dropped."""
    from asgiref.sync import SyncToAsync

    with contextlib.suppress(Exception):
        SyncToAsync.single_thread_executor.submit(connections.close_all).result(WAIT_SECONDS)


@pytest.fixture(scope="module")
def walk(asgi_server, django_db_blocker) -> Iterator[Walk]:
    """The tenant, committed; the engine running for it; dropped again after the module.

    Database access stays open for the module's tests and for the server's and engine's threads.
    Connections are not kept between requests meanwhile (CONN_MAX_AGE 0, as Django advises under
    ASGI): daphne runs every request in a thread of its own, and a persistent connection would
    outlive its thread and hold the test database open until garbage collection."""
    database_settings = connections.settings["default"]
    max_age = database_settings.get("CONN_MAX_AGE")
    database_settings["CONN_MAX_AGE"] = 0
    _fresh_channel_layer()
    with django_db_blocker.unblock():
        database = DatabaseThread()
        try:
            world = database.run(lambda: _provision_walk(asgi_server.port))
            world.database = database
            world.engine = EngineThread(world.tenant)
            try:
                world.engine.start()
                yield world
            finally:
                world.engine.stop()
                _close_thread_connections()
                database.run(lambda: committed_tenant_drop(world.tenant))
        finally:
            database.close()
            database_settings["CONN_MAX_AGE"] = max_age
            _fresh_channel_layer()


@pytest.fixture
def engine(walk) -> EngineThread:
    return walk.engine


# --- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser(chromium_path, asgi_server):
    """One Chromium for the browser tests of the session; each test gets a fresh context."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_SECONDS * 1000)
    domain = settings.PLATFORM_DOMAIN
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                "--autoplay-policy=no-user-gesture-required",
                # Tenant hosts are <slug>.<PLATFORM_DOMAIN>: all of them are the live server here.
                f"--host-resolver-rules=MAP *.{domain} 127.0.0.1, MAP {domain} 127.0.0.1",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()


class PageErrors(list):
    """JavaScript errors a page raised; a test ends by asserting there were none."""


@pytest.fixture
def new_page(browser, walk):
    """``new_page()`` opens a page in a fresh browser context (own cookies) on the tenant's host."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=walk.base_url, locale="en-US", timezone_id="Asia/Shanghai")
        context.set_default_timeout(WAIT_SECONDS * 1000)
        # No SIP plane runs here (tests/sip has the softphone's own browser tests): the desk's
        # softphone would load SIP.js (about a hundred module files) only to find no server, and
        # the live daphne serves static files on the same single thread as the API the test
        # drives. The softphone shows "unavailable" instead.
        context.route("**/static/sipjs/**", lambda route: route.abort())
        contexts.append(context)
        page = context.new_page()
        page.js_errors = PageErrors()
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, email: str, next_path: str) -> None:
    """Through the login page, as a person does."""
    page.goto(next_path)
    page.wait_for_url(lambda url: "/accounts/login/" in url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith(next_path.rstrip("/")))
