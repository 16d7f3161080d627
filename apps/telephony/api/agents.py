"""Agents, their states and calls; skills, queues, pause reasons and dispositions.

Agents act on themselves under ``/agents/me/…``; supervisors and administrators force states
and monitor calls; administrators edit the routing configuration. Call actions are accepted
(202) and carried out by the engine; their outcome arrives over /ws/agent/ (docs/realtime.md).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.response import Response

from apps.accounts.choices import Role
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError
from apps.telephony import agent_states
from apps.telephony.models import Agent, Disposition, PauseReason, Queue, Seat, Skill
from apps.telephony.queue_scripts import SCRIPT_MAX
from apps.telephony.selectors.queue_scripts import script_preview
from apps.telephony.selectors.wallboard import monitor_feedback
from apps.telephony.services import call_control, routing
from apps.telephony.services.agent_state import (
    agent_ensure,
    agent_login,
    agent_set_state,
    agent_state_payload,
    agents_sync,
    iso_ms,
)
from apps.telephony.services.seat_credentials import agent_allowed_seats_set

STAFF = (Role.SUPERVISOR, Role.TENANT_ADMIN)
EVERYONE_AT_WORK = (Role.AGENT, Role.SUPERVISOR, Role.TENANT_ADMIN)

IsAgent = HasRole.of(Role.AGENT)
IsStaff = HasRole.of(*STAFF)

# --- serializers ---------------------------------------------------------------------------


class AgentStateSerializer(serializers.Serializer):
    agent_id = serializers.IntegerField(read_only=True)
    state = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True, allow_null=True)
    since = serializers.CharField(read_only=True)
    seat = serializers.CharField(read_only=True, allow_null=True)


class StateRequestSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=agent_states.REQUESTABLE)
    reason = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=32)


class LoginRequestSerializer(serializers.Serializer):
    seat = serializers.CharField(max_length=16)


class AgentSkillSerializer(serializers.Serializer):
    skill = serializers.IntegerField(source="skill_id")
    code = serializers.CharField(source="skill.code", read_only=True)
    name = serializers.CharField(source="skill.name", read_only=True)
    level = serializers.IntegerField()


class AgentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    extension = serializers.CharField(source="seat.extension", read_only=True, allow_null=True, default=None)
    reason = serializers.CharField(source="reason.code", read_only=True, allow_null=True, default=None)
    since = serializers.SerializerMethodField()
    skills = AgentSkillSerializer(source="agent_skills", many=True, read_only=True)
    allowed_seats: serializers.SlugRelatedField[Seat] = serializers.SlugRelatedField(
        slug_field="extension",
        many=True,
        read_only=True,
        help_text="Extensions of the seats this agent may log into; empty: any seat.",
    )

    class Meta:
        model = Agent
        fields = [
            "id",
            "user",
            "name",
            "email",
            "extension",
            "state",
            "reason",
            "since",
            "is_virtual",
            "skills",
            "allowed_seats",
        ]
        read_only_fields = fields

    def get_since(self, agent: Agent) -> str:
        return iso_ms(agent.state_since)


class AllowedSeatsRequestSerializer(serializers.Serializer):
    seats = serializers.ListField(
        child=serializers.CharField(max_length=16),
        allow_empty=True,
        max_length=1000,
        help_text="Seat extensions; an empty list lets the agent use any seat.",
    )


class AgentSkillsRequestSerializer(serializers.Serializer):
    skills = AgentSkillSerializer(many=True)


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "code", "name"]


class QueueSkillSerializer(serializers.Serializer):
    skill = serializers.IntegerField(source="skill_id")
    min_level = serializers.IntegerField(default=1)


QUEUE_SETTINGS = [
    "name",
    "strategy",
    "priority",
    "sl_threshold_seconds",
    "sl_target_percent",
    "max_wait_seconds",
    "overflow_queue",
    "overflow_number",
    "announce_position",
    "announce_expected_wait",
    "announce_interval_seconds",
    "callback_offer",
    "callback_offer_after_seconds",
    "wrapup_seconds",
    "short_abandon_seconds",
    "ring_timeout_seconds",
    "expand_after_seconds",
    "expand_step",
    "sticky_days",
    "sticky_wait_seconds",
    "bullseye_rings",
    "script",
]


class BullseyeRingSerializer(serializers.Serializer):
    min_level = serializers.IntegerField(help_text="1-10: agents at this level or more in every required skill.")
    after_seconds = serializers.IntegerField(help_text="From this many seconds of a call's wait (the first ring: 0).")


class QueueSerializer(serializers.ModelSerializer):
    skills = QueueSkillSerializer(source="queue_skills", many=True, required=False)
    bullseye_rings = BullseyeRingSerializer(
        many=True,
        required=False,
        help_text="Strategy bullseye: at most 6 rings, times ascending, levels descending.",
    )
    overflow_queue = serializers.IntegerField(source="overflow_queue_id", required=False, allow_null=True)

    class Meta:
        model = Queue
        fields = ["id", "code", *QUEUE_SETTINGS, "is_scratch", "skills"]
        read_only_fields = ["id", "is_scratch"]
        # Ranges and uniqueness are the service's to check, with its own messages.
        extra_kwargs: dict[str, dict[str, Any]] = {name: {"validators": []} for name in ["code", *QUEUE_SETTINGS]}


class PauseReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = PauseReason
        fields = ["id", "code", "name", "is_system", "is_active", "counts_as_productive"]
        read_only_fields = ["id", "is_system"]
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}


class DispositionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disposition
        fields = ["id", "code", "name", "is_resolved", "is_active"]
        read_only_fields = ["id"]
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}


class AcceptedSerializer(serializers.Serializer):
    type = serializers.CharField()


class TransferRequestSerializer(serializers.Serializer):
    queue_id = serializers.IntegerField(required=False, allow_null=True)
    target_agent_id = serializers.IntegerField(required=False, allow_null=True)
    number = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=32,
        help_text="An outside number (dialling policy).",
    )


class ConsultRequestSerializer(serializers.Serializer):
    queue_id = serializers.IntegerField(required=False, allow_null=True)
    target_agent_id = serializers.IntegerField(required=False, allow_null=True)
    number = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=32,
        help_text="An outside number to consult (dialling policy, as a blind transfer's).",
    )


class WrapupRequestSerializer(serializers.Serializer):
    disposition = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=32)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class DialRequestSerializer(serializers.Serializer):
    number = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)
    customer_id = serializers.IntegerField(required=False, allow_null=True)


class MonitorRequestSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=call_control.MONITOR_MODES)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _state_response(agent: Agent) -> Response:
    return Response(agent_state_payload(agent))


# --- the agent's own endpoints -------------------------------------------------------------------


@extend_schema(request=LoginRequestSerializer, responses={200: AgentStateSerializer})
@api_view(["POST"])
@permission_classes([IsAgent])
def me_login(request):
    """Log into a seat (by extension). A first login leaves the agent Not ready (reason "login").

    Refused with ``seat_not_allowed`` for a seat outside the agent's allowed seats, ``seat_taken``
    for a seat another agent holds. A browser seat gets a new SIP credential (``GET
    /agents/me/sip``); the previous one stops working.
    """
    data = _valid(LoginRequestSerializer, request)
    return _state_response(agent_login(user=request.user, seat_extension=data["seat"]))


@extend_schema(request=None, responses={200: AgentStateSerializer})
@api_view(["POST"])
@permission_classes([IsAgent])
def me_logout(request):
    agent = agent_ensure(user=request.user)
    return _state_response(
        agent_set_state(agent=agent, state=agent_states.OFFLINE, actor=request.user, source=agent_states.AGENT)
    )


@extend_schema(methods=["GET"], request=None, responses={200: AgentStateSerializer})
@extend_schema(methods=["POST"], request=StateRequestSerializer, responses={200: AgentStateSerializer})
@api_view(["GET", "POST"])
@permission_classes([IsAgent])
def me_state(request):
    """The agent's own state; POST ``{"state": "ready"|"not_ready"|"offline", "reason": code}``."""
    agent = agent_ensure(user=request.user)
    if request.method == "POST":
        data = _valid(StateRequestSerializer, request)
        agent = agent_set_state(
            agent=agent,
            state=data["state"],
            reason_code=data.get("reason") or None,
            actor=request.user,
            source=agent_states.AGENT,
        )
    return _state_response(agent)


@extend_schema(request=DialRequestSerializer, responses={202: AcceptedSerializer})
@api_view(["POST"])
@permission_classes([IsAgent])
def me_dial(request):
    """Click-to-dial a number or a customer (their first number)."""
    data = _valid(DialRequestSerializer, request)
    message = call_control.call_dial(
        agent=agent_ensure(user=request.user), number=data["number"], customer_id=data.get("customer_id")
    )
    return Response(message, status=status.HTTP_202_ACCEPTED)


# --- call actions ----------------------------------------------------------------------------------

_SIMPLE_ACTIONS = {
    "answer": call_control.call_answer,
    "reject": call_control.call_reject,
    "hangup": call_control.call_hangup,
    "hold": call_control.call_hold,
    "resume": call_control.call_resume,
}


def _simple_action(name: str):
    service = _SIMPLE_ACTIONS[name]

    @extend_schema(request=None, responses={202: AcceptedSerializer}, operation_id=f"v1_calls_{name}_create")
    @api_view(["POST"])
    @permission_classes([IsAgent])
    def view(request, uid: str):
        message = service(agent=agent_ensure(user=request.user), call_uid=uid)
        return Response(message, status=status.HTTP_202_ACCEPTED)

    view.__doc__ = f"The agent's current call: {name}."
    return view


call_answer = _simple_action("answer")
call_reject = _simple_action("reject")
call_hangup = _simple_action("hangup")
call_hold = _simple_action("hold")
call_resume = _simple_action("resume")


@extend_schema(request=TransferRequestSerializer, responses={202: AcceptedSerializer})
@api_view(["POST"])
@permission_classes([IsAgent])
def call_transfer(request, uid: str):
    """Blind transfer of the agent's current call to a queue, another agent or an outside number."""
    data = _valid(TransferRequestSerializer, request)
    message = call_control.call_transfer(
        agent=agent_ensure(user=request.user),
        call_uid=uid,
        queue_id=data.get("queue_id"),
        target_agent_id=data.get("target_agent_id"),
        number=data.get("number"),
    )
    return Response(message, status=status.HTTP_202_ACCEPTED)


@extend_schema(request=ConsultRequestSerializer, responses={202: AcceptedSerializer})
@api_view(["POST"])
@permission_classes([IsAgent])
def call_consult(request, uid: str):
    """Attended transfer: hold the caller and consult another agent, the agent a queue picks now, or
    an outside number."""
    data = _valid(ConsultRequestSerializer, request)
    message = call_control.call_consult(
        agent=agent_ensure(user=request.user),
        call_uid=uid,
        queue_id=data.get("queue_id"),
        target_agent_id=data.get("target_agent_id"),
        number=data.get("number"),
    )
    return Response(message, status=status.HTTP_202_ACCEPTED)


@extend_schema(request=None, responses={202: AcceptedSerializer})
@api_view(["POST"])
@permission_classes([IsAgent])
def call_consult_complete(request, uid: str):
    """Attended transfer: the consulted agent takes the caller; you go to wrap-up."""
    message = call_control.call_consult_complete(agent=agent_ensure(user=request.user), call_uid=uid)
    return Response(message, status=status.HTTP_202_ACCEPTED)


@extend_schema(request=None, responses={202: AcceptedSerializer})
@api_view(["POST"])
@permission_classes([IsAgent])
def call_consult_cancel(request, uid: str):
    """Attended transfer: end the consultation; the caller stays on hold with you."""
    message = call_control.call_consult_cancel(agent=agent_ensure(user=request.user), call_uid=uid)
    return Response(message, status=status.HTTP_202_ACCEPTED)


def _conference_action(name: str, summary: str):
    action = getattr(call_control, f"call_{name}")

    @extend_schema(request=None, responses={202: AcceptedSerializer})
    @api_view(["POST"])
    @permission_classes([IsAgent])
    def view(request, uid: str):
        message = action(agent=agent_ensure(user=request.user), call_uid=uid)
        return Response(message, status=status.HTTP_202_ACCEPTED)

    view.__doc__ = summary
    return view


call_conference = _conference_action(
    "conference", "Three-way conference: join the held caller and the colleague you are consulting (answered)."
)
call_conference_leave = _conference_action(
    "conference_leave", "Leave the conference (the host leaving hands the caller to the colleague)."
)
call_conference_drop = _conference_action("conference_drop", "The host drops the colleague from the conference.")
call_conference_end = _conference_action("conference_end", "The host ends the conference for everyone.")


@extend_schema(request=WrapupRequestSerializer, responses={202: AcceptedSerializer})
@api_view(["POST"])
@permission_classes([IsAgent])
def call_wrapup(request, uid: str):
    """Save the disposition and notes and end wrap-up."""
    data = _valid(WrapupRequestSerializer, request)
    message = call_control.call_wrapup(
        agent=agent_ensure(user=request.user),
        call_uid=uid,
        disposition=data.get("disposition") or None,
        notes=data.get("notes", ""),
    )
    return Response(message, status=status.HTTP_202_ACCEPTED)


@extend_schema(request=MonitorRequestSerializer, responses={202: AcceptedSerializer})
@api_view(["POST"])
@permission_classes([IsStaff])
def call_monitor(request, uid: str):
    """Supervisors: listen, whisper or barge into a live call.

    The engine takes the request asynchronously; the answer adds what the supervisor will hear
    (``audio``: whether any phone can ring for it; ``notice``: the sentence to show).
    """
    data = _valid(MonitorRequestSerializer, request)
    message = call_control.call_monitor(supervisor=request.user, call_uid=uid, mode=data["mode"])
    return Response({**message, **monitor_feedback(request.user)}, status=status.HTTP_202_ACCEPTED)


@extend_schema(request=None, responses={202: AcceptedSerializer})
@api_view(["POST"])
@permission_classes([IsStaff])
def call_release(request, uid: str):
    """Supervisors: force-release a call."""
    message = call_control.call_release(supervisor=request.user, call_uid=uid)
    return Response(message, status=status.HTTP_202_ACCEPTED)


# --- agents (as seen by everyone at work) ------------------------------------------------------------


class AgentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Agents with their state and skills. Supervisors force states and set skills; administrators
    also choose the seats an agent may use."""

    permission_classes = [HasRole.of(*STAFF, read=EVERYONE_AT_WORK)]
    serializer_class = AgentSerializer
    lookup_value_regex = r"\d+"
    queryset = (
        Agent.objects.select_related("user", "seat", "reason")
        .prefetch_related("agent_skills__skill", "allowed_seats")
        .order_by("id")
    )
    filterset_fields = ["state", "is_virtual"]

    def list(self, request, *args, **kwargs):
        agents_sync()
        return super().list(request, *args, **kwargs)

    @extend_schema(request=StateRequestSerializer, responses={200: AgentStateSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def state(self, request, pk=None):
        """Force an agent Ready, Not ready (with a reason) or Offline."""
        data = _valid(StateRequestSerializer, request)
        agent = agent_set_state(
            agent=self.get_object(),
            state=data["state"],
            reason_code=data.get("reason") or None,
            actor=request.user,
            source=agent_states.SUPERVISOR,
        )
        return _state_response(agent)

    @extend_schema(request=AgentSkillsRequestSerializer, responses={200: AgentSerializer})
    @action(detail=True, methods=["put"], permission_classes=[IsStaff])
    def skills(self, request, pk=None):
        """Replace the agent's skills: ``{"skills": [{"skill": id, "level": 1-10}, …]}``."""
        data = _valid(AgentSkillsRequestSerializer, request)
        agent = self.get_object()
        routing.agent_skills_set(agent=agent, skills=[(row["skill_id"], row["level"]) for row in data["skills"]])
        return Response(AgentSerializer(self.get_queryset().get(pk=agent.pk)).data)

    @extend_schema(request=AllowedSeatsRequestSerializer, responses={200: AgentSerializer})
    @action(detail=True, methods=["put"], url_path="allowed-seats", permission_classes=[HasRole.of(Role.TENANT_ADMIN)])
    def allowed_seats(self, request, pk=None):
        """Replace the seats the agent may log into: ``{"seats": ["1001", …]}``; ``[]`` allows any seat.

        Logging into another seat is then refused with ``seat_not_allowed``; the seat the agent
        holds now is kept until they leave it.
        """
        data = _valid(AllowedSeatsRequestSerializer, request)
        agent = self.get_object()
        agent_allowed_seats_set(agent=agent, extensions=data["seats"])
        return Response(AgentSerializer(self.get_queryset().get(pk=agent.pk)).data)


# --- routing configuration ---------------------------------------------------------------------------


class _ServiceViewSet(viewsets.ModelViewSet):
    """CRUD whose writes go through services; administrators write, people at work read."""

    permission_classes = [HasRole.of(Role.TENANT_ADMIN, read=EVERYONE_AT_WORK)]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _input(self, partial: bool) -> dict:
        serializer = self.get_serializer(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def create(self, request, *args, **kwargs):
        obj = self.create_object(self._input(partial=False))
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        obj = self.update_object(self.get_object(), self._input(partial=True))
        return Response(self.get_serializer(obj).data)

    def destroy(self, request, *args, **kwargs):
        self.delete_object(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SkillViewSet(_ServiceViewSet):
    # Supervisors staff the floor: they manage skills and queues too (views/routing.py ROUTING_MANAGERS).
    permission_classes = [HasRole.of(*STAFF, read=EVERYONE_AT_WORK)]
    serializer_class = SkillSerializer
    queryset = Skill.objects.order_by("name", "id")

    def create_object(self, data):
        return routing.skill_create(**data)

    def update_object(self, obj, data):
        return routing.skill_update(skill=obj, **data)

    def delete_object(self, obj):
        routing.skill_delete(skill=obj)


class ScriptPreviewRequestSerializer(serializers.Serializer):
    script = serializers.CharField(
        required=False, allow_blank=True, max_length=SCRIPT_MAX, help_text="Default: the queue's saved script."
    )
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=32, default="", help_text="Fill in the customer of this number."
    )
    variables = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=500),
        required=False,
        default=dict,
        help_text="IVR variables to fill in: {name: value}.",
    )


class ScriptPreviewSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The script as an agent would see it (plain text; masked fields masked).")
    real = serializers.BooleanField(help_text="Whether the phone number found a customer (else a sample one).")
    custom_fields = serializers.ListField(child=serializers.CharField(), help_text="The customer custom field keys.")


class QueueViewSet(_ServiceViewSet):
    """Queues with their required skills ``[{"skill": id, "min_level": 1-10}]``."""

    permission_classes = [HasRole.of(*STAFF, read=EVERYONE_AT_WORK)]
    serializer_class = QueueSerializer
    queryset = Queue.objects.prefetch_related("queue_skills").order_by("-priority", "name", "id")
    filterset_fields = ["is_scratch"]

    @staticmethod
    def _split(data: dict) -> tuple[dict, list | None]:
        skills = data.pop("queue_skills", None)
        if "overflow_queue_id" in data:
            data["overflow_queue"] = data.pop("overflow_queue_id")
        levels = None if skills is None else [(row["skill_id"], row["min_level"]) for row in skills]
        return data, levels

    def create_object(self, data):
        data, levels = self._split(data)
        return routing.queue_create(skills=levels or (), **data)

    def update_object(self, obj, data):
        data, levels = self._split(data)
        routing.queue_update(queue=obj, skills=levels, **data)
        return self.get_queryset().get(pk=obj.pk)

    def delete_object(self, obj):
        routing.queue_delete(queue=obj)

    @extend_schema(request=ScriptPreviewRequestSerializer, responses={200: ScriptPreviewSerializer})
    @action(detail=True, methods=["post"], url_path="script-preview")
    def script_preview(self, request, pk=None):
        """The queue's agent script (or ``script``) filled in as an agent would see it for a call
        from ``phone`` with IVR ``variables``; nothing is saved. A bad placeholder: 400 on ``script``."""
        queue = self.get_object()
        serializer = ScriptPreviewRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        script = data.get("script", queue.script)
        problems = routing.script_errors(script)
        if problems:
            raise ApplicationError("invalid", _("The request has invalid fields."), fields={"script": problems})
        return Response(script_preview(queue, script, phone=data["phone"], variables=data["variables"]))


class PauseReasonViewSet(_ServiceViewSet):
    serializer_class = PauseReasonSerializer
    queryset = PauseReason.objects.order_by("is_system", "name", "id")
    filterset_fields = ["is_active", "is_system"]

    def create_object(self, data):
        data.pop("is_active", None)
        return routing.pause_reason_create(**data)

    def update_object(self, obj, data):
        data.pop("code", None)
        return routing.pause_reason_update(reason=obj, **data)

    def delete_object(self, obj):
        routing.pause_reason_delete(reason=obj)


class DispositionViewSet(_ServiceViewSet):
    serializer_class = DispositionSerializer
    queryset = Disposition.objects.order_by("name", "id")
    filterset_fields = ["is_active"]

    def create_object(self, data):
        data.pop("is_active", None)
        return routing.disposition_create(**data)

    def update_object(self, obj, data):
        data.pop("code", None)
        return routing.disposition_update(disposition=obj, **data)

    def delete_object(self, obj):
        routing.disposition_delete(disposition=obj)


__all__ = [
    "AgentViewSet",
    "DispositionViewSet",
    "PauseReasonViewSet",
    "QueueViewSet",
    "SkillViewSet",
    "call_answer",
    "call_conference",
    "call_conference_drop",
    "call_conference_end",
    "call_conference_leave",
    "call_consult",
    "call_consult_cancel",
    "call_consult_complete",
    "call_hangup",
    "call_hold",
    "call_monitor",
    "call_reject",
    "call_release",
    "call_resume",
    "call_transfer",
    "call_wrapup",
    "me_dial",
    "me_login",
    "me_logout",
    "me_state",
]
