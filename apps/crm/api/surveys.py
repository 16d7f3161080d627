"""Survey responses and callback-visit tasks (docs/api.md "Survey responses and callback visits").

Reading follows responses_visible_to (managers and QA every response, an agent those of their own
calls; 404 for the others). Closing a follow-up and sending a visit are checked by the services
(403 ``forbidden``; 400 ``invalid_state``, ``visit_pending``, ``no_phone``, ``do_not_call``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError
from apps.crm.api.tickets import TicketPagination, body
from apps.crm.filtersets.surveys import SurveyResponseFilterSet
from apps.crm.models import SurveyResponse, VisitTask
from apps.crm.roles import SURVEY_MANAGER_ROLES, SURVEY_READ_ROLES, TICKET_READ_ROLES
from apps.crm.selectors.surveys import access_survey_response, survey_response_list, visit_tasks_visible_to
from apps.crm.selectors.tickets import access_ticket
from apps.crm.services.surveys import survey_follow_up_done
from apps.crm.services.visits import visit_task_for_response, visit_task_for_ticket


class SurveyResponseSerializer(serializers.ModelSerializer):
    call: serializers.Field = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    agent_name = serializers.SerializerMethodField()
    queue_name = serializers.CharField(source="queue.name", read_only=True, default=None)

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "channel",
            "score",
            "answers",
            "comment",
            "answered_at",
            "call",
            "ticket",
            "agent",
            "agent_name",
            "queue",
            "queue_name",
            "caller",
            "follow_up_status",
            "follow_up_owner",
            "follow_up_note",
            "follow_up_done_at",
        ]
        read_only_fields = fields

    def get_agent_name(self, response: SurveyResponse) -> str | None:
        return response.agent.user.get_short_name() if response.agent_id and response.agent else None


class VisitTaskSerializer(serializers.ModelSerializer):
    campaign_name = serializers.CharField(source="campaign.name", read_only=True, default=None)
    disposition_code = serializers.CharField(source="disposition.code", read_only=True, default=None)
    call: serializers.Field = serializers.SlugRelatedField(slug_field="uid", read_only=True)

    class Meta:
        model = VisitTask
        fields = [
            "id",
            "ticket",
            "survey_response",
            "campaign",
            "campaign_name",
            "contact",
            "phone",
            "status",
            "attempts",
            "last_outcome",
            "disposition",
            "disposition_code",
            "call",
            "created_by",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class FollowUpDoneSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class VisitTaskCreateSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    ticket = serializers.IntegerField(required=False, allow_null=True)
    survey_response = serializers.IntegerField(required=False, allow_null=True)


class SurveyResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"\d+"
    pagination_class = TicketPagination
    permission_classes = [HasRole.of(*SURVEY_MANAGER_ROLES, read=SURVEY_READ_ROLES)]
    filterset_class = SurveyResponseFilterSet
    serializer_class = SurveyResponseSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return survey_response_list(user=self.request.user)

    def retrieve(self, request, *args, **kwargs):
        response = access_survey_response(user=request.user, pk=int(kwargs["pk"]))
        return Response(SurveyResponseSerializer(response).data)

    @extend_schema(request=FollowUpDoneSerializer, responses={200: SurveyResponseSerializer})
    @action(detail=True, methods=["post"], url_path="follow-up-done")
    def follow_up_done(self, request, pk=None):
        """Close a low score's follow-up with what was done (``note``)."""
        response = access_survey_response(user=request.user, pk=int(pk))
        data = FollowUpDoneSerializer(data=body(request))
        data.is_valid(raise_exception=True)
        done = survey_follow_up_done(response=response, actor=request.user, note=data.validated_data["note"])
        return Response(SurveyResponseSerializer(done).data)


class VisitTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"\d+"
    pagination_class = TicketPagination
    permission_classes = [HasRole.of(*TICKET_READ_ROLES, read=TICKET_READ_ROLES)]
    serializer_class = VisitTaskSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return visit_tasks_visible_to(self.request.user)

    @extend_schema(request=VisitTaskCreateSerializer, responses={201: VisitTaskSerializer})
    def create(self, request, *args, **kwargs):
        """Send a callback visit to a campaign: of a resolved ``ticket``, or of a ``survey_response``."""
        data = VisitTaskCreateSerializer(data=body(request))
        data.is_valid(raise_exception=True)
        ticket_id = data.validated_data.get("ticket")
        response_id = data.validated_data.get("survey_response")
        if (ticket_id is None) == (response_id is None):
            message = _("Name either a ticket or a survey response.")
            raise ApplicationError("invalid", message, fields={"ticket": [message]})
        campaign = data.validated_data["campaign"]
        if ticket_id is not None:
            ticket = access_ticket(user=request.user, pk=ticket_id)
            task = visit_task_for_ticket(ticket=ticket, actor=request.user, campaign=campaign)
        else:
            response = access_survey_response(user=request.user, pk=response_id)
            task = visit_task_for_response(response=response, actor=request.user, campaign=campaign)
        return Response(VisitTaskSerializer(task).data, status=status.HTTP_201_CREATED)
