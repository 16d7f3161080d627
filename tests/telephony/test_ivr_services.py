"""IVR services: drafts, publishing, immutability, import/export, routing, test calls, hours,
and the default flow every new tenant gets."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context, tenant_context

from apps.core.errors import ApplicationError
from apps.telephony.choices import IvrFlowStatus
from apps.telephony.ivr.defaults import DEFAULT_FLOW_NAME, DEFAULT_HOURS_NAME
from apps.telephony.models import BusinessHours, HolidayOverride, IvrFlow, IvrFlowVersion, PhoneNumber, Queue
from apps.telephony.services import business_hours as hours_services
from apps.telephony.services import ivr as ivr_services
from apps.telephony.services.defaults import seed_default_ivr
from apps.tenants.services.provisioning import tenant_provision
from tests.conftest import PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKDAY = [["09:00", "18:00"]]
WEEKLY = {"mon": WORKDAY, "tue": WORKDAY, "wed": WORKDAY, "thu": WORKDAY, "fri": WORKDAY, "sat": [], "sun": []}
THURSDAY_NOON = dt.datetime(2025, 10, 9, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def world(acme):
    """The acme schema, active for the whole test."""
    with tenant_context(acme.tenant):
        yield acme


@pytest.fixture
def queue(world):
    return Queue.objects.create(code="sales-test", name="Sales")


@pytest.fixture
def hours(world):
    return hours_services.business_hours_create(name="Office", weekly=WEEKLY)


def menu_graph(queue_id: int, hours_id: int | None = None) -> dict:
    nodes = {
        "welcome": {"type": "play", "prompt": "Welcome 欢迎", "next": "menu"},
        "menu": {
            "type": "menu",
            "prompt": "1 sales, 0 agent",
            "options": {"1": "sales", "0": "sales"},
            "agent_options": ["0"],
            "retries": 1,
            "invalid": "vm",
        },
        "sales": {"type": "queue", "queue": queue_id, "after_call": "survey"},
        "survey": {"type": "survey", "prompt": "Rate us"},
        "vm": {"type": "voicemail", "queue": queue_id},
    }
    start = "welcome"
    if hours_id is not None:
        nodes["hours"] = {"type": "hours", "business_hours": hours_id, "open": "welcome", "closed": "vm"}
        start = "hours"
    return {"start": start, "nodes": nodes}


def published_flow(queue, hours=None, name="Sales line") -> IvrFlow:
    flow = ivr_services.flow_create(name=name, graph=menu_graph(queue.pk, hours.pk if hours else None))
    ivr_services.flow_publish(flow=flow)
    return flow


def statuses(flow: IvrFlow) -> dict[int, str]:
    return dict(flow.versions.order_by("number").values_list("number", "status"))


# --- drafts ------------------------------------------------------------------------------------------


def test_a_new_flow_has_draft_version_1(world):
    flow = ivr_services.flow_create(name="Support")

    assert statuses(flow) == {1: IvrFlowStatus.DRAFT}
    assert flow.versions.get().graph == {"start": "hangup", "nodes": {"hangup": {"type": "hangup"}}}


def test_flow_names_are_unique_ignoring_case(world):
    ivr_services.flow_create(name="Support")

    with pytest.raises(ApplicationError) as caught:
        ivr_services.flow_create(name="support")

    assert caught.value.code == "duplicate"
    assert "name" in caught.value.fields


def test_a_draft_is_edited_in_place(world, queue):
    flow = ivr_services.flow_create(name="Support")

    version = ivr_services.draft_update(flow=flow, graph=menu_graph(queue.pk))

    assert version.number == 1
    assert flow.versions.count() == 1
    assert flow.versions.get().graph["start"] == "welcome"


def test_a_draft_must_be_graph_shaped(world):
    flow = ivr_services.flow_create(name="Support")

    with pytest.raises(ApplicationError) as caught:
        ivr_services.draft_update(flow=flow, graph=["nodes"])

    assert caught.value.code == "invalid"
    assert flow.versions.get().graph["start"] == "hangup"


def test_editing_a_published_flow_starts_draft_version_2(world, queue):
    flow = published_flow(queue)
    changed = menu_graph(queue.pk)
    changed["nodes"]["welcome"]["prompt"] = "New welcome"

    draft = ivr_services.draft_update(flow=flow, graph=changed)

    assert draft.number == 2
    assert statuses(flow) == {1: IvrFlowStatus.PUBLISHED, 2: IvrFlowStatus.DRAFT}
    assert flow.versions.get(number=1).graph["nodes"]["welcome"]["prompt"] == "Welcome 欢迎"


def test_draft_create_copies_the_published_graph(world, queue):
    flow = published_flow(queue)

    draft = ivr_services.draft_create(flow=flow)

    assert draft.number == 2
    assert draft.status == IvrFlowStatus.DRAFT
    assert draft.graph == flow.versions.get(number=1).graph


def test_draft_create_returns_the_existing_draft(world):
    flow = ivr_services.flow_create(name="Support")

    assert ivr_services.draft_create(flow=flow).number == 1
    assert flow.versions.count() == 1


# --- publishing --------------------------------------------------------------------------------------


def test_publishing_makes_the_draft_what_calls_run(world, queue):
    flow = ivr_services.flow_create(name="Sales line", graph=menu_graph(queue.pk))
    admin = world.admin()

    result = ivr_services.flow_publish(flow=flow, user=admin)

    assert result.version.status == IvrFlowStatus.PUBLISHED
    assert result.version.published_by == admin
    assert result.version.published_at is not None
    assert flow.published == result.version
    assert result.warnings == {}


def test_publishing_retires_the_previous_version(world, queue):
    flow = published_flow(queue)
    ivr_services.draft_create(flow=flow)

    result = ivr_services.flow_publish(flow=flow)

    assert result.version.number == 2
    assert statuses(flow) == {1: IvrFlowStatus.RETIRED, 2: IvrFlowStatus.PUBLISHED}
    assert flow.published.number == 2


def test_publishing_an_invalid_draft_is_refused_with_the_problems(world):
    graph = {"start": "hi", "nodes": {"hi": {"type": "play", "prompt": "Hi", "next": "gone"}}}
    flow = ivr_services.flow_create(name="Broken", graph=graph)

    with pytest.raises(ApplicationError) as caught:
        ivr_services.flow_publish(flow=flow)

    assert caught.value.code == "invalid_flow"
    assert caught.value.fields == {"nodes.hi.next": ["Node “gone” does not exist."]}
    assert statuses(flow) == {1: IvrFlowStatus.DRAFT}


def test_publishing_checks_that_queues_exist(world):
    graph = {"start": "q", "nodes": {"q": {"type": "queue", "queue": 987654}}}
    flow = ivr_services.flow_create(name="Ghost queue", graph=graph)

    with pytest.raises(ApplicationError) as caught:
        ivr_services.flow_publish(flow=flow)

    assert caught.value.fields == {"nodes.q.queue": ["Queue 987654 does not exist."]}


def test_publishing_reports_warnings(world, queue):
    graph = menu_graph(queue.pk)
    graph["nodes"]["spare"] = {"type": "hangup"}
    flow = ivr_services.flow_create(name="Spare", graph=graph)

    result = ivr_services.flow_publish(flow=flow)

    assert result.warnings == {"nodes.spare": ["No path from the start reaches this node."]}


def test_publishing_without_a_draft_is_refused(world, queue):
    flow = published_flow(queue)

    with pytest.raises(ApplicationError) as caught:
        ivr_services.flow_publish(flow=flow)

    assert caught.value.code == "no_draft"


# --- immutability ------------------------------------------------------------------------------------


def test_a_published_version_cannot_change(world, queue):
    flow = published_flow(queue)
    version = flow.published

    with pytest.raises(ApplicationError) as caught:
        ivr_services.version_update(version=version, graph={"start": "x", "nodes": {"x": {"type": "hangup"}}})

    assert caught.value.code == "immutable"
    assert caught.value.status == 409
    version.refresh_from_db()
    assert version.graph["start"] == "welcome"


def test_a_retired_version_cannot_change(world, queue):
    flow = published_flow(queue)
    ivr_services.draft_create(flow=flow)
    ivr_services.flow_publish(flow=flow)
    retired = flow.versions.get(number=1)

    with pytest.raises(ApplicationError) as caught:
        ivr_services.version_update(version=retired, graph={"start": "x", "nodes": {"x": {"type": "hangup"}}})

    assert caught.value.code == "immutable"


def test_a_stale_draft_object_cannot_change_a_version_published_since(world, queue):
    flow = ivr_services.flow_create(name="Race", graph=menu_graph(queue.pk))
    stale = flow.versions.get()
    ivr_services.flow_publish(flow=flow)

    with pytest.raises(ApplicationError) as caught:
        ivr_services.version_update(version=stale, graph={"start": "x", "nodes": {"x": {"type": "hangup"}}})

    assert caught.value.code == "immutable"


def test_a_published_version_cannot_be_deleted(world, queue):
    flow = published_flow(queue)

    with pytest.raises(ApplicationError) as caught:
        ivr_services.version_delete(version=flow.published)

    assert caught.value.code == "immutable"
    assert flow.versions.count() == 1


def test_a_draft_can_be_discarded(world, queue):
    flow = published_flow(queue)
    draft = ivr_services.draft_create(flow=flow)

    ivr_services.version_delete(version=draft)

    assert statuses(flow) == {1: IvrFlowStatus.PUBLISHED}


# --- import / export ---------------------------------------------------------------------------------


def test_export_holds_the_graph_and_what_its_ids_mean(world, queue, hours):
    flow = published_flow(queue, hours)

    document = ivr_services.flow_export(flow=flow)

    assert document["format"] == "contactcenter.ivr-flow"
    assert document["name"] == "Sales line"
    assert document["version"] == 1
    assert document["graph"] == flow.published.graph
    assert document["references"] == {
        "queues": {str(queue.pk): "sales-test"},
        "business_hours": {str(hours.pk): "Office"},
    }


def test_import_export_round_trip_keeps_the_graph(world, queue, hours):
    flow = published_flow(queue, hours)
    document = ivr_services.flow_export(flow=flow)

    imported = ivr_services.flow_import(data=document)

    assert imported.flow.name == "Sales line (2)"
    assert imported.status == IvrFlowStatus.DRAFT
    assert imported.graph == flow.published.graph
    assert ivr_services.flow_export(flow=imported.flow)["graph"] == document["graph"]


def test_import_into_a_flow_becomes_its_draft(world, queue):
    flow = published_flow(queue)
    other = ivr_services.flow_create(name="Other", graph=menu_graph(queue.pk))
    other.versions.filter(number=1).update(graph={"start": "bye", "nodes": {"bye": {"type": "hangup"}}})

    version = ivr_services.flow_import(data=ivr_services.flow_export(flow=other), flow=flow)

    assert version.number == 2
    assert version.graph == {"start": "bye", "nodes": {"bye": {"type": "hangup"}}}
    assert flow.published.number == 1


def test_import_into_another_tenant_maps_queues_by_code(acme, globex):
    with tenant_context(acme.tenant):
        vip = Queue.objects.create(code="vip-test", name="VIP")
        document = ivr_services.flow_export(flow=published_flow(vip, name="VIP line"))
    with tenant_context(globex.tenant):
        Queue.objects.create(code="filler-test", name="Filler")
        their_vip = Queue.objects.create(code="vip-test", name="VIP")
        assert their_vip.pk != vip.pk

        version = ivr_services.flow_import(data=document)

        assert version.graph["nodes"]["sales"]["queue"] == their_vip.pk
        assert ivr_services.graph_validate(version.graph).ok


def test_import_of_something_else_is_refused(world):
    with pytest.raises(ApplicationError) as caught:
        ivr_services.flow_import(data={"format": "other", "graph": {"start": "a", "nodes": {}}})

    assert caught.value.code == "invalid"
    assert not IvrFlow.objects.filter(name="Imported flow").exists()


# --- routing numbers ---------------------------------------------------------------------------------


@pytest.fixture
def number(world):
    from apps.telephony.models import Trunk

    trunk = Trunk.objects.create(name="Test trunk")
    return PhoneNumber.objects.create(number="4008000999", trunk=trunk)


def test_a_number_can_route_to_a_published_flow(world, queue, number):
    flow = published_flow(queue)
    number.queue = queue
    number.save()

    ivr_services.number_route_set(number=number, ivr_flow=flow)

    number.refresh_from_db()
    assert number.ivr_flow == flow
    assert number.queue is None


def test_a_number_can_route_straight_to_a_queue(world, queue, number):
    ivr_services.number_route_set(number=number, queue=queue)

    number.refresh_from_db()
    assert number.queue == queue
    assert number.ivr_flow is None


def test_a_number_cannot_route_to_an_unpublished_flow(world, number):
    flow = ivr_services.flow_create(name="Unpublished")

    with pytest.raises(ApplicationError) as caught:
        ivr_services.number_route_set(number=number, ivr_flow=flow)

    assert caught.value.code == "not_published"
    number.refresh_from_db()
    assert number.ivr_flow is None


def test_a_number_cannot_route_to_both(world, queue, number):
    flow = published_flow(queue)

    with pytest.raises(ApplicationError) as caught:
        ivr_services.number_route_set(number=number, ivr_flow=flow, queue=queue)

    assert caught.value.code == "invalid"


def test_a_flow_that_numbers_route_to_cannot_be_deleted(world, queue, number):
    flow = published_flow(queue)
    ivr_services.number_route_set(number=number, ivr_flow=flow)

    with pytest.raises(ApplicationError) as caught:
        ivr_services.flow_delete(flow=flow)

    assert caught.value.code == "in_use"
    assert IvrFlow.objects.filter(pk=flow.pk).exists()


# --- test calls --------------------------------------------------------------------------------------


def test_a_test_call_shows_the_path_and_where_it_ended(world, queue, hours):
    flow = published_flow(queue, hours)

    result = ivr_services.flow_test_call(version=flow.published, digits=["1"], at=THURSDAY_NOON)

    assert [step["node"] for step in result.path] == ["hours", "welcome", "menu", "sales"]
    assert result.path[2] == {"node": "menu", "type": "menu", "input": "1", "outcome": "option"}
    assert result.result == {"type": "queue", "node": "sales", "queue_id": queue.pk, "after_call_node": "survey"}
    assert result.finished
    assert result.unused_digits == []


def test_a_test_call_at_night_goes_to_voicemail(world, queue, hours):
    flow = published_flow(queue, hours)

    result = ivr_services.flow_test_call(
        version=flow.published, digits=["1"], at=dt.datetime(2025, 10, 9, 22, 0, tzinfo=SHANGHAI)
    )

    assert [step["node"] for step in result.path] == ["hours", "vm"]
    assert result.path[0]["outcome"] == "closed"
    assert result.result["type"] == "voicemail"
    assert result.unused_digits == ["1"]


def test_a_test_call_on_a_public_holiday_uses_the_holiday_calendar(world, queue, hours):
    flow = published_flow(queue, hours)

    result = ivr_services.flow_test_call(
        version=flow.published, digits=[], at=dt.datetime(2025, 10, 1, 10, 0, tzinfo=SHANGHAI)
    )

    assert result.path[0]["outcome"] == "closed"  # no holiday branch: holidays go the closed way


def test_a_test_call_honours_the_hours_overrides(world, queue, hours):
    flow = published_flow(queue, hours)
    hours_services.holiday_override_set(hours=hours, date=dt.date(2025, 10, 9), is_open=False, name="Outing")

    result = ivr_services.flow_test_call(version=flow.published, digits=["1"], at=THURSDAY_NOON)

    assert result.path[0]["outcome"] == "closed"


def test_a_test_call_with_silence_follows_the_retries(world, queue):
    flow = published_flow(queue)

    result = ivr_services.flow_test_call(version=flow.published, digits=[], at=THURSDAY_NOON)

    assert [step.get("outcome") for step in result.path if step["node"] == "menu"] == ["no_input", "no_input"]
    assert result.result["type"] == "voicemail"


def test_a_test_call_continues_into_the_survey_when_keys_remain(world, queue):
    flow = published_flow(queue)

    result = ivr_services.flow_test_call(version=flow.published, digits=["0", "5"], at=THURSDAY_NOON)

    assert result.reached_agent_request
    assert result.survey_score == 5
    assert result.result == {"type": "hangup", "node": "survey", "reason": "ivr_end"}
    assert [a["type"] for a in result.actions] == ["play", "gather", "queue", "survey", "hangup"]


def test_a_test_call_on_an_invalid_draft_is_refused(world):
    flow = ivr_services.flow_create(name="Broken", graph={"start": "nowhere", "nodes": {"a": {"type": "hangup"}}})

    with pytest.raises(ApplicationError) as caught:
        ivr_services.flow_test_call(version=flow.versions.get(), digits=[])

    assert caught.value.code == "invalid_flow"


# --- business hours ----------------------------------------------------------------------------------


def test_business_hours_refuse_bad_intervals_by_day(world):
    with pytest.raises(ApplicationError) as caught:
        hours_services.business_hours_create(name="Bad", weekly={"mon": [["18:00", "09:00"]]})

    assert list(caught.value.fields) == ["weekly.mon"]
    assert not BusinessHours.objects.filter(name="Bad").exists()


def test_business_hours_refuse_unknown_time_zones(world):
    with pytest.raises(ApplicationError) as caught:
        hours_services.business_hours_create(name="Mars", time_zone="Mars/Olympus")

    assert list(caught.value.fields) == ["time_zone"]


def test_business_hours_update_checks_the_same_rules(world, hours):
    with pytest.raises(ApplicationError) as caught:
        hours_services.business_hours_update(hours=hours, makeup_day_hours=[["9:00", "18:00"]])

    assert list(caught.value.fields) == ["makeup_day_hours"]


def test_business_hours_a_flow_branches_on_cannot_be_deleted(world, queue, hours):
    published_flow(queue, hours)

    with pytest.raises(ApplicationError) as caught:
        hours_services.business_hours_delete(hours=hours)

    assert caught.value.code == "in_use"
    assert "Sales line v1" in str(caught.value.message)


def test_an_override_replaces_the_one_on_the_same_date(world, hours):
    hours_services.holiday_override_set(hours=hours, date=dt.date(2025, 12, 24), is_open=False, name="Eve")

    hours_services.holiday_override_set(
        hours=hours, date=dt.date(2025, 12, 24), is_open=True, open_hours=[["09:00", "12:00"]]
    )

    override = HolidayOverride.objects.get(hours=hours)
    assert override.is_open
    assert override.open_hours == [["09:00", "12:00"]]


def test_a_closed_override_has_no_hours(world, hours):
    with pytest.raises(ApplicationError) as caught:
        hours_services.holiday_override_set(
            hours=hours, date=dt.date(2025, 12, 24), is_open=False, open_hours=[["09:00", "12:00"]]
        )

    assert list(caught.value.fields) == ["open_hours"]


# --- the default flow of a new tenant ----------------------------------------------------------------


def test_every_tenant_gets_a_published_default_flow_that_validates(world):
    flow = IvrFlow.objects.get(name=DEFAULT_FLOW_NAME)

    version = flow.published
    assert version.number == 1
    assert statuses(flow) == {1: IvrFlowStatus.PUBLISHED}
    assert ivr_services.graph_validate(version.graph).ok


def test_the_tenants_number_runs_the_default_flow(world):
    flow = IvrFlow.objects.get(name=DEFAULT_FLOW_NAME)

    numbers = list(PhoneNumber.objects.all())
    assert numbers
    assert all(n.ivr_flow_id == flow.pk and n.queue_id is None for n in numbers)


def test_the_default_flow_routes_to_the_general_queue_and_default_hours(world):
    graph = IvrFlow.objects.get(name=DEFAULT_FLOW_NAME).published.graph
    general = Queue.objects.get(code="general")
    hours = BusinessHours.objects.get(name=DEFAULT_HOURS_NAME)

    assert graph["nodes"]["enquiries"] == {"type": "queue", "queue": general.pk, "after_call": "survey"}
    assert graph["nodes"]["hours"]["business_hours"] == hours.pk
    assert graph["nodes"]["menu"]["agent_options"] == ["0"]
    assert hours.follow_chinese_holidays
    assert hours.weekly["mon"] == [["09:00", "18:00"]]
    assert hours.weekly["sat"] == []


def test_the_default_flow_answers_a_test_call(world):
    flow = IvrFlow.objects.get(name=DEFAULT_FLOW_NAME)

    result = ivr_services.flow_test_call(version=flow.published, digits=["1", "4"], at=THURSDAY_NOON)

    assert [step["node"] for step in result.path] == ["hours", "welcome", "menu", "enquiries", "enquiries", "survey"]
    assert result.survey_score == 4


def provision(slug: str, seeders: list[str]):
    with override_settings(TENANT_SEEDERS=seeders), schema_context("public"):
        return tenant_provision(
            company="Initech Ltd",
            slug=slug,
            admin_email=f"admin@{slug}.test",
            admin_password=PASSWORD,
            seats=2,
            plan="standard",
        )


def test_a_new_tenant_gets_the_default_flow_on_its_number(db):
    result = provision(
        "ivrnew",
        ["apps.telephony.services.defaults.seed_tenant_defaults", "apps.telephony.services.defaults.seed_default_ivr"],
    )

    with tenant_context(result.tenant):
        flow = IvrFlow.objects.get(name=DEFAULT_FLOW_NAME)
        assert ivr_services.graph_validate(flow.published.graph).ok
        assert "Initech Ltd" in flow.published.graph["nodes"]["welcome"]["prompt"]
        numbers = list(PhoneNumber.objects.all())
        assert len(numbers) == (1 if result.number else 0)
        assert all(n.ivr_flow_id == flow.pk and n.queue_id is None for n in numbers)


def test_without_a_general_queue_the_default_flow_is_not_created(db):
    result = provision("ivrbare", ["apps.telephony.services.defaults.seed_default_ivr"])

    with tenant_context(result.tenant):
        assert not IvrFlow.objects.exists()
        assert not BusinessHours.objects.exists()


def test_seeding_twice_creates_nothing_more(world):
    seed_default_ivr(world.tenant)

    assert IvrFlow.objects.filter(name=DEFAULT_FLOW_NAME).count() == 1
    assert IvrFlowVersion.objects.filter(flow__name=DEFAULT_FLOW_NAME).count() == 1


# --- what the engine runs ----------------------------------------------------------------------------


def test_flow_session_runs_the_published_version(world, queue):
    flow = published_flow(queue)
    ivr_services.draft_update(flow=flow, graph={"start": "bye", "nodes": {"bye": {"type": "hangup"}}})

    version, session = ivr_services.flow_session(flow=flow, now=THURSDAY_NOON)

    assert version.number == 1
    assert session.start().node == "welcome"


def test_flow_session_of_an_unpublished_flow_is_none(world):
    flow = ivr_services.flow_create(name="Unpublished")

    assert ivr_services.flow_session(flow=flow, now=THURSDAY_NOON) is None
