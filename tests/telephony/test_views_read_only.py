"""Opening a telephony page writes nothing: the desk of an agent who never opened it, the routing
console's agents page with users who have no Agent row yet, the IVR editor. The rows those pages
need are created by the POST (or websocket) that uses them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.telephony.models import Agent, IvrFlow
from apps.telephony.services import ivr as ivr_services
from tests.accounts.helpers import web_login

WRITES = ("INSERT", "UPDATE", "DELETE")


def writes_during(request: Callable[[], Any]) -> tuple[Any, list[str]]:
    """``request()``'s answer and the SQL statements it ran that write."""
    with CaptureQueriesContext(connection) as captured:
        answer = request()
    return answer, [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]


def test_a_first_time_agent_opens_the_desk_without_writing(acme):
    user = acme.user(Role.AGENT, email="first-desk@acme.test")
    client = web_login(acme, "first-desk@acme.test")

    response, writes = writes_during(lambda: client.get("/desk/"))

    assert response.status_code == 200
    assert writes == []
    page = response.content.decode()
    assert 'id="seat"' in page or "<option" in page
    with tenant_context(acme.tenant):
        assert not Agent.objects.filter(user=user).exists()


def test_the_desk_of_a_known_agent_writes_nothing_either(acme):
    user = acme.user(Role.AGENT, email="known-desk@acme.test")
    with tenant_context(acme.tenant):
        agent = Agent.objects.create(user=user)
    client = web_login(acme, "known-desk@acme.test")

    response, writes = writes_during(lambda: client.get("/desk/"))

    assert response.status_code == 200
    assert writes == []
    assert f'"agent_id": {agent.pk}' in response.content.decode()


def test_the_agents_console_lists_users_without_an_agent_row_and_writes_nothing(acme):
    user = acme.user(Role.AGENT, email="pending-agent@acme.test")
    admin = web_login(acme, acme.admin_email)

    response, writes = writes_during(lambda: admin.get("/console/agents/"))

    assert response.status_code == 200
    assert writes == []
    assert "pending-agent@acme.test" in response.content.decode()
    with tenant_context(acme.tenant):
        assert not Agent.objects.filter(user=user).exists()


def test_choosing_seats_for_a_pending_agent_creates_the_row_on_post(acme):
    user = acme.user(Role.AGENT, email="pending-seats@acme.test")
    admin = web_login(acme, acme.admin_email)

    response = admin.post("/console/agents/", {"user": user.pk, "then": "seats"})

    with tenant_context(acme.tenant):
        agent = Agent.objects.get(user=user)
    assert response.status_code == 302
    assert response.url == f"/console/agents/{agent.pk}/seats/"
    assert admin.get(response.url).status_code == 200


def test_the_agents_console_does_not_make_agents_of_other_users(acme):
    supervisor = acme.user(Role.SUPERVISOR, email="not-an-agent@acme.test")
    admin = web_login(acme, acme.admin_email)

    assert admin.post("/console/agents/", {"user": supervisor.pk, "then": "skills"}).status_code == 404
    with tenant_context(acme.tenant):
        assert not Agent.objects.filter(user=supervisor).exists()


def test_opening_the_ivr_editor_writes_nothing(acme):
    with tenant_context(acme.tenant):
        flow = ivr_services.flow_create(name="Read only editor")
        ivr_services.flow_publish(flow=flow)  # no draft left: the editor shows the published version
        flow = IvrFlow.objects.get(pk=flow.pk)
    admin = web_login(acme, acme.admin_email)

    for path in (f"/console/ivr/flows/{flow.pk}/", f"/console/ivr/flows/{flow.pk}/nodes/hangup/"):
        response, writes = writes_during(lambda path=path: admin.get(path))
        assert response.status_code == 200, path
        assert writes == [], path
    with tenant_context(acme.tenant):
        assert ivr_services.flow_draft(flow) is None
