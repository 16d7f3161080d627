"""The routing pages of the admin console (/console/queues/, skills, agents, pause reasons,
dispositions): one table-and-form page per kind, each change through services/routing.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.views import role_required
from apps.core.api.permissions import has_role
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.telephony.choices import RoutingStrategy
from apps.telephony.forms.routing import (
    AgentSeatsForm,
    AgentSkillsForm,
    DispositionForm,
    NoUniqueSkillForm,
    PauseReasonForm,
    QueueForm,
    QueueScriptForm,
    rings_text,
)
from apps.telephony.models import Agent, AgentSkill, Disposition, PauseReason, Queue, QueueSkill, Seat, Skill
from apps.telephony.selectors.bullseye import answered_by_ring
from apps.telephony.selectors.queue_scripts import script_preview
from apps.telephony.services import routing
from apps.telephony.services.agent_state import agent_ensure
from apps.telephony.services.seat_credentials import agent_allowed_seats_set

# --- console: one table-and-form page per kind --------------------------------------------------------


@dataclass
class Section:
    """How the console shows and changes one kind of routing object."""

    key: str
    title: Any
    model: type
    form: type
    columns: list[tuple[Any, Callable[[Any], Any]]]
    # Each section's own form class (QueueForm, PauseReasonForm…), hence Any.
    create: Callable[[Any], Any]
    update: Callable[[Any, Any], Any]
    delete: Callable[[Any], None] | None
    queryset: Callable[[], Any]
    create_exclude: tuple[str, ...] = ()
    edit_exclude: tuple[str, ...] = ()


def _yes(value: bool) -> str:
    return _("Yes") if value else ""


def _queue_skills(queue: Queue) -> str:
    return ", ".join(f"{link.skill.name} ≥{link.min_level}" for link in queue.queue_skills.all()) or "—"


def _queue_strategy(queue: Queue) -> str:
    """The strategy's name; a bullseye queue's rings after it (``9:0, 6:20, 3:45``)."""
    name = str(queue.get_strategy_display())
    if queue.strategy == RoutingStrategy.BULLSEYE and queue.bullseye_rings:
        return f"{name}: {rings_text(queue.bullseye_rings)}"
    return name


def _create_queue(form: QueueForm) -> Queue:
    data, skills = form.settings()
    return routing.queue_create(skills=skills, **data)


def _update_queue(queue: Queue, form: QueueForm) -> Queue:
    data, skills = form.settings()
    return routing.queue_update(queue=queue, skills=skills, **data)


def _sections() -> dict[str, Section]:
    return {
        "queues": Section(
            key="queues",
            title=gettext_lazy("Queues"),
            model=Queue,
            form=QueueForm,
            columns=[
                (gettext_lazy("Code"), lambda q: q.code),
                (gettext_lazy("Name"), lambda q: q.name),
                (gettext_lazy("Strategy"), _queue_strategy),
                (gettext_lazy("Priority"), lambda q: q.priority),
                (gettext_lazy("SL threshold (s)"), lambda q: q.sl_threshold_seconds),
                (gettext_lazy("Wrap-up (s)"), lambda q: q.wrapup_seconds),
                (gettext_lazy("Required skills"), _queue_skills),
            ],
            create=_create_queue,
            update=_update_queue,
            delete=lambda q: routing.queue_delete(queue=q),
            queryset=lambda: Queue.objects.filter(is_scratch=False).prefetch_related(
                Prefetch("queue_skills", queryset=QueueSkill.objects.select_related("skill"))
            ),
        ),
        "skills": Section(
            key="skills",
            title=gettext_lazy("Skills"),
            model=Skill,
            form=NoUniqueSkillForm,
            columns=[(gettext_lazy("Code"), lambda s: s.code), (gettext_lazy("Name"), lambda s: s.name)],
            create=lambda f: routing.skill_create(**f.cleaned_data),
            update=lambda s, f: routing.skill_update(skill=s, **f.cleaned_data),
            delete=lambda s: routing.skill_delete(skill=s),
            queryset=lambda: Skill.objects.order_by("name"),
        ),
        "pause-reasons": Section(
            key="pause-reasons",
            title=gettext_lazy("Pause reasons"),
            model=PauseReason,
            form=PauseReasonForm,
            columns=[
                (gettext_lazy("Code"), lambda r: r.code),
                (gettext_lazy("Name"), lambda r: r.name),
                (gettext_lazy("System"), lambda r: _yes(r.is_system)),
                (gettext_lazy("Productive"), lambda r: _yes(r.counts_as_productive)),
                (gettext_lazy("Active"), lambda r: _yes(r.is_active)),
            ],
            create=lambda f: routing.pause_reason_create(
                code=f.cleaned_data["code"],
                name=f.cleaned_data["name"],
                counts_as_productive=f.cleaned_data["counts_as_productive"],
            ),
            update=lambda r, f: routing.pause_reason_update(
                reason=r,
                name=f.cleaned_data["name"],
                is_active=f.cleaned_data["is_active"],
                counts_as_productive=f.cleaned_data["counts_as_productive"],
            ),
            delete=lambda r: routing.pause_reason_delete(reason=r),
            queryset=lambda: PauseReason.objects.order_by("is_system", "name"),
            create_exclude=("is_active",),
            edit_exclude=("code",),
        ),
        "dispositions": Section(
            key="dispositions",
            title=gettext_lazy("Dispositions"),
            model=Disposition,
            form=DispositionForm,
            columns=[
                (gettext_lazy("Code"), lambda d: d.code),
                (gettext_lazy("Name"), lambda d: d.name),
                (gettext_lazy("Resolves the contact"), lambda d: _yes(d.is_resolved)),
                (gettext_lazy("Active"), lambda d: _yes(d.is_active)),
            ],
            create=lambda f: routing.disposition_create(
                code=f.cleaned_data["code"], name=f.cleaned_data["name"], is_resolved=f.cleaned_data["is_resolved"]
            ),
            update=lambda d, f: routing.disposition_update(
                disposition=d,
                name=f.cleaned_data["name"],
                is_resolved=f.cleaned_data["is_resolved"],
                is_active=f.cleaned_data["is_active"],
            ),
            delete=lambda d: routing.disposition_delete(disposition=d),
            queryset=lambda: Disposition.objects.order_by("name"),
            create_exclude=("is_active",),
            edit_exclude=("code",),
        ),
    }


TABS = [
    ("queues", gettext_lazy("Queues")),
    ("skills", gettext_lazy("Skills")),
    ("agents", gettext_lazy("Agents")),
    ("pause-reasons", gettext_lazy("Pause reasons")),
    ("dispositions", gettext_lazy("Dispositions")),
]
# The tabs a supervisor may open (ROUTING_MANAGERS); the others are the administrator's alone.
SUPERVISOR_TABS = {"queues", "skills", "agents"}


def _tabs_for(user: User | AnonymousUser) -> list[tuple[str, str | Promise]]:
    """Only the tabs the user can open: a tab that answers 403 is a dead end."""
    if has_role(user, Role.TENANT_ADMIN):
        return list(TABS)
    return [(key, label) for key, label in TABS if key in SUPERVISOR_TABS]


def _form(section: Section, data=None, instance=None):
    form = section.form(data, instance=instance)
    for name in section.edit_exclude if instance is not None else section.create_exclude:
        form.fields.pop(name, None)
    return form


def _saved(request, form, save: Callable[[], object], success: str) -> bool:
    """Whether a POSTed form was valid and ``save`` took it (then ``success`` is flashed); a
    refusal's errors go onto the form, which the page shows again."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        save()
    except ApplicationError as error:
        apply_error(form, error)
        return False
    messages.success(request, success)
    return True


def _list_page(request, key: str):
    section = _sections()[key]
    form = _form(section, request.POST or None)
    if _saved(request, form, lambda: section.create(form), _("Added.")):
        return redirect(f"agents:{key}")
    rows = [
        (obj, [getter(obj) for _label, getter in section.columns], reverse(f"agents:{key}_edit", args=[obj.pk]))
        for obj in section.queryset()
    ]
    context = {
        "section": section,
        "tabs": _tabs_for(request.user),
        "active_tab": key,
        "headers": [label for label, _getter in section.columns],
        "rows": rows,
        "form": form,
    }
    # A refused form comes back with its field messages, as a 400 (nothing was changed).
    status = 400 if request.method == "POST" else 200
    return render(request, "telephony/agents/console_list.html", context, status=status)


def _edit_page(request, key: str, pk: int):
    section = _sections()[key]
    obj: Any = get_object_or_404(section.model, pk=pk)
    form = _form(section, request.POST or None, instance=obj)
    if _saved(request, form, lambda: section.update(obj, form), _("Saved.")):
        return redirect(f"agents:{key}")
    context = {
        "section": section,
        "tabs": _tabs_for(request.user),
        "active_tab": key,
        "subject": obj,
        "form": form,
        "delete_url": reverse(f"agents:{key}_delete", args=[obj.pk]) if section.delete else None,
    }
    if key == "queues":
        context["script_url"] = reverse("agents:queues_script", args=[obj.pk])
        context["show_rings"] = obj.strategy == RoutingStrategy.BULLSEYE
        context["rings_answered"] = answered_by_ring(obj) if context["show_rings"] else []
    status = 400 if request.method == "POST" else 200
    return render(request, "telephony/agents/console_edit.html", context, status=status)


def _delete(request, key: str, pk: int):
    section = _sections()[key]
    obj: Any = get_object_or_404(section.model, pk=pk)
    if section.delete is None:
        raise Http404
    try:
        section.delete(obj)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect(f"agents:{key}_edit", pk=pk)
    messages.success(request, _("Deleted."))
    return redirect(f"agents:{key}")


# Who runs the floor day to day: supervisors staff queues and give agents skills without waiting
# for an administrator (docs/user-guide.md "Roles"; tests/core/test_isolation_pages.py ROLE_MATRIX).
# Pause reasons, dispositions and which seats an agent may use stay the administrator's: they shape
# reports and licences.
ROUTING_MANAGERS = (Role.TENANT_ADMIN, Role.SUPERVISOR)


def _console_views(key: str, roles: tuple[str, ...] = (Role.TENANT_ADMIN,)):
    @role_required(*roles)
    def list_view(request):
        return _list_page(request, key)

    @role_required(*roles)
    def edit_view(request, pk: int):
        return _edit_page(request, key, pk)

    @require_POST
    @role_required(*roles)
    def delete_view(request, pk: int):
        return _delete(request, key, pk)

    return list_view, edit_view, delete_view


queues, queue_edit, queue_delete = _console_views("queues", ROUTING_MANAGERS)
skills, skill_edit, skill_delete = _console_views("skills", ROUTING_MANAGERS)
pause_reasons, pause_reason_edit, pause_reason_delete = _console_views("pause-reasons")
dispositions, disposition_edit, disposition_delete = _console_views("dispositions")


@role_required(*ROUTING_MANAGERS)
def queue_script(request: HttpRequest, pk: int) -> HttpResponse:
    """A queue's agent script (shown on the desk for its inbound calls) with a preview: "Preview"
    renders the text in the box without saving it, "Save" stores it (services/routing.py)."""
    queue = get_object_or_404(Queue, pk=pk, is_scratch=False)
    initial = {"script": queue.script}
    form = QueueScriptForm(request.POST or None, initial=initial)
    if request.method != "POST":
        return _script_page(request, queue, form, script_preview(queue, queue.script))
    valid = form.is_valid()
    if valid:
        for problem in routing.script_errors(form.cleaned_data["script"]):
            form.add_error("script", problem)
            valid = False
    if valid and request.POST.get("action") == "save":
        try:
            routing.queue_update(queue=queue, script=form.cleaned_data["script"])
        except ApplicationError as error:
            apply_error(form, error)
            valid = False
        else:
            messages.success(request, _("Saved."))
            return redirect("agents:queues_script", pk=queue.pk)
    preview: dict[str, Any] | None = None
    if valid:
        data = form.cleaned_data
        preview = script_preview(
            queue, data["script"], phone=data["preview_phone"], variables=data["preview_variables"]
        )
    # A refused script comes back with its field messages, as a 400 (nothing was saved).
    return _script_page(request, queue, form, preview, status=200 if valid else 400)


def _script_page(
    request, queue: Queue, form: QueueScriptForm, preview: dict[str, Any] | None, *, status: int = 200
) -> HttpResponse:
    context = {
        "tabs": _tabs_for(request.user),
        "active_tab": "queues",
        "subject": queue,
        "form": form,
        "preview": preview,
    }
    return render(request, "telephony/agents/console_queue_script.html", context, status=status)


AGENT_PAGES = {"skills": "agents:agents_edit", "seats": "agents:agents_seats"}


@role_required(*ROUTING_MANAGERS)
def agents(request: HttpRequest) -> HttpResponse:
    """Agents, and users with the agent role who have no Agent row yet (they have never opened
    the desk). Opening the page writes nothing; choosing Skills or Seats for such a user POSTs
    here, which creates the row (agent_ensure) and goes on to that page."""
    if request.method == "POST":
        user = get_object_or_404(User, pk=request.POST.get("user") or 0, roles__contains=[Role.AGENT])
        target = AGENT_PAGES.get(request.POST.get("then", ""), AGENT_PAGES["skills"])
        return redirect(target, pk=agent_ensure(user=user).pk)
    rows = Agent.objects.select_related("user", "seat").prefetch_related(
        Prefetch("agent_skills", queryset=AgentSkill.objects.select_related("skill")),
        Prefetch("allowed_seats", queryset=Seat.objects.order_by("extension")),
    )
    pending = User.objects.filter(roles__contains=[Role.AGENT], agent__isnull=True).order_by("name", "id")
    context = {
        "tabs": _tabs_for(request.user),
        "active_tab": "agents",
        "agents": rows.order_by("user__name", "id"),
        "pending": pending,
    }
    return render(request, "telephony/agents/console_agents.html", context)


@role_required(*ROUTING_MANAGERS)
def agent_skills(request, pk: int):
    agent = get_object_or_404(Agent.objects.select_related("user"), pk=pk)
    form = AgentSkillsForm(request.POST or None, agent=agent)
    if _saved(request, form, lambda: routing.agent_skills_set(agent=agent, skills=form.levels()), _("Saved.")):
        return redirect("agents:agents")
    context = {"tabs": _tabs_for(request.user), "active_tab": "agents", "subject": agent, "form": form}
    return render(request, "telephony/agents/console_agent_skills.html", context)


@role_required(Role.TENANT_ADMIN)
def agent_seats(request, pk: int):
    """The seats an agent may log into (none ticked: any seat)."""
    agent = get_object_or_404(Agent.objects.select_related("user"), pk=pk)
    initial = {"seats": list(agent.allowed_seats.values_list("extension", flat=True))}
    form = AgentSeatsForm(request.POST or None, initial=initial)

    def save() -> None:
        agent_allowed_seats_set(agent=agent, extensions=[seat.extension for seat in form.cleaned_data["seats"]])

    if _saved(request, form, save, _("Saved.")):
        return redirect("agents:agents")
    context = {"tabs": _tabs_for(request.user), "active_tab": "agents", "subject": agent, "form": form}
    return render(request, "telephony/agents/console_agent_seats.html", context)
