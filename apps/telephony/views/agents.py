"""Agent desktop, supervisor wallboard, and the routing pages of the admin console (queues,
skills, agents' skills, pause reasons, dispositions). Live pages are drawn by static/js/desktop.js
and static/js/wallboard.js from the websockets; every action goes through the REST API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.telephony.choices import AgentState, CallStatus
from apps.telephony.models import Agent, AgentSkill, Disposition, PauseReason, Queue, QueueSkill, Seat, Skill
from apps.telephony.services import routing
from apps.telephony.services.agent_state import agent_ensure, agents_sync
from apps.telephony.services.seat_credentials import agent_allowed_seats_set

# --- the live pages -------------------------------------------------------------------------------


def _state_labels() -> dict[str, str]:
    return {value: str(label) for value, label in AgentState.choices}


def _common_labels() -> dict[str, Any]:
    return {
        "states": _state_labels(),
        "call_statuses": {value: str(label) for value, label in CallStatus.choices},
        "connected": _("Live"),
        "disconnected": _("Reconnecting…"),
        "none": "—",
        "error": _("Something went wrong."),
        "reasons": {reason.code: reason.name for reason in PauseReason.objects.all()},
    }


def _desk_seats(agent: Agent):
    """The seats the desk offers: the agent's allowed seats, or every seat when none are set
    (the login service refuses the others anyway, with ``seat_not_allowed``)."""
    seats = Seat.objects.select_related("agent__user").order_by("extension")
    allowed = agent.allowed_seats.all()
    return seats.filter(pk__in=allowed.values("pk")) if allowed.exists() else seats


@role_required(Role.AGENT)
def desk(request):
    """The agent desktop: seat login, Ready/Not ready, offers with screen pop, call controls, wrap-up."""
    agent = agent_ensure(user=request.user)
    labels = {
        **_common_labels(),
        "offer": _("Incoming call"),
        "vip": _("VIP"),
        "unknown_caller": _("Unknown caller"),
        "no_history": _("No earlier calls."),
        "rings_for": _("Rings for %(seconds)s s"),
        "on_hold": _("On hold"),
        "talking_to": _("Talking to"),
        "wrap_up": _("Wrap-up"),
        "logged_out": _("Log into a seat to take calls."),
        "dialing": _("Dialling…"),
        "sent": _("Sent."),
        "choose_target": _("Choose a queue or an agent."),
        "choose_transfer_target": _("Choose a queue, an agent or a number."),
        "seat": _("Seat"),
        "queue": _("Queue"),
        "minutes": _("min"),
        "transfer_failed": _("The transfer did not go through: the call is still yours."),
        # Attended transfer (consultation).
        "consult_from": _("Consultation from %(name)s"),
        "consult_ringing": _("Consulting %(name)s: ringing…"),
        "consult_talking": _("Consulting %(name)s. The caller is on hold."),
        "consult_target": _("Consultation from %(name)s. The caller is on hold and cannot hear you."),
        "consult_started": _("Consultation started"),
        "consult_failed": _("The consultation did not go through: the caller is still yours, on hold."),
        "consult_ended": _("The consultation has ended: the caller is on hold."),
        "consult_done": _("Transfer completed."),
        "consult_yours": _("The transferred call is yours now."),
        "consult_reasons": {
            "rona": _("no answer"),
            "rejected": _("declined"),
            "declined": _("declined"),
            "agent_unavailable": _("the colleague is not ready"),
            "no_agent_available": _("nobody in that queue is ready"),
            "unreachable": _("the colleague's phone is not reachable"),
            "busy": _("the colleague's phone is busy"),
            "withdrawn": _("the colleague logged out"),
            "not_supported": _("not possible on this phone system"),
            "not_answered": _("the colleague has not answered yet"),
            "target_hung_up": _("the colleague hung up"),
            "caller": _("the caller hung up"),
        },
        "monitor": {
            "whisper": _("A supervisor is whispering to you; the caller cannot hear them."),
            "barge": _("A supervisor has joined the call."),
        },
    }
    context = {
        "agent": agent,
        "seats": _desk_seats(agent),
        "reasons": PauseReason.objects.filter(is_active=True, is_system=False).order_by("name"),
        "dispositions": Disposition.objects.filter(is_active=True).order_by("name"),
        "queues": Queue.objects.filter(is_scratch=False).order_by("-priority", "name"),
        "colleagues": Agent.objects.select_related("user").exclude(pk=agent.pk).filter(is_virtual=False),
        "labels": labels,
        "config": {"agent_id": agent.pk, "ws": "/ws/agent/", "api": "/api/v1/"},
        "softphone_enabled": settings.SOFTPHONE_ENABLED,
    }
    return render(request, "telephony/agents/desk.html", context)


@role_required(Role.SUPERVISOR, Role.TENANT_ADMIN)
def wallboard(request):
    """Agents, queues and live calls as they change; force states; listen, whisper, barge, release."""
    labels = {
        **_common_labels(),
        "waiting": _("Waiting"),
        "longest": _("Longest wait"),
        "service_level": _("Service level"),
        "asa": _("ASA"),
        "abandon": _("Abandon rate"),
        "handled": _("Handled"),
        "offered": pgettext("queue statistic", "Offered"),
        "ready": _("Ready"),
        "not_ready": _("Not ready"),
        "offline": pgettext("seat", "Log out"),
        "listen": _("Listen"),
        "whisper": _("Whisper"),
        "barge": _("Barge"),
        "release": _("Release"),
        "confirm_release": _("Release this call? The caller will be disconnected."),
        "no_agents": _("No agents yet."),
        "no_calls": _("No calls in progress."),
        "no_queues": _("No queues yet."),
        "seats": _("Seats"),
        "seconds_short": _("%(n)s s"),
        "consulting": _("Consulting %(name)s"),
        "consulted_by": _("Consultation from %(name)s"),
    }
    context = {
        "reasons": PauseReason.objects.filter(is_active=True, is_system=False).order_by("name"),
        "labels": labels,
        "config": {"ws": "/ws/wallboard/", "api": "/api/v1/"},
    }
    return render(request, "telephony/agents/wallboard.html", context)


# --- console: forms ----------------------------------------------------------------------------------


def _level_field(label: str, initial: int | None) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=10,
        initial=initial,
        help_text=gettext_lazy("1–10; empty: none."),
    )


class SkillForm(forms.ModelForm):
    class Meta:
        model = Skill
        fields = ["code", "name"]


QUEUE_FORM_FIELDS = [
    "code",
    "name",
    "strategy",
    "priority",
    "sl_threshold_seconds",
    "sl_target_percent",
    "max_wait_seconds",
    "overflow_queue",
    "overflow_number",
    "ring_timeout_seconds",
    "wrapup_seconds",
    "short_abandon_seconds",
    "announce_position",
    "announce_expected_wait",
    "announce_interval_seconds",
    "callback_offer",
    "callback_offer_after_seconds",
    "expand_after_seconds",
    "expand_step",
    "sticky_days",
    "sticky_wait_seconds",
]


class QueueForm(forms.ModelForm):
    """Queue settings plus one "minimum level" field per skill (empty: not required)."""

    class Meta:
        model = Queue
        fields = QUEUE_FORM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["overflow_queue"].queryset = Queue.objects.filter(is_scratch=False).exclude(pk=self.instance.pk)
        current = {}
        if self.instance.pk:
            current = dict(QueueSkill.objects.filter(queue=self.instance).values_list("skill_id", "min_level"))
        self.skill_fields = []
        for skill in Skill.objects.order_by("name"):
            name = f"skill_{skill.pk}"
            self.fields[name] = _level_field(
                _("%(skill)s: minimum level") % {"skill": skill.name}, current.get(skill.pk)
            )
            self.skill_fields.append((name, skill.pk))

    def _post_clean(self):
        # Uniqueness and ranges are the service's to check (one set of rules and messages).
        pass

    def settings(self) -> tuple[dict[str, Any], dict[int, int]]:
        data = {name: self.cleaned_data[name] for name in QUEUE_FORM_FIELDS if name in self.cleaned_data}
        skills = {pk: self.cleaned_data[name] for name, pk in self.skill_fields if self.cleaned_data.get(name)}
        return data, skills


class AgentSkillsForm(forms.Form):
    def __init__(self, *args, agent: Agent, **kwargs):
        super().__init__(*args, **kwargs)
        current = dict(AgentSkill.objects.filter(agent=agent).values_list("skill_id", "level"))
        self.skill_fields = []
        for skill in Skill.objects.order_by("name"):
            name = f"skill_{skill.pk}"
            self.fields[name] = _level_field(skill.name, current.get(skill.pk))
            self.skill_fields.append((name, skill.pk))

    def levels(self) -> dict[int, int]:
        return {pk: self.cleaned_data[name] for name, pk in self.skill_fields if self.cleaned_data.get(name)}


class AgentSeatsForm(forms.Form):
    seats = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Allowed seats"),
        queryset=Seat.objects.order_by("extension"),
        to_field_name="extension",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Tick none to let the agent use any seat."),
    )


class PauseReasonForm(forms.ModelForm):
    class Meta:
        model = PauseReason
        fields = ["code", "name", "counts_as_productive", "is_active"]

    def _post_clean(self):
        pass


class DispositionForm(forms.ModelForm):
    class Meta:
        model = Disposition
        fields = ["code", "name", "is_resolved", "is_active"]

    def _post_clean(self):
        pass


class _NoUniqueSkillForm(SkillForm):
    def _post_clean(self):
        pass


# --- console: one table-and-form page per kind --------------------------------------------------------


@dataclass
class Section:
    """How the console shows and changes one kind of routing object."""

    key: str
    title: Any
    model: type
    form: type
    columns: list[tuple[Any, Callable[[Any], Any]]]
    create: Callable[[forms.Form], Any]
    update: Callable[[Any, forms.Form], Any]
    delete: Callable[[Any], None] | None
    queryset: Callable[[], Any]
    create_exclude: tuple[str, ...] = ()
    edit_exclude: tuple[str, ...] = ()


def _yes(value: bool) -> str:
    return _("Yes") if value else ""


def _queue_skills(queue: Queue) -> str:
    return ", ".join(f"{link.skill.name} ≥{link.min_level}" for link in queue.queue_skills.all()) or "—"


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
                (gettext_lazy("Strategy"), lambda q: q.get_strategy_display()),
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
            form=_NoUniqueSkillForm,
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


def _form(section: Section, data=None, instance=None):
    form = section.form(data, instance=instance)
    for name in section.edit_exclude if instance is not None else section.create_exclude:
        form.fields.pop(name, None)
    return form


def _list_page(request, key: str):
    section = _sections()[key]
    form = _form(section, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            section.create(form)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Added."))
            return redirect(f"agents:{key}")
    rows = [
        (obj, [getter(obj) for _label, getter in section.columns], reverse(f"agents:{key}_edit", args=[obj.pk]))
        for obj in section.queryset()
    ]
    context = {
        "section": section,
        "tabs": TABS,
        "active_tab": key,
        "headers": [label for label, _getter in section.columns],
        "rows": rows,
        "form": form,
    }
    return render(request, "telephony/agents/console_list.html", context)


def _edit_page(request, key: str, pk: int):
    section = _sections()[key]
    obj = get_object_or_404(section.model, pk=pk)
    form = _form(section, request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        try:
            section.update(obj, form)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(f"agents:{key}")
    context = {
        "section": section,
        "tabs": TABS,
        "active_tab": key,
        "subject": obj,
        "form": form,
        "delete_url": reverse(f"agents:{key}_delete", args=[obj.pk]) if section.delete else None,
    }
    return render(request, "telephony/agents/console_edit.html", context)


def _delete(request, key: str, pk: int):
    section = _sections()[key]
    obj = get_object_or_404(section.model, pk=pk)
    try:
        section.delete(obj)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect(f"agents:{key}_edit", pk=pk)
    messages.success(request, _("Deleted."))
    return redirect(f"agents:{key}")


def _console_views(key: str):
    @role_required(Role.TENANT_ADMIN)
    def list_view(request):
        return _list_page(request, key)

    @role_required(Role.TENANT_ADMIN)
    def edit_view(request, pk: int):
        return _edit_page(request, key, pk)

    @require_POST
    @role_required(Role.TENANT_ADMIN)
    def delete_view(request, pk: int):
        return _delete(request, key, pk)

    return list_view, edit_view, delete_view


queues, queue_edit, queue_delete = _console_views("queues")
skills, skill_edit, skill_delete = _console_views("skills")
pause_reasons, pause_reason_edit, pause_reason_delete = _console_views("pause-reasons")
dispositions, disposition_edit, disposition_delete = _console_views("dispositions")


@role_required(Role.TENANT_ADMIN)
def agents(request):
    agents_sync()
    rows = Agent.objects.select_related("user", "seat").prefetch_related(
        Prefetch("agent_skills", queryset=AgentSkill.objects.select_related("skill")),
        Prefetch("allowed_seats", queryset=Seat.objects.order_by("extension")),
    )
    context = {"tabs": TABS, "active_tab": "agents", "agents": rows.order_by("user__name", "id")}
    return render(request, "telephony/agents/console_agents.html", context)


@role_required(Role.TENANT_ADMIN)
def agent_skills(request, pk: int):
    agent = get_object_or_404(Agent.objects.select_related("user"), pk=pk)
    form = AgentSkillsForm(request.POST or None, agent=agent)
    if request.method == "POST" and form.is_valid():
        try:
            routing.agent_skills_set(agent=agent, skills=form.levels())
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("agents:agents")
    context = {"tabs": TABS, "active_tab": "agents", "subject": agent, "form": form}
    return render(request, "telephony/agents/console_agent_skills.html", context)


@role_required(Role.TENANT_ADMIN)
def agent_seats(request, pk: int):
    """The seats an agent may log into (none ticked: any seat)."""
    agent = get_object_or_404(Agent.objects.select_related("user"), pk=pk)
    initial = {"seats": list(agent.allowed_seats.values_list("extension", flat=True))}
    form = AgentSeatsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            agent_allowed_seats_set(agent=agent, extensions=[seat.extension for seat in form.cleaned_data["seats"]])
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("agents:agents")
    context = {"tabs": TABS, "active_tab": "agents", "subject": agent, "form": form}
    return render(request, "telephony/agents/console_agent_seats.html", context)
