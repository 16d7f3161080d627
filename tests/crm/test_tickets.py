"""Tickets through their services: the life cycle, every illegal transition, who may do what,
history and audit, numbers, files, and the SLA sweep (warn → breach → supervise → escalate, with
notifications)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from apps.accounts.models import Team, User
from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from apps.crm.models import (
    Customer,
    SlaTarget,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketEvent,
    TicketNote,
    TicketVisit,
)
from apps.crm.selectors.tickets import access_ticket, actions_for, tickets_visible_to
from apps.crm.services import (
    department_create,
    ticket_assign,
    ticket_attach,
    ticket_category_create,
    ticket_change,
    ticket_close,
    ticket_create,
    ticket_follow_up,
    ticket_note,
    ticket_reopen,
    ticket_resolve,
    ticket_supervise,
    ticket_visit,
    tickets_sla_sweep,
)
from apps.crm.services.ticket_config import seed_ticket_defaults
from apps.crm.tasks import tickets_sla_sweep_task
from apps.notifications.models import Notification
from tests.pending_po import pending_translations
from tests.telephony.call_factories import make_agent, stored_call

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday morning long past: every test's clock is its own ``now``, never the wall clock's hour.
RECEIVED = dt.datetime(2026, 11, 10, 10, 0, tzinfo=SHANGHAI)
VISIT = {"solved": True, "attitude": "satisfied", "charged": False, "score": 9, "suggestion": "Faster, please."}


class World:
    def __init__(self, acme) -> None:
        self.acme = acme
        self.admin = acme.admin()
        self.supervisor = acme.user("supervisor")
        self.agent = acme.user("agent")
        self.colleague = acme.user("agent")  # in the department too
        self.outsider = acme.user("agent")  # in no department
        self.qa = acme.user("qa")
        self.trainer = acme.user("trainer")
        self.lead = acme.user("supervisor")  # the department's team supervisor
        team = Team.objects.create(name="Repairs team")
        team.members.add(self.agent, self.colleague)
        team.supervisors.add(self.lead)
        self.department = department_create(actor=None, name="Repairs", team=team.pk)
        self.category = ticket_category_create(
            actor=None,
            name="Heater repair",
            targets=[{"priority": "normal", "first_response_minutes": 60, "resolution_minutes": 540}],
        )

    def ticket(self, actor=None, **fields) -> Ticket:
        values = {"title": "Water heater broken", "category": self.category.pk, "received_at": RECEIVED}
        return ticket_create(actor=actor or self.agent, **{**values, **fields})


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        yield World(acme)


def kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("at", "id").values_list("kind", flat=True))


# --- the life cycle ---------------------------------------------------------------------------------


def test_a_ticket_goes_through_its_whole_life_cycle(world):
    customer = Customer.objects.create(name="Wang Fang", phones=["13800138000"])
    ticket = world.ticket(customer=customer.pk, description="No hot water since Monday.")
    assert ticket.status == "received"
    assert ticket.customer == customer
    assert ticket.created_by == world.agent
    assert ticket.number.startswith("T-2026-") and len(ticket.number) == len("T-2026-000001")

    ticket_assign(ticket=ticket, actor=world.supervisor, department=world.department.pk, note="Today please")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.department, ticket.assignee) == ("assigned", world.department, None)

    ticket_supervise(ticket=ticket, actor=world.supervisor, note="Customer called again")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.supervision_count) == ("supervised", 1)

    ticket_follow_up(ticket=ticket, actor=world.colleague, body="Technician booked for 14:00.", public=True)
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.first_response_at is not None
    assert ticket.assignee == world.colleague  # whoever works an unheld ticket takes it
    assert TicketNote.objects.get(ticket=ticket).kind == "reply"

    ticket_note(ticket=ticket, actor=world.agent, body="Spare part on order.")
    ticket_resolve(ticket=ticket, actor=world.colleague, resolution="Heater element replaced.")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution) == ("resolved", "Heater element replaced.")

    visit = ticket_visit(ticket=ticket, actor=world.supervisor, **VISIT)
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at is not None
    assert (visit.solved, visit.attitude, visit.charged, visit.score) == (True, "satisfied", False, 9)

    ticket_reopen(ticket=ticket, actor=world.supervisor, reason="Broke again")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count, ticket.closed_at, ticket.resolved_at) == ("in_progress", 1, None, None)

    assert kinds(ticket) == [
        "created",
        "assigned",
        "supervised",
        "follow_up",
        "note",
        "resolved",
        "visited",
        "closed",
        "reopened",
    ]
    transitions = list(ticket.events.exclude(to_status="").values_list("from_status", "to_status"))
    assert transitions == [
        ("", "received"),
        ("received", "assigned"),
        ("assigned", "supervised"),
        ("supervised", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "visited"),
        ("visited", "closed"),
        ("closed", "in_progress"),
    ]
    audited = set(
        AuditEntry.objects.filter(target_type="crm.ticket", target_id=str(ticket.pk)).values_list("action", flat=True)
    )
    assert audited == {
        "ticket.created",
        "ticket.assigned",
        "ticket.supervised",
        "ticket.followed_up",
        "ticket.note_added",
        "ticket.resolved",
        "ticket.visited",
        "ticket.reopened",
    }
    assign = AuditEntry.objects.get(action="ticket.assigned", target_id=str(ticket.pk))
    assert (assign.actor_id, assign.before["status"], assign.after["department"]) == (
        world.supervisor.pk,
        "received",
        world.department.pk,
    )


def test_numbers_count_per_year_of_receipt(world):
    first, second = world.ticket(), world.ticket()
    older = world.ticket(received_at=dt.datetime(2025, 12, 31, 23, 30, tzinfo=SHANGHAI))
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    assert older.number == "T-2025-000001"


def test_a_ticket_from_a_call_takes_the_callers_customer(world):
    customer = Customer.objects.create(name="Li Lei", phones=["+8613900139000"])
    call = stored_call(caller="13900139000", agent=make_agent(world.agent))
    ticket = world.ticket(call=call.uid)
    assert ticket.customer == customer
    assert list(ticket.calls.all()) == [call]


def test_an_agent_cannot_link_someone_elses_call(world):
    call = stored_call(agent=make_agent(world.colleague))
    with pytest.raises(ApplicationError) as refused:
        world.ticket(call=call.uid)
    assert refused.value.fields == {"call": ["No such call."]}
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"category": 999999}, "category"),
        ({"category": None}, "category"),
        ({"priority": "critical"}, "priority"),
        ({"customer": 999999}, "customer"),
        ({"call": "no-such-call"}, "call"),
        ({"received_at": dt.datetime(2099, 1, 1, tzinfo=SHANGHAI)}, "received_at"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_changes_nothing(world, fields, field):
    with pytest.raises(ApplicationError) as refused:
        world.ticket(**fields)
    assert refused.value.code == "invalid"
    assert field in refused.value.fields
    assert not Ticket.objects.exists()


def test_an_inactive_category_takes_no_new_tickets(world):
    world.category.active = False
    world.category.save()
    with pytest.raises(ApplicationError) as refused:
        world.ticket()
    assert "category" in refused.value.fields


# --- illegal transitions ----------------------------------------------------------------------------

STATUSES = ["received", "assigned", "supervised", "in_progress", "resolved", "visited", "closed"]
# What may start from where (the contract, written out rather than read from ticket_states.py).
ALLOWED = {
    "assign": {"received", "assigned", "supervised", "in_progress"},
    "supervise": {"received", "assigned", "supervised", "in_progress"},
    "follow_up": {"received", "assigned", "supervised", "in_progress"},
    "resolve": {"received", "assigned", "supervised", "in_progress"},
    "visit": {"resolved"},
    "close": {"resolved", "visited"},
    "reopen": {"resolved", "visited", "closed"},
    "change": {"received", "assigned", "supervised", "in_progress"},
}


def run(action: str, ticket: Ticket, world: World):
    actor = world.admin
    if action == "assign":
        return ticket_assign(ticket=ticket, actor=actor, assignee=world.agent.pk)
    if action == "supervise":
        return ticket_supervise(ticket=ticket, actor=actor)
    if action == "follow_up":
        return ticket_follow_up(ticket=ticket, actor=actor, body="Called back")
    if action == "resolve":
        return ticket_resolve(ticket=ticket, actor=actor)
    if action == "visit":
        return ticket_visit(ticket=ticket, actor=actor, **VISIT)
    if action == "close":
        return ticket_close(ticket=ticket, actor=actor)
    if action == "reopen":
        return ticket_reopen(ticket=ticket, actor=actor)
    return ticket_change(ticket=ticket, actor=actor, priority="urgent")


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_each_step_is_allowed_only_from_its_statuses(world, status, action):
    ticket = world.ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    events = ticket.events.count()
    if status in ALLOWED[action]:
        run(action, ticket, world)
        assert ticket.events.count() > events
    else:
        with pytest.raises(ApplicationError) as refused:
            run(action, ticket, world)
        assert refused.value.code == "invalid_state"
        assert refused.value.status == 400
        ticket.refresh_from_db()
        assert ticket.status == status
        assert ticket.events.count() == events
        assert not TicketVisit.objects.filter(ticket=ticket).exists()


def test_notes_and_files_are_taken_in_any_status(world):
    ticket = world.ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    ticket_note(ticket=ticket, actor=world.supervisor, body="Archived with the contract.")
    assert kinds(ticket)[-1] == "note"


# --- who may do what --------------------------------------------------------------------------------


def test_who_sees_which_ticket(world):
    own = world.ticket(actor=world.agent)
    departments = world.ticket(actor=world.supervisor)
    ticket_assign(ticket=departments, actor=world.supervisor, department=world.department.pk)
    others = world.ticket(actor=world.supervisor)
    visible = {
        user: set(tickets_visible_to(user).values_list("pk", flat=True))
        for user in vars(world).values()
        if hasattr(user, "roles")
    }
    everything = {own.pk, departments.pk, others.pk}
    assert visible[world.admin] == visible[world.supervisor] == visible[world.qa] == everything
    assert visible[world.agent] == {own.pk, departments.pk}
    assert visible[world.colleague] == {departments.pk}
    assert visible[world.outsider] == set()
    assert visible[world.trainer] == set()
    with pytest.raises(NotFoundError):
        access_ticket(user=world.outsider, pk=own.pk)


def test_agents_work_but_do_not_manage(world):
    ticket = world.ticket(actor=world.supervisor)
    ticket = ticket_assign(ticket=ticket, actor=world.supervisor, department=world.department.pk)
    assert actions_for(world.agent, ticket) == ["follow_up", "resolve", "note"]
    for step in (
        lambda: ticket_assign(ticket=ticket, actor=world.agent, assignee=world.agent.pk),
        lambda: ticket_supervise(ticket=ticket, actor=world.agent),
        lambda: ticket_change(ticket=ticket, actor=world.agent, priority="urgent"),
    ):
        with pytest.raises(PermissionDeniedError):
            step()
    ticket_follow_up(ticket=ticket, actor=world.agent, body="On it")  # their department's ticket
    with pytest.raises(PermissionDeniedError):
        ticket_follow_up(ticket=ticket, actor=world.outsider, body="Me too")
    ticket_resolve(ticket=ticket, actor=world.agent)
    with pytest.raises(PermissionDeniedError):
        ticket_reopen(ticket=ticket, actor=world.agent)
    with pytest.raises(PermissionDeniedError):
        ticket_close(ticket=ticket, actor=world.agent)
    ticket_visit(ticket=ticket, actor=world.colleague, **VISIT)  # the callback may be any agent who sees it


def test_the_creator_resolves_on_the_call_until_someone_else_holds_it(world):
    ticket = world.ticket(actor=world.outsider)
    ticket_resolve(ticket=ticket, actor=world.outsider, resolution="Explained the bill.")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.first_response_at) == (
        "resolved",
        world.outsider,
        ticket.resolved_at,
    )

    handed_on = world.ticket(actor=world.outsider)
    ticket_assign(ticket=handed_on, actor=world.supervisor, assignee=world.colleague.pk)
    with pytest.raises(PermissionDeniedError):
        ticket_follow_up(ticket=handed_on, actor=world.outsider, body="Still mine?")


def test_qa_reads_but_neither_creates_nor_works(world):
    ticket = world.ticket()
    with pytest.raises(PermissionDeniedError):
        world.ticket(actor=world.qa)
    with pytest.raises(PermissionDeniedError):
        ticket_note(ticket=ticket, actor=world.qa, body="Looks fine")
    assert actions_for(world.qa, ticket) == []


def test_assigning_needs_someone_real(world):
    ticket = world.ticket()
    for kwargs, field in (
        ({}, "assignee"),
        ({"assignee": world.qa.pk}, "assignee"),
        ({"department": 999999}, "department"),
    ):
        with pytest.raises(ApplicationError) as refused:
            ticket_assign(ticket=ticket, actor=world.supervisor, **kwargs)
        assert field in refused.value.fields
    ticket.refresh_from_db()
    assert ticket.status == "received"


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"score": 0}, "score"),
        ({"score": 11}, "score"),
        ({"score": "9"}, "score"),
        ({"attitude": "angry"}, "attitude"),
        ({"solved": "yes"}, "solved"),
        ({"charged": None}, "charged"),
    ],
)
def test_a_visit_needs_five_proper_answers(world, answers, field):
    ticket = world.ticket()
    ticket_resolve(ticket=ticket, actor=world.admin)
    with pytest.raises(ApplicationError) as refused:
        ticket_visit(ticket=ticket, actor=world.admin, **{**VISIT, **answers})
    assert field in refused.value.fields
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert not TicketVisit.objects.exists()


def test_files_are_kept_under_the_tenant_prefix_within_limits(world):
    ticket = world.ticket()
    attachment = ticket_attach(
        ticket=ticket, actor=world.agent, file=SimpleUploadedFile("photo.PNG", b"\x89PNG...", content_type="image/png")
    )
    assert attachment.file.name.startswith(f"tenants/{world.acme.tenant.schema_name}/tickets/")
    assert (attachment.name, attachment.content_type, attachment.size_bytes) == ("photo.PNG", "image/png", 7)
    for upload, code in (
        (SimpleUploadedFile("run.exe", b"MZ"), "invalid"),
        (SimpleUploadedFile("big.pdf", b"0" * (10 * 1024 * 1024 + 1)), "too_large"),
    ):
        with pytest.raises(ApplicationError) as refused:
            ticket_attach(ticket=ticket, actor=world.agent, file=upload)
        assert refused.value.code == code
    assert TicketAttachment.objects.count() == 1
    with pytest.raises(PermissionDeniedError):
        ticket_attach(ticket=ticket, actor=world.outsider, file=SimpleUploadedFile("a.txt", b"x"))


# --- the SLA sweep ----------------------------------------------------------------------------------


def notified(kind: str) -> dict[int, list[str]]:
    rows = Notification.objects.filter(kind=kind).order_by("pk")
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row.user_id, []).append(row.title)
    return found


def test_the_sweep_warns_then_breaches_supervises_and_escalates(world, django_capture_on_commit_callbacks, mailoutbox):
    ticket = world.ticket()  # normal: first response 60, resolution 540 business minutes
    ticket_assign(ticket=ticket, actor=world.supervisor, assignee=world.agent.pk, department=world.department.pk)
    # Received "live" at RECEIVED: nothing warned yet (a ticket received in the past is created
    # with its passed warning points marked, so that importing one sends no stale warning).
    Ticket.objects.filter(pk=ticket.pk).update(first_response_warned=False, resolution_warned=False)
    ticket.refresh_from_db()
    assert ticket.first_response_due == RECEIVED + dt.timedelta(minutes=60)
    assert ticket.first_response_warn_at == RECEIVED + dt.timedelta(minutes=48)

    # 48 minutes in: warned, once.
    at = ticket.first_response_warn_at + dt.timedelta(seconds=1)
    assert tickets_sla_sweep(now=at) == {"warned": 1, "breached": 0, "escalated": 0}
    assert tickets_sla_sweep(now=at) == {"warned": 0, "breached": 0, "escalated": 0}
    assert list(notified("ticket.due_soon")) == [world.agent.pk]

    # Due: missed, supervised automatically, escalated to the department's supervisor.
    at = ticket.first_response_due + dt.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert tickets_sla_sweep(now=at) == {"warned": 0, "breached": 1, "escalated": 0}
    ticket.refresh_from_db()
    assert (ticket.first_response_breached, ticket.breached, ticket.status) == (True, True, "supervised")
    assert (ticket.supervision_count, ticket.escalation_level) == (1, 1)
    assert list(notified("ticket.escalated")) == [world.lead.pk]
    assert list(notified("ticket.breached")) == [world.agent.pk]
    assert world.lead.email in {address for message in mailoutbox for address in message.to}
    supervised = ticket.events.get(kind="supervised")
    assert (supervised.actor, supervised.data["automatic"]) == (None, True)
    assert AuditEntry.objects.filter(action="ticket.escalated", target_id=str(ticket.pk), actor_kind="system").exists()
    assert tickets_sla_sweep(now=at) == {"warned": 0, "breached": 0, "escalated": 0}

    # Still nobody answered one first-response target later: the administrators.
    assert ticket.escalation_due == ticket.first_response_due + dt.timedelta(minutes=61)
    tickets_sla_sweep(now=ticket.escalation_due)
    ticket.refresh_from_db()
    assert ticket.escalation_level == 2
    assert world.admin.pk in notified("ticket.escalated")
    escalations = list(ticket.events.filter(kind="escalated").values_list("data__level", flat=True))
    assert escalations == [1, 2]
    # The resolution target passes too: missed, but no level above the administrators.
    tickets_sla_sweep(now=ticket.resolution_due + dt.timedelta(minutes=1))
    ticket.refresh_from_db()
    assert (ticket.resolution_breached, ticket.escalation_level, ticket.supervision_count) == (True, 2, 2)


def test_without_a_department_the_supervisors_hear_first(world):
    ticket = world.ticket()
    tickets_sla_sweep(now=ticket.first_response_due + dt.timedelta(minutes=1))
    escalated = ticket.events.get(kind="escalated")
    supervisors = set(User.objects.filter(is_active=True, roles__contains=["supervisor"]).values_list("pk", flat=True))
    assert {world.supervisor.pk, world.lead.pk} <= supervisors
    assert set(escalated.data["to"]) == supervisors


def test_answered_and_resolved_tickets_stop_their_clocks(world):
    answered = world.ticket()
    ticket_follow_up(ticket=answered, actor=world.agent, body="Called the customer")
    done = world.ticket()
    ticket_resolve(ticket=done, actor=world.agent)
    answered.refresh_from_db()
    # Both were handled long after their due times (RECEIVED is in the past): late, not escalated.
    assert answered.first_response_breached and not answered.resolution_breached
    tickets_sla_sweep(now=answered.first_response_due + dt.timedelta(minutes=1))
    assert not TicketEvent.objects.filter(kind__in=["breached", "escalated"]).exclude(ticket=answered).exists()
    assert not answered.events.filter(kind="breached").exists()
    tickets_sla_sweep(now=answered.resolution_due + dt.timedelta(minutes=1))
    answered.refresh_from_db()
    assert (answered.resolution_breached, answered.escalation_level) == (True, 1)
    done.refresh_from_db()
    assert (done.status, done.escalation_level) == ("resolved", 0)


def test_an_imported_ticket_already_past_its_warning_point_is_not_warned(world):
    ticket = world.ticket()
    assert ticket.first_response_warned and ticket.resolution_warned  # RECEIVED is long past
    assert tickets_sla_sweep(now=ticket.first_response_warn_at + dt.timedelta(seconds=1))["warned"] == 0


def test_inactive_people_are_not_told(world):
    world.lead.is_active = False
    world.lead.save()
    ticket = world.ticket()
    ticket_assign(ticket=ticket, actor=world.supervisor, department=world.department.pk)
    tickets_sla_sweep(now=ticket.first_response_due + dt.timedelta(minutes=1))
    escalated = ticket.events.get(kind="escalated")
    assert world.lead.pk not in escalated.data["to"]
    assert escalated.data["to"]  # the company's supervisors instead


def test_a_new_company_gets_the_usual_categories_in_its_language(world):
    TicketCategory.objects.all().delete()
    tenant = world.acme.tenant
    tenant.default_language = "zh-hans"
    with pending_translations("crm-tickets"):
        seed_ticket_defaults(tenant)
        seed_ticket_defaults(tenant)  # again: nothing more
    names = set(TicketCategory.objects.values_list("name", flat=True))
    assert names == {"咨询", "投诉", "报修", "建议"}
    assert SlaTarget.objects.count() == 16
    assert SlaTarget.objects.filter(priority="urgent").first().first_response_minutes == 30


def test_the_beat_task_sweeps_every_company_and_only_its_own_tickets(world, globex):
    ticket = world.ticket()
    totals = tickets_sla_sweep_task()
    assert totals["tenants"] >= 2 and totals["breached"] >= 2  # first response and resolution, long past
    ticket.refresh_from_db()
    assert (ticket.breached, ticket.escalation_level) == (True, 2)
    with tenant_context(globex.tenant):
        assert not Ticket.objects.exists()
