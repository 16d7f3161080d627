"""The calls API and pages: visibility by role, filters, the timeline, voicemail and callbacks,
and that GET /calls/<uid> lives beside the agent call-control routes /calls/<uid>/answer…"""

from __future__ import annotations

import pytest
from django.urls import resolve
from django_tenants.utils import tenant_context

from apps.crm.services import customer_create
from apps.telephony.api.calls import CallDetailView, CallListView
from apps.telephony.choices import CallbackStatus, CallEndReason
from apps.telephony.models import CallbackRequest, Voicemail
from apps.telephony.services import cdr
from apps.telephony.services.recordings import recording_create
from tests.accounts.helpers import web_login
from tests.telephony.call_factories import at, make_agent, make_disposition, make_queue, uid


def _call(*, caller="13900000001", queue=None, agent=None, start=0.0, abandon=False, direction="inbound"):
    call = cdr.call_open(uid=uid(), direction=direction, caller=caller, callee="400", at=at(start))
    if queue is not None:
        cdr.call_queued(call, queue=queue, at=at(start + 1))
    if abandon:
        return cdr.call_close(call, at=at(start + 30), end_reason=CallEndReason.ABANDONED)
    if agent is not None:
        cdr.call_answered(call, agent=agent, at=at(start + 3))
    return cdr.call_close(call, at=at(start + 60), end_reason=CallEndReason.COMPLETED, wrapup=False)


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        sales, support = make_queue(name="Sales"), make_queue(name="Support")
        mine_user, theirs_user = acme.user("agent"), acme.user("agent")
        mine, theirs = make_agent(mine_user), make_agent(theirs_user)
        customer_create(name="Li Lei", phones=["13800138000"], is_vip=True)
        calls = {
            "mine": _call(queue=sales, agent=mine, start=0, caller="13800138000"),
            "theirs": _call(queue=support, agent=theirs, start=100),
            "abandoned": _call(queue=sales, start=200, abandon=True, caller="13700000007"),
            "outbound": _call(agent=mine, start=300, direction="outbound", caller="4001234567"),
        }
        cdr.call_wrapup_end(calls["mine"], at=at(70), disposition=make_disposition())
    return {
        "tenant": acme,
        "calls": calls,
        "sales": sales,
        "support": support,
        "me": mine_user,
        "agent": mine,
        "them": theirs_user,
    }


def _uids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["uid"] for row in response.json()["results"]}


def _mine(world) -> set[str]:
    return {c.uid for c in world["calls"].values()}


# --- routing ------------------------------------------------------------------------------


def test_call_detail_and_call_actions_coexist():
    assert resolve("/api/v1/calls", urlconf="config.urls_tenant").func.view_class is CallListView
    assert resolve("/api/v1/calls/abc-1.2", urlconf="config.urls_tenant").func.view_class is CallDetailView
    action = resolve("/api/v1/calls/abc-1.2/answer", urlconf="config.urls_tenant")
    assert action.url_name == "call-answer"
    assert action.kwargs == {"uid": "abc-1.2"}


# --- visibility ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["tenant_admin", "supervisor", "qa"])
def test_admins_supervisors_and_qa_see_every_call(world, role):
    assert _uids(world["tenant"].api(world["tenant"].user(role)).get("/api/v1/calls")) >= _mine(world)


def test_an_agent_sees_only_their_own_calls(world):
    seen = _uids(world["tenant"].api(world["me"]).get("/api/v1/calls"))

    assert seen == {world["calls"]["mine"].uid, world["calls"]["outbound"].uid}


def test_an_agent_cannot_open_someone_elses_call(world):
    response = world["tenant"].api(world["me"]).get(f"/api/v1/calls/{world['calls']['theirs'].uid}")

    assert response.status_code == 404


@pytest.mark.parametrize("role", ["trainer", "hr", "billing"])
def test_other_roles_see_no_calls(world, role):
    assert world["tenant"].api(world["tenant"].user(role)).get("/api/v1/calls").status_code == 403


def test_another_tenants_token_is_refused(world, globex):
    client = world["tenant"].api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")

    assert client.get("/api/v1/calls").status_code == 401
    assert client.get(f"/api/v1/calls/{world['calls']['mine'].uid}").status_code == 401


def test_another_tenants_admin_does_not_find_our_calls(world, globex):
    response = globex.api(globex.admin()).get(f"/api/v1/calls/{world['calls']['mine'].uid}")

    assert response.status_code == 404


# --- filters ------------------------------------------------------------------------------


@pytest.fixture
def supervisor_api(world):
    return world["tenant"].api(world["tenant"].user("supervisor"))


def _filtered(world, client, **params) -> set[str]:
    return _uids(client.get("/api/v1/calls", params)) & _mine(world)


def test_filter_by_queue(world, supervisor_api):
    assert _filtered(world, supervisor_api, queue=world["sales"].pk) == {
        world["calls"]["mine"].uid,
        world["calls"]["abandoned"].uid,
    }


def test_filter_by_agent(world, supervisor_api):
    assert _filtered(world, supervisor_api, agent=world["agent"].pk) == {
        world["calls"]["mine"].uid,
        world["calls"]["outbound"].uid,
    }


def test_filter_by_direction(world, supervisor_api):
    assert _filtered(world, supervisor_api, direction="outbound") == {world["calls"]["outbound"].uid}


def test_filter_abandoned(world, supervisor_api):
    assert _filtered(world, supervisor_api, abandoned="true") == {world["calls"]["abandoned"].uid}


def test_filter_by_disposition_code(world, supervisor_api):
    assert _filtered(world, supervisor_api, disposition="h8-solved") == {world["calls"]["mine"].uid}


def test_filter_by_part_of_the_caller_number(world, supervisor_api):
    assert _filtered(world, supervisor_api, caller="0000007") == {world["calls"]["abandoned"].uid}


def test_filter_by_date_range(world, supervisor_api):
    params = {"since": at(100).isoformat(), "until": at(250).isoformat()}

    assert _filtered(world, supervisor_api, **params) == {
        world["calls"]["theirs"].uid,
        world["calls"]["abandoned"].uid,
    }


def test_bad_filter_value_is_a_400(world, supervisor_api):
    response = supervisor_api.get("/api/v1/calls", {"queue": "not-a-number"})

    assert response.status_code == 400
    assert "queue" in response.json()["fields"]


def test_an_offset_beyond_the_databases_range_is_read_as_its_instant(world, supervisor_api):
    """ISO 8601 allows offsets up to ±23:59, PostgreSQL only ±15:59 (found by the API fuzz test):
    the filter converts to UTC first."""
    response = supervisor_api.get("/api/v1/calls", {"since": "0169-12-08T03:29:24+22:42"})

    assert response.status_code == 200
    assert response.json()["count"] == len(world["calls"])


def test_an_instant_before_the_first_representable_one_is_a_400(world, supervisor_api):
    response = supervisor_api.get("/api/v1/calls", {"since": "0001-01-01T00:00:00+08:00"})

    assert response.status_code == 400
    assert "since" in response.json()["fields"]


# --- detail -------------------------------------------------------------------------------


def test_call_detail_has_the_cdr_and_the_timeline(world, supervisor_api):
    call = world["calls"]["mine"]

    body = supervisor_api.get(f"/api/v1/calls/{call.uid}").json()

    assert body["uid"] == call.uid
    assert body["queue"] == {"id": world["sales"].pk, "name": "Sales"}
    assert body["agent"]["id"] == world["agent"].pk
    assert body["customer"]["name"] == "Li Lei"
    assert body["priority"] == cdr.VIP_PRIORITY
    assert body["wait_seconds"] == 2
    assert body["talk_seconds"] == 57
    assert body["disposition"] == "h8-solved"
    assert body["answered_within_sl"] is True
    assert [e["kind"] for e in body["events"]] == ["arrived", "queued", "answered", "ended", "wrapup_ended"]
    assert body["recording"] is None
    assert body["has_recording"] is False


# --- voicemail and callbacks --------------------------------------------------------------


@pytest.fixture
def left_messages(world):
    with tenant_context(world["tenant"].tenant):
        abandoned = world["calls"]["abandoned"]
        Voicemail.objects.create(call=abandoned, queue=world["sales"], caller=abandoned.caller, duration_seconds=12)
        CallbackRequest.objects.create(
            call=world["calls"]["theirs"], queue=world["support"], number="13900000001", original_queued_at=at(101)
        )


def test_supervisor_lists_voicemail(world, left_messages, supervisor_api):
    rows = supervisor_api.get("/api/v1/voicemails", {"queue": world["sales"].pk}).json()["results"]

    assert [(r["call"], r["caller"], r["duration_seconds"]) for r in rows] == [
        (world["calls"]["abandoned"].uid, "13700000007", 12.0)
    ]
    assert rows[0]["queue"] == {"id": world["sales"].pk, "name": "Sales"}


def test_supervisor_lists_callbacks(world, left_messages, supervisor_api):
    rows = supervisor_api.get("/api/v1/callbacks", {"status": CallbackStatus.PENDING}).json()["results"]

    mine = [r for r in rows if r["call"] == world["calls"]["theirs"].uid]
    assert len(mine) == 1
    assert mine[0]["number"] == "13900000001"
    assert mine[0]["status"] == "pending"


def _sales_needs_a_skill_the_agent_lacks(world):
    from apps.telephony.models import QueueSkill, Skill

    with tenant_context(world["tenant"].tenant):
        QueueSkill.objects.create(queue=world["sales"], skill=Skill.objects.create(code="h8-french", name="French"))


def test_agents_list_the_voicemail_and_callbacks_of_their_queues_only(world, left_messages):
    api = world["tenant"].api(world["me"])
    assert len(api.get("/api/v1/voicemails").json()["results"]) == 1  # sales: no skills needed
    assert len(api.get("/api/v1/callbacks").json()["results"]) == 1  # support

    _sales_needs_a_skill_the_agent_lacks(world)

    assert api.get("/api/v1/voicemails").json()["results"] == []
    assert len(api.get("/api/v1/callbacks").json()["results"]) == 1


@pytest.mark.parametrize("path", ["/api/v1/voicemails", "/api/v1/callbacks"])
def test_qa_does_not_list_voicemail_or_callbacks(world, path):
    assert world["tenant"].api(world["tenant"].user("qa")).get(path).status_code == 403


# --- pages --------------------------------------------------------------------------------


def test_supervisor_call_list_page_filters(world):
    client = web_login(world["tenant"], world["tenant"].user("supervisor").email)

    page = client.get("/calls/", {"abandoned": "true"}).content.decode()

    assert world["calls"]["abandoned"].uid in page
    assert world["calls"]["mine"].uid not in page


def test_agent_call_list_page_shows_only_their_calls(world):
    client = web_login(world["tenant"], world["me"].email)

    page = client.get("/calls/").content.decode()

    assert world["calls"]["mine"].uid in page
    assert world["calls"]["theirs"].uid not in page


def test_call_detail_page_has_timeline_and_player(world):
    with tenant_context(world["tenant"].tenant):
        recording = recording_create(call=world["calls"]["mine"], duration_seconds=2)
    client = web_login(world["tenant"], world["me"].email)

    page = client.get(f"/calls/{world['calls']['mine'].uid}/").content.decode()

    assert "wrapup_ended" in page
    assert f'<audio controls preload="none" src="/calls/recordings/{recording.pk}/file?token=' in page
    assert "Download" not in page and "下载" not in page


def test_call_detail_page_of_another_agents_call_is_404(world):
    client = web_login(world["tenant"], world["me"].email)

    assert client.get(f"/calls/{world['calls']['theirs'].uid}/").status_code == 404


def test_voicemail_page_is_for_supervisors_and_the_queues_agents(world, left_messages):
    supervisor = web_login(world["tenant"], world["tenant"].user("supervisor").email)
    agent = web_login(world["tenant"], world["me"].email)
    qa = web_login(world["tenant"], world["tenant"].user("qa").email)

    assert "13700000007" in supervisor.get("/calls/voicemails/").content.decode()
    assert "13700000007" in agent.get("/calls/voicemails/").content.decode()
    assert qa.get("/calls/voicemails/").status_code == 403
    _sales_needs_a_skill_the_agent_lacks(world)
    assert "13700000007" not in agent.get("/calls/voicemails/").content.decode()


def test_calls_filter_by_campaign(acme):
    from tests.telephony.campaign_factories import make_campaign

    with tenant_context(acme.tenant):
        campaign = make_campaign()
        dialled = _call(direction="outbound", caller="4008200000")
        cdr.call_update(dialled, campaign=campaign)
        _call(start=50)
    response = acme.api(acme.admin()).get(f"/api/v1/calls?campaign={campaign.pk}")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["uid"], row["campaign"]) for row in rows] == [(dialled.uid, campaign.pk)]
