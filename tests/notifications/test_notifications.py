"""Notifications (apps/notifications): stored per person in their language, pushed over
/ws/notifications/ after the commit, e-mailed after the commit; read through the API and the page.

The socket tests follow tests/telephony/test_realtime_agents.py: a synchronous test runs an inner
async scenario, and the consumers' database work runs on this thread inside the test's transaction.
"""

from __future__ import annotations

import itertools

import jsonschema
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.db import transaction
from django.utils.translation import gettext_lazy
from django_tenants.utils import tenant_context

from apps.notifications.models import Notification
from apps.notifications.services import notification_mark_read, notify
from apps.telephony.realtime_schema import schema_for
from config.asgi import application
from tests.accounts.helpers import web_login
from tests.conftest import TenantWorld

RECEIVE_TIMEOUT = 5
# A text the zh-Hans catalog has long had, so that the language of each copy can be told apart.
TITLE = gettext_lazy("Log out")


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """channels would close the connection that holds the test's transaction."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


_people = itertools.count(1)


def _person(world: TenantWorld, role: str = "agent"):
    """A user of ``world`` (TenantWorld.user names them by a count of the public schema's users,
    which does not grow here)."""
    return world.user(role, email=f"{role}-{next(_people)}@{world.tenant.slug}.test")


def _socket(world: TenantWorld, token: str | None = None) -> WebsocketCommunicator:
    headers = [(b"host", world.host.encode()), (b"origin", f"http://{world.host}".encode())]
    path = f"/ws/notifications/?token={token}" if token else "/ws/notifications/"
    return WebsocketCommunicator(application, path, headers=headers)


def _valid(message: dict) -> dict:
    schema = schema_for("notifications", message["type"])
    assert schema is not None, message["type"]
    jsonschema.validate(message, schema)
    return message


def _notify(world: TenantWorld, users, **fields) -> list[Notification]:
    defaults = {"kind": "test.hello", "title": TITLE, "body": "Body %(n)s", "params": {"n": 7}, "url": "/qa/mine/"}
    with tenant_context(world.tenant):
        return notify(users=users, **{**defaults, **fields})


# --- storing -----------------------------------------------------------------------------------


def test_each_recipient_gets_a_copy_in_their_own_language(acme):
    english = _person(acme, "agent")
    chinese = _person(acme, "agent")
    with tenant_context(acme.tenant):
        english.language, chinese.language = "en", "zh-hans"
        english.save(update_fields=["language"])
        chinese.save(update_fields=["language"])
    rows = _notify(acme, [english, chinese, english])
    assert len(rows) == 2  # the duplicate is dropped
    with tenant_context(acme.tenant):
        by_user = {n.user_id: n for n in Notification.objects.all()}
    assert by_user[english.pk].title == "Log out"
    assert by_user[chinese.pk].title == "退出"
    assert by_user[english.pk].body == "Body 7"
    assert by_user[english.pk].read_at is None and by_user[english.pk].url == "/qa/mine/"


def test_inactive_users_are_not_notified(acme):
    gone = _person(acme, "agent")
    with tenant_context(acme.tenant):
        gone.is_active = False
        gone.save(update_fields=["is_active"])
    assert _notify(acme, [gone]) == []


@pytest.mark.parametrize(("field", "value"), [("kind", "nodot"), ("url", "https://evil.example/")])
def test_a_bad_kind_or_an_outside_link_is_refused_and_nothing_is_stored(acme, field, value):
    user = _person(acme, "agent")
    with pytest.raises(Exception) as error:
        _notify(acme, [user], **{field: value})
    assert getattr(error.value, "code", None) == "invalid"
    with tenant_context(acme.tenant):
        assert not Notification.objects.exists()


# --- e-mail ------------------------------------------------------------------------------------


def test_the_email_leaves_after_the_commit_in_the_recipients_language(acme, django_capture_on_commit_callbacks):
    chinese = _person(acme, "agent")
    with tenant_context(acme.tenant):
        chinese.language = "zh-hans"
        chinese.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _notify(acme, [chinese])
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        with tenant_context(acme.tenant):
            callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [chinese.email]
    assert message.subject == "退出"
    assert "/qa/mine/" in message.body and "Body 7" in message.body
    with tenant_context(acme.tenant):
        assert Notification.objects.get(user=chinese).emailed_at is not None


def test_no_email_when_asked_for_none_or_when_the_change_rolls_back(acme, django_capture_on_commit_callbacks):
    user = _person(acme, "agent")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(acme, [user], email=False)
    assert mail.outbox == []
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        tenant_context(acme.tenant),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(users=[user], kind="test.hello", title=TITLE)
        raise RuntimeError("rolled back")
    assert callbacks == [] and mail.outbox == []


def test_an_email_already_sent_is_not_sent_again(acme, django_capture_on_commit_callbacks):
    from apps.notifications.services import notifications_email

    user = _person(acme, "agent")
    with django_capture_on_commit_callbacks(execute=True):
        rows = _notify(acme, [user])
    with tenant_context(acme.tenant):
        assert notifications_email(ids=[rows[0].pk]) == 0
    assert len(mail.outbox) == 1


# --- the socket --------------------------------------------------------------------------------


def test_the_socket_sends_the_unread_count_then_each_new_notification(acme, django_capture_on_commit_callbacks):
    user = _person(acme, "agent")
    _notify(acme, [user], email=False)
    token = acme.token(user)

    def send_one():
        with django_capture_on_commit_callbacks(execute=True):
            return _notify(acme, [user], kind="qa.evaluation_submitted", email=False)[0]

    async def scenario():
        socket = _socket(acme, token)
        connected, _ = await socket.connect()
        assert connected
        snapshot = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        sent = await sync_to_async(send_one)()
        message = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return snapshot, sent, message

    snapshot, sent, message = async_to_sync(scenario)()
    assert _valid(snapshot)["unread"] == 1 and len(snapshot["latest"]) == 1
    assert _valid(message)["type"] == "notification.new"
    assert (message["id"], message["kind"], message["unread"], message["read"]) == (
        sent.pk,
        "qa.evaluation_submitted",
        2,
        False,
    )
    assert message["title"] == "Log out" and message["url"] == "/qa/mine/"


def test_reading_on_one_device_updates_the_count_on_the_others(acme, django_capture_on_commit_callbacks):
    user = _person(acme, "agent")
    first, second = _notify(acme, [user], email=False)[0], _notify(acme, [user], email=False)[0]
    token = acme.token(user)

    def read_first():
        with django_capture_on_commit_callbacks(execute=True), tenant_context(acme.tenant):
            notification_mark_read(notification=first, user=user)

    async def scenario():
        socket = _socket(acme, token)
        await socket.connect()
        snapshot = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await sync_to_async(read_first)()
        message = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return snapshot, message

    snapshot, message = async_to_sync(scenario)()
    assert snapshot["unread"] == 2
    assert _valid(message) | {"ts": ""} == {"type": "notification.read", "ts": "", "ids": [first.pk], "unread": 1}
    assert second.pk != first.pk


def test_nobody_hears_another_persons_notifications(acme, django_capture_on_commit_callbacks):
    listener, other = _person(acme, "supervisor"), _person(acme, "agent")
    token = acme.token(listener)

    def send_to_other():
        with django_capture_on_commit_callbacks(execute=True):
            _notify(acme, [other], email=False)
        with django_capture_on_commit_callbacks(execute=True):
            _notify(acme, [listener], kind="test.mine", email=False)

    async def scenario():
        socket = _socket(acme, token)
        await socket.connect()
        snapshot = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await sync_to_async(send_to_other)()
        message = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return snapshot, message

    snapshot, message = async_to_sync(scenario)()
    assert snapshot["unread"] == 0
    assert message["kind"] == "test.mine"  # the other person's came first and never arrived here


def test_the_socket_refuses_strangers(acme, globex):
    async def scenario(socket):
        connected, code = await socket.connect()
        if connected:
            await socket.disconnect()
        return connected, code

    assert async_to_sync(scenario)(_socket(acme)) == (False, 4403)  # anonymous
    assert async_to_sync(scenario)(_socket(acme, "not-a-token"))[0] is False
    globex_token = globex.token(globex.admin())
    assert async_to_sync(scenario)(_socket(acme, globex_token))[0] is False


# --- the API -----------------------------------------------------------------------------------


def test_the_api_lists_only_the_callers_own_and_filters_unread(acme):
    user, other = _person(acme, "agent"), _person(acme, "agent")
    mine = _notify(acme, [user], email=False)[0]
    _notify(acme, [user], email=False)
    _notify(acme, [other], email=False)
    with tenant_context(acme.tenant):
        notification_mark_read(notification=mine, user=user)
    api = acme.api(user)
    everything = api.get("/api/v1/notifications")
    assert everything.status_code == 200
    assert everything["X-Unread-Count"] == "1"
    assert everything.json()["count"] == 2
    unread = api.get("/api/v1/notifications?unread=true").json()
    assert [row["read"] for row in unread["results"]] == [False]
    assert set(unread["results"][0]) == {"id", "kind", "title", "body", "url", "created_at", "read_at", "read"}
    bad = api.get("/api/v1/notifications?unread=maybe")
    assert bad.status_code == 400 and "unread" in bad.json()["fields"]


def test_marking_read_through_the_api(acme):
    user, other = _person(acme, "agent"), _person(acme, "agent")
    mine = _notify(acme, [user], email=False)[0]
    theirs = _notify(acme, [other], email=False)[0]
    api = acme.api(user)
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read").status_code == 404
    response = api.post(f"/api/v1/notifications/{mine.pk}/read")
    assert response.status_code == 200 and response.json()["read"] is True
    with tenant_context(acme.tenant):
        assert Notification.objects.get(pk=theirs.pk).read_at is None
        first_read = Notification.objects.get(pk=mine.pk).read_at
    assert api.post(f"/api/v1/notifications/{mine.pk}/read").status_code == 200
    with tenant_context(acme.tenant):
        assert Notification.objects.get(pk=mine.pk).read_at == first_read  # read once, kept
    _notify(acme, [user], email=False)
    assert api.post("/api/v1/notifications/read-all").json() == {"marked": 1}
    assert acme.api().get("/api/v1/notifications").status_code in (401, 403)


# --- the pages ---------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count_and_the_page_opens_a_notification(acme):
    user = _person(acme, "agent")
    notification = _notify(acme, [user], email=False, url="/notifications/?show=read")[0]
    client = web_login(acme, user.email)
    home = client.get("/notifications/").content.decode()
    assert 'id="bell"' in home and 'data-socket="/ws/notifications/"' in home
    assert '<span class="bell-count" data-unread>1</span>' in home
    assert f'data-notification="{notification.pk}"' in home
    opened = client.post(f"/notifications/{notification.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == "/notifications/?show=read"
    with tenant_context(acme.tenant):
        assert Notification.objects.get(pk=notification.pk).read_at is not None
    after = client.get("/notifications/").content.decode()
    assert '<span class="bell-count is-zero" data-unread>0</span>' in after


def test_the_page_refuses_another_persons_notification(acme):
    user, other = _person(acme, "agent"), _person(acme, "qa")
    theirs = _notify(acme, [other], email=False)[0]
    client = web_login(acme, user.email)
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{theirs.pk}/read/").status_code == 405
