"""Outbound campaigns under /api/v1/: campaigns and their life cycle, retry rules, results
export, scheduled callbacks and dial attempts, and the tenant's consent policy. Contact lists and
contacts are in :mod:`apps.telephony.api.contacts`; do-not-call and consent in
:mod:`apps.telephony.api.dnc`.

Roles: administrators manage everything; supervisors read, start, pause and resume campaigns
and schedule callbacks; agents see only their own callbacks, and schedule callbacks for the
contacts they spoke to. Every write goes through a service; bad input is a 400
``{"code", "message", "fields"}`` that changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.core.api.permissions import HasRole
from apps.core.api.renderers import EXPORT_RENDERER_CLASSES, ExportNegotiation, requested_file_format
from apps.core.clientip import client_ip
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.core.exports import XLSX_CONTENT_TYPE, export_response
from apps.telephony import kpis
from apps.telephony.choices import ExportFormat
from apps.telephony.models import (
    Agent,
    Campaign,
    CampaignRetryRule,
    Contact,
    DialAttempt,
    Disposition,
    ScheduledCallback,
)
from apps.telephony.selectors.campaigns.dialing import (
    abandon_history,
    callbacks_visible_to,
    contact_counts,
    contacts_visible_to,
)
from apps.telephony.services.campaigns import lifecycle as campaign_services
from apps.telephony.services.campaigns import results_export
from apps.telephony.services.campaigns.lifecycle import CAMPAIGN_SETTINGS

ADMIN = (Role.TENANT_ADMIN,)
STAFF = (Role.TENANT_ADMIN, Role.SUPERVISOR)
AT_WORK = (*STAFF, Role.AGENT)

AdminWritesStaffReads = HasRole.of(*ADMIN, read=STAFF)
IsStaff = HasRole.of(*STAFF)
IsAdmin = HasRole.of(*ADMIN)


def _valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _user_is_staff(user) -> bool:
    return user.has_role(*STAFF)


# --- campaigns ----------------------------------------------------------------------------------------


class CampaignSerializer(serializers.ModelSerializer):
    queue = serializers.IntegerField(source="queue_id")
    trunk = serializers.IntegerField(source="trunk_id", required=False, allow_null=True)
    weekdays = serializers.ListField(child=serializers.IntegerField(), required=False)

    class Meta:
        model = Campaign
        fields = [
            "id",
            *CAMPAIGN_SETTINGS,
            "status",
            "created_at",
            "updated_at",
            "started_at",
            "paused_at",
            "resumed_at",
            "finished_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "created_at",
            "updated_at",
            "started_at",
            "paused_at",
            "resumed_at",
            "finished_at",
        ]
        # Ranges, choices and uniqueness are the service's to check, with its own messages.
        extra_kwargs: dict[str, dict[str, Any]] = {name: {"validators": []} for name in CAMPAIGN_SETTINGS}

    @staticmethod
    def service_data(validated: dict) -> dict:
        data = dict(validated)
        if "queue_id" in data:
            data["queue"] = data.pop("queue_id")
        if "trunk_id" in data:
            data["trunk"] = data.pop("trunk_id")
        return data


class CampaignSummarySerializer(serializers.Serializer):
    remaining = serializers.IntegerField()
    attempted = serializers.IntegerField()
    finished = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    live_answers = serializers.IntegerField(help_text="Within the abandon window.")
    abandoned = serializers.IntegerField()
    abandon_rate = serializers.FloatField(allow_null=True)
    max_abandon_rate = serializers.FloatField()


class RetryRuleSerializer(serializers.ModelSerializer):
    disposition: serializers.SlugRelatedField[Disposition] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = CampaignRetryRule
        fields = ["id", "outcome", "disposition", "retry", "min_gap_minutes", "max_attempts", "do_not_call"]
        read_only_fields = fields


class RetryRulesRequestSerializer(serializers.Serializer):
    rules = serializers.ListField(
        child=serializers.DictField(),
        help_text='[{"outcome": "busy"|…, or "disposition": code, "retry", "min_gap_minutes", "max_attempts", '
        '"do_not_call"}]',
    )


class CampaignViewSet(viewsets.ModelViewSet):
    """Campaigns. Administrators create, edit and delete (drafts only); supervisors read and start,
    pause and resume; stopping (finished is final) is for administrators."""

    permission_classes = [AdminWritesStaffReads]
    serializer_class = CampaignSerializer
    queryset = Campaign.objects.order_by("-created_at", "-id")
    filterset_fields = ["status", "dial_mode", "type", "queue"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"

    def create(self, request, *args, **kwargs):
        data = CampaignSerializer.service_data(_valid(CampaignSerializer, request))
        campaign = campaign_services.campaign_create(user=request.user, **data)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        campaign = self.get_object()
        data = CampaignSerializer.service_data(_valid(CampaignSerializer, request, partial=True))
        campaign = campaign_services.campaign_update(campaign=campaign, **data)
        return Response(CampaignSerializer(campaign).data)

    def destroy(self, request, *args, **kwargs):
        campaign_services.campaign_delete(campaign=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _transition(self, request, action_name: str) -> Response:
        campaign = campaign_services.campaign_transition(
            campaign=self.get_object(), action=action_name, user=request.user
        )
        return Response(CampaignSerializer(campaign).data)

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def start(self, request, pk=None):
        """Draft → running. Refused (400 ``not_ready``) without an abandon message outside preview mode."""
        return self._transition(request, "start")

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def pause(self, request, pk=None):
        return self._transition(request, "pause")

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def resume(self, request, pk=None):
        return self._transition(request, "resume")

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAdmin])
    def stop(self, request, pk=None):
        """Finish the campaign for good; contacts keep their results."""
        return self._transition(request, "stop")

    @extend_schema(request=None, responses={200: CampaignSummarySerializer})
    @action(detail=True, methods=["get"], permission_classes=[IsStaff])
    def summary(self, request, pk=None):
        """Contacts remaining/attempted/finished and the abandon rate over the campaign's window."""
        campaign = self.get_object()
        counts = contact_counts(campaign.pk)
        by_status = dict(
            Contact.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id")).order_by()
        )
        live, abandoned = abandon_history(campaign)
        return Response(
            {
                **counts,
                "by_status": by_status,
                "live_answers": live,
                "abandoned": abandoned,
                "abandon_rate": kpis.rounded(kpis.outbound_abandon_rate(abandoned, live), 4),
                "max_abandon_rate": float(campaign.max_abandon_rate),
            }
        )

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter("format", str, enum=ExportFormat.values, description="csv (default) or xlsx"),
            OpenApiParameter(
                "file_format", str, enum=ExportFormat.values, description="The same as format (kept for old clients)."
            ),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (400, "application/json"): OpenApiTypes.OBJECT,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[IsStaff],
        renderer_classes=EXPORT_RENDERER_CLASSES,
        content_negotiation_class=ExportNegotiation,
    )
    def export(self, request, pk=None):
        """Results per contact (attempts, last outcome, disposition), streamed. Every export is logged."""
        campaign = self.get_object()
        file_format = _export_format(request)
        results_export.export_check_size(campaign, file_format)
        export = results_export.campaign_export(
            campaign=campaign, file_format=file_format, user=request.user, ip_address=client_ip(request) or None
        )
        return export_response(request, export.rows, file_format=export.file_format, filename=export.filename)


def _export_format(request) -> str:
    """``?format=`` (DRF's format override, the same as everywhere in the API) or the older
    ``?file_format=``; csv when neither (nor an ``Accept`` of a file type) says otherwise."""
    legacy = request.query_params.get("file_format")
    if legacy and legacy not in ExportFormat.values:
        raise ApplicationError(
            "invalid", _("The request has invalid fields."), fields={"file_format": [_("csv or xlsx.")]}
        )
    # ?format= (checked by ExportNegotiation; json is refused here) or Accept; None without either.
    chosen = requested_file_format(request, default="") or None
    if legacy and request.query_params.get("format") and legacy != chosen:
        message = _("format and file_format disagree; give one of them.")
        raise ApplicationError("invalid", message, fields={"format": [message], "file_format": [message]})
    return legacy or chosen or ExportFormat.CSV


class CampaignRetryRulesView(APIView):
    """What follows each outcome or disposition of a campaign; PUT replaces the whole set."""

    permission_classes = [AdminWritesStaffReads]

    @extend_schema(request=None, responses={200: RetryRuleSerializer(many=True)})
    def get(self, request, pk: int):
        campaign = campaign_services.access_campaign(pk)
        rules = CampaignRetryRule.objects.filter(campaign=campaign).select_related("disposition")
        return Response(RetryRuleSerializer(rules, many=True).data)

    @extend_schema(request=RetryRulesRequestSerializer, responses={200: RetryRuleSerializer(many=True)})
    def put(self, request, pk: int):
        campaign = campaign_services.access_campaign(pk)
        data = _valid(RetryRulesRequestSerializer, request)
        rules = campaign_services.retry_rules_set(campaign=campaign, rules=data["rules"])
        return Response(RetryRuleSerializer(rules, many=True).data)


# --- scheduled callbacks ------------------------------------------------------------------------------------------


class ScheduledCallbackSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.name", read_only=True)
    contact_phone = serializers.CharField(source="contact.phone", read_only=True)
    agent = serializers.PrimaryKeyRelatedField(
        queryset=Agent.objects.all(), required=False, allow_null=True, help_text="Empty: any agent."
    )
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all())

    class Meta:
        model = ScheduledCallback
        fields = [
            "id",
            "campaign",
            "contact",
            "contact_name",
            "contact_phone",
            "due_at",
            "agent",
            "note",
            "status",
            "attempt",
            "created_by",
            "created_at",
            "completed_at",
        ]
        read_only_fields = ["id", "campaign", "status", "attempt", "created_by", "created_at", "completed_at"]


class ScheduledCallbackViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Callbacks promised to contacts. Staff see and schedule all; an agent sees their own and may
    schedule one for a contact they spoke to, owned by themselves or by anyone."""

    permission_classes = [HasRole.of(*AT_WORK)]
    serializer_class = ScheduledCallbackSerializer
    filterset_fields = ["campaign", "contact", "agent", "status"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return callbacks_visible_to(self.request.user).order_by("due_at", "id")

    def create(self, request, *args, **kwargs):
        data = _valid(ScheduledCallbackSerializer, request)
        user = request.user
        agent = data.get("agent")
        if not _user_is_staff(user):
            own = Agent.objects.filter(user=user).first()
            if not contacts_visible_to(user).filter(pk=data["contact"].pk).exists():
                raise PermissionDeniedError(
                    "permission_denied", _("You can schedule callbacks only for your own contacts.")
                )
            if agent is not None and (own is None or agent.pk != own.pk):
                raise ApplicationError(
                    "invalid",
                    _("The request has invalid fields."),
                    fields={"agent": [_("Yourself, or nobody for any agent.")]},
                )
        callback = campaign_services.callback_schedule(
            contact=data["contact"], due_at=data["due_at"], agent=agent, note=data.get("note", ""), user=user
        )
        return Response(ScheduledCallbackSerializer(callback).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ScheduledCallbackSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        callback = self.get_object()
        if not _user_is_staff(request.user) and (callback.agent is None or callback.agent.user_id != request.user.pk):
            raise PermissionDeniedError(
                "permission_denied", _("Only the owner or a supervisor can cancel this callback.")
            )
        return Response(ScheduledCallbackSerializer(campaign_services.callback_cancel(callback=callback)).data)


# --- dial attempts -------------------------------------------------------------------------------------------------


class DialAttemptSerializer(serializers.ModelSerializer):
    disposition: serializers.SlugRelatedField[Disposition] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = DialAttempt
        fields = [
            "id",
            "campaign",
            "contact",
            "attempt_no",
            "number",
            "call_uid",
            "outcome",
            "started_at",
            "ended_at",
            "agent",
            "disposition",
            "recovered",
        ]
        read_only_fields = fields


class DialAttemptFilterSet(filters.FilterSet):
    started_after = filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = DialAttempt
        fields = ["campaign", "contact", "outcome", "agent"]


class DialAttemptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every attempt, newest first (an empty ``outcome`` is still dialling)."""

    permission_classes = [IsStaff]
    serializer_class = DialAttemptSerializer
    queryset = DialAttempt.objects.select_related("disposition").order_by("-started_at", "-id")
    filterset_class = DialAttemptFilterSet
    lookup_value_regex = r"\d+"


# --- the tenant's consent policy ---------------------------------------------------------------------------------


class CampaignPolicySerializer(serializers.Serializer):
    marketing_requires_consent = serializers.BooleanField()


@extend_schema(methods=["GET"], request=None, responses={200: CampaignPolicySerializer})
@extend_schema(methods=["PATCH"], request=CampaignPolicySerializer, responses={200: CampaignPolicySerializer})
@api_view(["GET", "PATCH"])
@permission_classes([AdminWritesStaffReads])
def campaign_policy(request):
    """Whether marketing campaigns dial only numbers with recorded consent (the Chinese rule)."""
    if request.method == "PATCH":
        data = _valid(CampaignPolicySerializer, request)
        campaign_services.campaign_policy_set(marketing_requires_consent=data["marketing_requires_consent"])
    return Response({"marketing_requires_consent": campaign_services.marketing_requires_consent()})


__all__ = [
    "CampaignRetryRulesView",
    "CampaignViewSet",
    "DialAttemptViewSet",
    "ScheduledCallbackViewSet",
    "campaign_policy",
]
