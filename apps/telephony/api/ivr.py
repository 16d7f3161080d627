"""IVR flows, business hours and number routing (/api/v1/ivr-flows, /business-hours, /ivr-routes).

Administrators edit; supervisors read. A flow's versions are read under
``/ivr-flows/{id}/versions``; only the draft (``/ivr-flows/{id}/draft``) is written.
The draft is edited whole (PUT ``/draft``) or node by node (``/ivr-flows/{id}/nodes``,
``/nodes/{node_id}``, ``/start``: the console editor's operations, services/ivr.py draft_edit).
Publishing answers 400 ``invalid_flow`` with the validator's problems in ``fields`` keyed
``nodes.<node id>.<field>``; writing a published version answers 409 ``immutable``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.choices import Role
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError
from apps.telephony.choices import IvrFlowStatus
from apps.telephony.forms.ivr import check_http_responses
from apps.telephony.ivr import schema
from apps.telephony.ivr.hours import HoursSpec, day_plan, hours_state, zone
from apps.telephony.models import BusinessHours, HolidayOverride, IvrFlow, IvrFlowVersion, PhoneNumber, Queue
from apps.telephony.services import business_hours as hours_services
from apps.telephony.services import ivr as ivr_services

AdminWritesSupervisorReads = HasRole.of(Role.TENANT_ADMIN, read=(Role.SUPERVISOR,))

# --- serializers -------------------------------------------------------------------------------------


class IvrFlowSerializer(serializers.ModelSerializer):
    published_version = serializers.SerializerMethodField()
    draft_version = serializers.SerializerMethodField()
    numbers = serializers.SerializerMethodField()

    class Meta:
        model = IvrFlow
        fields = ["id", "name", "description", "created_at", "published_version", "draft_version", "numbers"]
        read_only_fields = fields

    def _number_of(self, flow: IvrFlow, status_: str) -> int | None:
        numbers = [v.number for v in flow.versions.all() if v.status == status_]
        return max(numbers) if numbers else None

    def get_published_version(self, flow: IvrFlow) -> int | None:
        return self._number_of(flow, IvrFlowStatus.PUBLISHED)

    def get_draft_version(self, flow: IvrFlow) -> int | None:
        return self._number_of(flow, IvrFlowStatus.DRAFT)

    def get_numbers(self, flow: IvrFlow) -> list[str]:
        return [n.number for n in flow.numbers.all()]


class IvrFlowCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    graph = serializers.JSONField(required=False)


class IvrFlowUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class IvrFlowVersionSerializer(serializers.ModelSerializer):
    flow = serializers.IntegerField(source="flow_id", read_only=True)
    published_by = serializers.IntegerField(source="published_by_id", read_only=True, allow_null=True)

    class Meta:
        model = IvrFlowVersion
        fields = ["id", "flow", "number", "status", "graph", "created_at", "published_at", "published_by"]
        read_only_fields = fields


class GraphSerializer(serializers.Serializer):
    graph = serializers.JSONField()


class ProblemsSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    # Documents the answer only; the metaclass moves declared fields off the class, so the
    # ``Serializer.errors`` property is not shadowed at run time.
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))  # type: ignore[assignment]
    warnings = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class PublishResponseSerializer(serializers.Serializer):
    version = IvrFlowVersionSerializer()
    warnings = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class TestCallRequestSerializer(serializers.Serializer):
    __test__ = False  # pytest: not a test class despite the name

    digits = serializers.ListField(
        child=serializers.CharField(max_length=32, allow_blank=True, allow_null=True),
        max_length=100,
        required=False,
        default=list,
    )
    at = serializers.DateTimeField(required=False, help_text="When the call happens (default: now).")
    version = serializers.IntegerField(required=False, help_text="Version number (default: the draft, else published).")
    http_responses = serializers.DictField(
        required=False,
        default=dict,
        help_text='Per http node: its endpoint\'s answer (a JSON object), "timeout" or "error". '
        "A node not listed calls its endpoint for real.",
    )

    def validate_http_responses(self, value):
        try:
            return check_http_responses(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error

    def validate_digits(self, value):
        for entry in value:
            if entry and not all(ch in "0123456789*#" for ch in entry):
                raise serializers.ValidationError(_("Keys are 0–9, * and #."))
        return value


class TestCallResponseSerializer(serializers.Serializer):
    __test__ = False  # pytest: not a test class despite the name

    version = serializers.IntegerField()
    at = serializers.DateTimeField()
    path = serializers.ListField(child=serializers.DictField())
    actions = serializers.ListField(child=serializers.DictField())
    result = serializers.DictField(allow_null=True)
    variables = serializers.DictField(child=serializers.CharField())
    survey_score = serializers.IntegerField(allow_null=True)
    reached_agent_request = serializers.BooleanField()
    unused_digits = serializers.ListField(child=serializers.CharField(allow_null=True))
    finished = serializers.BooleanField()


class NodeCreateSerializer(serializers.Serializer):
    node_id = serializers.CharField(max_length=64, help_text="Letters, digits, “_” or “-”; unique in the flow.")
    type = serializers.ChoiceField(choices=list(schema.NODE_TYPES))
    # The body's "fields"; the metaclass moves declared fields off the class, so the
    # ``Serializer.fields`` property is not shadowed at run time.
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text='The node\'s fields (docs/ivr.md), e.g. {"prompt": "…", "next": "menu"}.'
    )


class NodeChangesSerializer(serializers.Serializer):
    """The body of a node PATCH is the node's fields themselves (docs/ivr.md): each one given is
    set, ``null`` (or ``""``, ``[]``) removes it, the others stay. ``type`` cannot change."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict) or not data:
            raise serializers.ValidationError({"non_field_errors": [_("Send the node's fields as a JSON object.")]})
        return dict(data)

    def to_representation(self, instance: Any) -> Any:
        return instance


class StartSerializer(serializers.Serializer):
    node_id = serializers.CharField(max_length=64)


class ImportRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    graph = serializers.JSONField()
    format = serializers.CharField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    references = serializers.JSONField(required=False)


class HolidayOverrideSerializer(serializers.ModelSerializer):
    open_hours = serializers.JSONField(required=False)

    class Meta:
        model = HolidayOverride
        fields = ["id", "date", "is_open", "open_hours", "name"]
        read_only_fields = ["id"]
        extra_kwargs = {"name": {"required": False, "allow_blank": True}, "is_open": {"required": False}}


class BusinessHoursSerializer(serializers.ModelSerializer):
    overrides = HolidayOverrideSerializer(many=True, read_only=True)
    weekly = serializers.JSONField(required=False)
    makeup_day_hours = serializers.JSONField(required=False)

    class Meta:
        model = BusinessHours
        fields = ["id", "name", "time_zone", "weekly", "follow_chinese_holidays", "makeup_day_hours", "overrides"]
        read_only_fields = ["id", "overrides"]
        extra_kwargs = {"time_zone": {"required": False}, "follow_chinese_holidays": {"required": False}}
        # Names are checked (case-insensitively) by the service.
        validators: list = []


class HoursStatusSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    state = serializers.CharField()
    day_kind = serializers.CharField()
    day_name = serializers.CharField()
    day_source = serializers.CharField(
        help_text="Where a holiday or make-up workday comes from: official, provisional (computed by rule, the "
        "year's official schedule is not in the calendar yet), manual, tenant; empty for an ordinary day."
    )
    intervals = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))


class IvrRouteSerializer(serializers.Serializer):
    number_id = serializers.IntegerField()
    number = serializers.CharField(read_only=True)
    ivr_flow_id = serializers.IntegerField(allow_null=True, required=False, default=None)
    queue_id = serializers.IntegerField(allow_null=True, required=False, default=None)


def _route_data(number: PhoneNumber) -> dict:
    return {
        "number_id": number.pk,
        "number": number.number,
        "ivr_flow_id": number.ivr_flow_id,
        "queue_id": number.queue_id,
    }


# --- flows -------------------------------------------------------------------------------------------


class IvrFlowViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """IVR flows and their versions."""

    permission_classes = [AdminWritesSupervisorReads]
    serializer_class = IvrFlowSerializer
    queryset = IvrFlow.objects.prefetch_related("versions", "numbers").order_by("name", "id")
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def _version(self, flow: IvrFlow, number) -> IvrFlowVersion:
        return get_object_or_404(IvrFlowVersion, flow=flow, number=number)

    @extend_schema(request=IvrFlowCreateSerializer, responses={201: IvrFlowSerializer})
    def create(self, request):
        data = _valid(IvrFlowCreateSerializer, request.data)
        flow = ivr_services.flow_create(name=data["name"], description=data["description"], graph=data.get("graph"))
        return Response(IvrFlowSerializer(self._fresh(flow)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IvrFlowUpdateSerializer, responses={200: IvrFlowSerializer})
    def partial_update(self, request, pk=None):
        data = _valid(IvrFlowUpdateSerializer, request.data)
        flow = ivr_services.flow_update(flow=self.get_object(), **data)
        return Response(IvrFlowSerializer(self._fresh(flow)).data)

    def destroy(self, request, pk=None):
        ivr_services.flow_delete(flow=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _fresh(self, flow: IvrFlow) -> IvrFlow:
        return self.get_queryset().get(pk=flow.pk)

    @extend_schema(responses={200: IvrFlowVersionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        flow = self.get_object()
        return Response(IvrFlowVersionSerializer(flow.versions.order_by("-number"), many=True).data)

    @extend_schema(request=GraphSerializer, responses={200: IvrFlowVersionSerializer})
    @action(detail=True, methods=["get", "put"], url_path=r"versions/(?P<number>[0-9]+)")
    def version(self, request, pk=None, number=None):
        """Read a version; PUT a graph into it (drafts only: others answer 409 ``immutable``)."""
        version = self._version(self.get_object(), number)
        if request.method == "PUT":
            data = _valid(GraphSerializer, request.data)
            version = ivr_services.version_update(version=version, graph=data["graph"])
        return Response(IvrFlowVersionSerializer(version).data)

    @extend_schema(request=GraphSerializer, responses={200: IvrFlowVersionSerializer})
    @action(detail=True, methods=["get", "put", "delete"])
    def draft(self, request, pk=None):
        """The draft: GET it (404 when there is none), PUT a graph (starting a draft from the
        published version when needed), DELETE to discard it."""
        flow = self.get_object()
        if request.method == "PUT":
            data = _valid(GraphSerializer, request.data)
            return Response(IvrFlowVersionSerializer(ivr_services.draft_update(flow=flow, graph=data["graph"])).data)
        draft = ivr_services.flow_draft(flow)
        if draft is None:
            raise ApplicationError("no_draft", _("This flow has no draft."), status=404)
        if request.method == "DELETE":
            ivr_services.version_delete(version=draft)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(IvrFlowVersionSerializer(draft).data)

    # --- editing the draft node by node (the console's node editor; services/ivr.py draft_edit) ---

    @extend_schema(request=NodeCreateSerializer, responses={201: IvrFlowVersionSerializer})
    @action(detail=True, methods=["post"], url_path="nodes")
    def nodes(self, request: Request, pk: str | None = None) -> Response:
        """Add a node to the draft (starting a draft from the published version when needed);
        answers the draft. The first node of an empty graph becomes the start."""
        flow = self.get_object()
        data = _valid(NodeCreateSerializer, request.data)
        draft = ivr_services.node_add(
            flow=flow, node_id=data["node_id"], node_type=data["type"], fields=data.get("fields")
        )
        return Response(IvrFlowVersionSerializer(draft).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["PATCH"],
        request=NodeChangesSerializer,
        responses={200: IvrFlowVersionSerializer},
        description="Change one node of the draft: the body is the node's fields; each one given is set, "
        "null removes it, the others stay. Answers the draft; 404 ``not_found`` for a node the draft lacks.",
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["patch", "delete"], url_path=r"nodes/(?P<node_id>[A-Za-z0-9_-]{1,64})")
    def node(self, request: Request, pk: str | None = None, node_id: str = "") -> Response:
        """PATCH one node of the draft; DELETE removes it (edges to it dangle until fixed)."""
        flow = self.get_object()
        if request.method == "DELETE":
            ivr_services.node_remove(flow=flow, node_id=node_id)
            return Response(status=status.HTTP_204_NO_CONTENT)
        changes = _valid(NodeChangesSerializer, request.data)
        draft = ivr_services.node_update(flow=flow, node_id=node_id, changes=changes)
        return Response(IvrFlowVersionSerializer(draft).data)

    @extend_schema(request=StartSerializer, responses={200: IvrFlowVersionSerializer})
    @action(detail=True, methods=["post"], url_path="start")
    def start(self, request: Request, pk: str | None = None) -> Response:
        """Choose the node the draft's calls start at; answers the draft."""
        flow = self.get_object()
        data = _valid(StartSerializer, request.data)
        return Response(IvrFlowVersionSerializer(ivr_services.flow_start_set(flow=flow, node_id=data["node_id"])).data)

    @extend_schema(request=None, responses={200: PublishResponseSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        result = ivr_services.flow_publish(flow=self.get_object(), user=request.user)
        return Response({"version": IvrFlowVersionSerializer(result.version).data, "warnings": result.warnings})

    @extend_schema(request=GraphSerializer, responses={200: ProblemsSerializer})
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        """Check a graph (the body's, else the draft's) without publishing."""
        flow = self.get_object()
        graph = request.data.get("graph") if isinstance(request.data, dict) else None
        if graph is None:
            version = ivr_services.flow_draft(flow) or ivr_services.flow_latest(flow)
            graph = version.graph if version else {}
        result = ivr_services.graph_validate(graph)
        return Response({"ok": result.ok, "errors": result.error_fields(), "warnings": result.warning_fields()})

    @extend_schema(
        parameters=[OpenApiParameter("version", int, description="Default: published, else the latest.")],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        flow = self.get_object()
        number = request.query_params.get("version")
        version = self._version(flow, number) if number else None
        return Response(ivr_services.flow_export(flow=flow, version=version))

    @extend_schema(
        request=ImportRequestSerializer, responses={201: IvrFlowVersionSerializer}, operation_id="ivr_flows_import_new"
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_new(self, request):
        """Import exported JSON as a new flow (its draft v1). The exported name is kept, with
        " (2)", " (3)"… added when a flow has it already."""
        _valid(ImportRequestSerializer, request.data)
        version = ivr_services.flow_import(data=request.data)
        return Response(IvrFlowVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ImportRequestSerializer, responses={200: IvrFlowVersionSerializer}, operation_id="ivr_flows_import_into"
    )
    @action(detail=True, methods=["post"], url_path="import")
    def import_into(self, request, pk=None):
        """Import exported JSON into this flow's draft."""
        _valid(ImportRequestSerializer, request.data)
        version = ivr_services.flow_import(data=request.data, flow=self.get_object())
        return Response(IvrFlowVersionSerializer(version).data)

    @extend_schema(request=TestCallRequestSerializer, responses={200: TestCallResponseSerializer})
    @action(detail=True, methods=["post"], url_path="test-call")
    def test_call(self, request, pk=None):
        """Walk the flow with scripted key presses; answers the path taken and where the call ended."""
        flow = self.get_object()
        data = _valid(TestCallRequestSerializer, request.data)
        if data.get("version"):
            version = self._version(flow, data["version"])
        else:
            version = ivr_services.flow_draft(flow) or flow.published or ivr_services.flow_latest(flow)
        at = data.get("at") or timezone.now()
        result = ivr_services.flow_test_call(
            version=version, digits=data["digits"], at=at, http_responses=data.get("http_responses") or {}
        )
        return Response({"version": version.number, "at": at, **result.as_dict()})


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- business hours ----------------------------------------------------------------------------------


class BusinessHoursViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Opening hours (weekly, Chinese holidays, make-up workdays) and per-date overrides."""

    permission_classes = [AdminWritesSupervisorReads]
    serializer_class = BusinessHoursSerializer
    queryset = BusinessHours.objects.prefetch_related("overrides").order_by("name", "id")
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def create(self, request):
        data = _valid(BusinessHoursSerializer, request.data)
        hours = hours_services.business_hours_create(**data)
        return Response(BusinessHoursSerializer(hours).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        hours = self.get_object()
        serializer = BusinessHoursSerializer(hours, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        hours = hours_services.business_hours_update(hours=hours, **serializer.validated_data)
        return Response(BusinessHoursSerializer(self.get_queryset().get(pk=hours.pk)).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        hours_services.business_hours_delete(hours=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=HolidayOverrideSerializer, responses={200: HolidayOverrideSerializer(many=True)})
    @action(detail=True, methods=["get", "post"])
    def overrides(self, request, pk=None):
        """GET the overrides; POST one (a date already overridden is replaced)."""
        hours = self.get_object()
        if request.method == "POST":
            data = _valid(HolidayOverrideSerializer, request.data)
            override = hours_services.holiday_override_set(hours=hours, **data)
            return Response(HolidayOverrideSerializer(override).data, status=status.HTTP_201_CREATED)
        return Response(HolidayOverrideSerializer(hours.overrides.all(), many=True).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"overrides/(?P<override_id>[0-9]+)")
    def override_delete(self, request, pk=None, override_id=None):
        override = get_object_or_404(HolidayOverride, hours=self.get_object(), pk=override_id)
        hours_services.holiday_override_delete(override=override)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[OpenApiParameter("at", str, description="ISO 8601 instant (default: now).")],
        responses={200: HoursStatusSerializer},
    )
    @action(detail=True, methods=["get"], url_path="status")
    def hours_status(self, request, pk=None):
        """Open, closed or holiday at an instant, and what that local day looks like."""
        hours = self.get_object()
        at = timezone.now()
        if request.query_params.get("at"):
            field = serializers.DateTimeField()
            try:
                at = field.to_internal_value(request.query_params["at"])
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"at": exc.detail}) from exc
        spec = HoursSpec.from_model(hours)
        plan = day_plan(spec, at.astimezone(zone(spec)).date())
        return Response(
            {
                "at": at,
                "state": hours_state(spec, at).value,
                "day_kind": plan.kind.value,
                "day_name": plan.name,
                "day_source": plan.source,
                "intervals": plan.intervals,
            }
        )


# --- routing numbers ---------------------------------------------------------------------------------


@extend_schema(request=IvrRouteSerializer, responses={200: IvrRouteSerializer(many=True)})
@api_view(["GET", "POST"])
@permission_classes([AdminWritesSupervisorReads])
def ivr_routes(request):
    """GET every number's route; POST ``{"number_id", "ivr_flow_id"|null, "queue_id"|null}`` to set one."""
    if request.method == "GET":
        return Response([_route_data(n) for n in PhoneNumber.objects.order_by("number")])
    data = _valid(IvrRouteSerializer, request.data)
    errors: dict[str, list[str]] = {}
    number = PhoneNumber.objects.filter(pk=data["number_id"]).first()
    if number is None:
        errors["number_id"] = [_("No such number.")]
    flow = None
    if data["ivr_flow_id"] is not None:
        flow = IvrFlow.objects.filter(pk=data["ivr_flow_id"]).first()
        if flow is None:
            errors["ivr_flow_id"] = [_("No such IVR flow.")]
    queue = None
    if data["queue_id"] is not None:
        queue = Queue.objects.filter(pk=data["queue_id"]).first()
        if queue is None:
            errors["queue_id"] = [_("No such queue.")]
    if errors:
        raise ApplicationError("invalid", _("The request has invalid fields."), fields=errors)
    number = ivr_services.number_route_set(number=number, ivr_flow=flow, queue=queue)
    return Response(_route_data(number))
