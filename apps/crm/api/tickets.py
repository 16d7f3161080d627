"""Tickets API (docs/api.md "Tickets"): receive, list, read, and one POST per step of the life
cycle. Reading follows tickets_visible_to (an agent sees their own, their department's and the
ones they created; 404 for the others); each step's right is checked by the service (403)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.core.api.pagination import Pagination
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError
from apps.crm.choices import TicketPriority, VisitAttitude
from apps.crm.filtersets import TicketFilterSet
from apps.crm.models import Ticket, TicketAttachment, TicketNote
from apps.crm.paging import EstimatedCountPaginator
from apps.crm.roles import TICKET_CREATE_ROLES, TICKET_READ_ROLES
from apps.crm.selectors.tickets import access_ticket, actions_for, ticket_list, ticket_timeline
from apps.crm.services import (
    ticket_assign,
    ticket_attach,
    ticket_change,
    ticket_close,
    ticket_create,
    ticket_follow_up,
    ticket_note,
    ticket_reopen,
    ticket_resolve,
    ticket_supervise,
    ticket_visit,
)


class TicketSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True, default=None)
    assignee_name = serializers.SerializerMethodField()
    department_name = serializers.CharField(source="department.name", read_only=True, default=None)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "title",
            "description",
            "status",
            "priority",
            "category",
            "category_name",
            "customer",
            "customer_name",
            "assignee",
            "assignee_name",
            "department",
            "department_name",
            "received_at",
            "first_response_due",
            "first_response_at",
            "resolution_due",
            "resolved_at",
            "closed_at",
            "first_response_breached",
            "resolution_breached",
            "breached",
            "supervision_count",
            "escalation_level",
            "reopen_count",
            "resolution",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_assignee_name(self, ticket: Ticket) -> str | None:
        return ticket.assignee.get_full_name() if ticket.assignee else None


class TicketNoteSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()
    public = serializers.SerializerMethodField()

    class Meta:
        model = TicketNote
        fields = ["id", "kind", "public", "is_follow_up", "body", "author", "author_name", "created_at"]
        read_only_fields = fields

    def get_author_name(self, note: TicketNote) -> str | None:
        return note.author.get_full_name() if note.author else None

    def get_public(self, note: TicketNote) -> bool:
        return note.kind == "reply"


class TicketAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketAttachment
        fields = ["id", "name", "size_bytes", "content_type", "uploaded_by", "created_at"]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    calls: serializers.Field = serializers.SlugRelatedField(slug_field="uid", many=True, read_only=True)
    events = serializers.SerializerMethodField()
    notes = TicketNoteSerializer(many=True, read_only=True)
    attachments = TicketAttachmentSerializer(many=True, read_only=True)
    visits = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "calls", "events", "notes", "attachments", "visits", "actions"]
        read_only_fields = fields

    def get_events(self, ticket: Ticket) -> list[dict]:
        return [
            {
                "kind": event.kind,
                "at": serializers.DateTimeField().to_representation(event.at),
                "actor": event.actor_id,
                "from_status": event.from_status or None,
                "to_status": event.to_status or None,
                "data": event.data,
            }
            for event in ticket_timeline(ticket=ticket)
        ]

    def get_visits(self, ticket: Ticket) -> list[dict]:
        return [
            {
                "solved": visit.solved,
                "attitude": visit.attitude,
                "charged": visit.charged,
                "score": visit.score,
                "suggestion": visit.suggestion,
                "visited_by": visit.visited_by_id,
                "visited_at": serializers.DateTimeField().to_representation(visit.visited_at),
            }
            for visit in ticket.visits.all()
        ]

    def get_actions(self, ticket: Ticket) -> list[str]:
        return actions_for(self.context["request"].user, ticket)


class TicketCreateSerializer(serializers.Serializer):
    """Types only; the service checks the values and answers with field messages."""

    title = serializers.CharField(allow_blank=True, trim_whitespace=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    customer = serializers.IntegerField(required=False, allow_null=True)
    call = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)
    category = serializers.IntegerField()
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False, default=TicketPriority.NORMAL)
    received_at = serializers.DateTimeField(required=False, allow_null=True)


class TicketChangeSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)
    category = serializers.IntegerField(required=False)


class VisitSerializer(serializers.Serializer):
    solved = serializers.BooleanField()
    attitude = serializers.ChoiceField(choices=VisitAttitude.choices)
    charged = serializers.BooleanField()
    score = serializers.IntegerField(min_value=1, max_value=10)
    suggestion = serializers.CharField(required=False, allow_blank=True, default="")


def body(request) -> Mapping[str, Any]:
    """The request's fields; a body that is not an object (a list, a number) is refused."""
    data = request.data
    if not isinstance(data, Mapping):
        message = _("Send a JSON object.")
        raise ApplicationError("invalid", message, fields={"non_field_errors": [message]})
    return data


def _text(request, name: str):
    value = body(request).get(name, "")
    return "" if value is None else value


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes", "on")


TEXT_BODY: dict[str, serializers.Field] = {"note": serializers.CharField(required=False)}


class TicketPagination(Pagination):
    """The house pagination, with a count that is exact up to 10,000 tickets and PostgreSQL's
    estimate beyond (apps/crm/paging.py); ``count_is_estimate`` says which."""

    django_paginator_class = EstimatedCountPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_is_estimate"] = self.page.paginator.count_is_estimate
        return response

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count_is_estimate"] = {"type": "boolean"}
        return answer


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"\d+"
    pagination_class = TicketPagination
    permission_classes = [HasRole.of(*TICKET_CREATE_ROLES, read=TICKET_READ_ROLES)]
    filterset_class = TicketFilterSet
    serializer_class = TicketSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return ticket_list(user=self.request.user)

    def get_serializer_class(self):
        return TicketDetailSerializer if self.action != "list" else TicketSerializer

    def _ticket(self, pk) -> Ticket:
        return access_ticket(user=self.request.user, pk=int(pk))

    def _answer(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        fresh = (
            Ticket.objects.select_related("category", "assignee", "department", "customer")
            .prefetch_related("calls", "notes__author", "attachments", "visits")
            .get(pk=ticket.pk)
        )
        return Response(TicketDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Receive a ticket (受理): 201 with ``id, status, first_response_due, resolution_due`` and the rest."""
        data = TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_create(actor=request.user, **data.validated_data)
        return self._answer(ticket, status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        return self._answer(self._ticket(kwargs["pk"]))

    @extend_schema(request=TicketChangeSerializer, responses={200: TicketDetailSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change title, description, priority or category (new due times on the last two)."""
        data = TicketChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_change(ticket=self._ticket(kwargs["pk"]), actor=request.user, **data.validated_data)
        return self._answer(ticket)

    @extend_schema(
        request=inline_serializer(
            "TicketAssign",
            {
                "assignee": serializers.IntegerField(required=False),
                "department": serializers.IntegerField(required=False),
                "note": serializers.CharField(required=False),
            },
        ),
        responses={200: TicketDetailSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def assign(self, request, pk=None):
        """Hand the ticket to a person and/or a department (交办)."""
        ticket = ticket_assign(
            ticket=self._ticket(pk),
            actor=request.user,
            assignee=body(request).get("assignee"),
            department=body(request).get("department"),
            note=_text(request, "note"),
        )
        return self._answer(ticket)

    @extend_schema(request=inline_serializer("TicketSupervise", TEXT_BODY), responses={200: TicketDetailSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def supervise(self, request, pk=None):
        """Supervise (督办) the ticket."""
        return self._answer(ticket_supervise(ticket=self._ticket(pk), actor=request.user, note=_text(request, "note")))

    @extend_schema(
        request=inline_serializer(
            "TicketFollowUp", {"body": serializers.CharField(), "public": serializers.BooleanField(required=False)}
        ),
        responses={200: TicketDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="follow-ups", filterset_class=None)
    def follow_ups(self, request, pk=None):
        """Record a follow-up (跟进); ``public``: a reply the customer is told. The first is the first response."""
        ticket = self._ticket(pk)
        ticket_follow_up(
            ticket=ticket,
            actor=request.user,
            body=_text(request, "body"),
            public=_flag(body(request).get("public", False)),
        )
        return self._answer(ticket)

    @extend_schema(
        request=inline_serializer("TicketNoteIn", {"body": serializers.CharField()}),
        responses={201: TicketNoteSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def notes(self, request, pk=None):
        """An internal note (no transition, not a response)."""
        note = ticket_note(ticket=self._ticket(pk), actor=request.user, body=_text(request, "body"))
        return Response(TicketNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=inline_serializer("TicketResolve", {"resolution": serializers.CharField(required=False)}),
        responses={200: TicketDetailSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def resolve(self, request, pk=None):
        """The work is done (办结)."""
        ticket = ticket_resolve(ticket=self._ticket(pk), actor=request.user, resolution=_text(request, "resolution"))
        return self._answer(ticket)

    @extend_schema(request=VisitSerializer, responses={200: TicketDetailSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def visit(self, request, pk=None):
        """The callback visit (回访): five answers; the ticket is closed."""
        ticket = self._ticket(pk)
        data = VisitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket_visit(ticket=ticket, actor=request.user, **data.validated_data)
        return self._answer(ticket)

    @extend_schema(
        request=inline_serializer("TicketClose", {"reason": serializers.CharField(required=False)}),
        responses={200: TicketDetailSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def close(self, request, pk=None):
        """Close a resolved ticket without a visit."""
        return self._answer(ticket_close(ticket=self._ticket(pk), actor=request.user, reason=_text(request, "reason")))

    @extend_schema(
        request=inline_serializer("TicketReopen", {"reason": serializers.CharField(required=False)}),
        responses={200: TicketDetailSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reopen(self, request, pk=None):
        """Back to in progress from resolved, visited or closed."""
        return self._answer(ticket_reopen(ticket=self._ticket(pk), actor=request.user, reason=_text(request, "reason")))

    @extend_schema(
        request={"multipart/form-data": inline_serializer("TicketAttachmentIn", {"file": serializers.FileField()})},
        responses={201: TicketAttachmentSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def attachments(self, request, pk=None):
        """Attach a file (multipart, field ``file``)."""
        upload = request.FILES.get("file")
        ticket = self._ticket(pk)
        if upload is None:
            message = _("Choose a file.")
            raise ApplicationError("invalid", message, fields={"file": [message]})
        attachment = ticket_attach(ticket=ticket, actor=request.user, file=upload)
        return Response(TicketAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("attachment", int, OpenApiParameter.PATH)],
        responses={(200, "application/octet-stream"): bytes},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment>\d+)",
        filterset_class=None,
        pagination_class=None,
    )
    def attachment(self, request, pk=None, attachment=None):
        """Download one attached file."""
        ticket = self._ticket(pk)
        row = get_object_or_404(TicketAttachment, ticket=ticket, pk=int(attachment))
        return FileResponse(row.file.open("rb"), as_attachment=True, filename=row.name, content_type=row.content_type)
