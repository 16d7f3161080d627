"""Outbound campaigns under /api/v1/: campaigns and their life cycle, retry rules, contact lists
(upload, mapping, progress, error report), contacts, results export, do-not-call, consent,
scheduled callbacks and dial attempts, and the tenant's consent policy.

Roles: administrators manage everything; supervisors read, start, pause and resume campaigns,
add numbers to do-not-call, revoke consent and schedule callbacks; agents see only the contacts
they spoke to and their own callbacks, and schedule callbacks for those contacts. Every write
goes through a service; bad input is a 400 ``{"code", "message", "fields"}`` that changes nothing.
"""

from __future__ import annotations

from django.db.models import Count
from django.http import FileResponse
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
from apps.core.clientip import client_ip
from apps.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from apps.core.exports import export_response
from apps.telephony import kpis
from apps.telephony.choices import ExportFormat
from apps.telephony.models import (
    Agent,
    Campaign,
    CampaignRetryRule,
    Consent,
    Contact,
    ContactList,
    DialAttempt,
    DoNotCall,
    DoNotCallImport,
    ScheduledCallback,
)
from apps.telephony.selectors.campaigns.dialing import (
    abandon_history,
    callbacks_visible_to,
    contact_counts,
    contacts_visible_to,
)
from apps.telephony.selectors.campaigns.dnc import consent_search, dnc_search
from apps.telephony.services.campaigns import contact_import, dnc, import_jobs
from apps.telephony.services.campaigns import lifecycle as campaign_services
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
        extra_kwargs = {name: {"validators": []} for name in CAMPAIGN_SETTINGS}

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
    disposition = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

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
            OpenApiParameter("file_format", str, enum=ExportFormat.values, description="csv (default) or xlsx")
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], permission_classes=[IsStaff])
    def export(self, request, pk=None):
        """Results per contact (attempts, last outcome, disposition), streamed. Every export is logged."""
        campaign = self.get_object()
        # Not ``format``: DRF reserves that query parameter for choosing a renderer.
        file_format = request.query_params.get("file_format") or ExportFormat.CSV
        if file_format not in ExportFormat.values:
            raise ApplicationError(
                "invalid", _("The request has invalid fields."), fields={"file_format": [_("csv or xlsx.")]}
            )
        contact_import.export_check_size(campaign, file_format)
        export = contact_import.campaign_export(
            campaign=campaign, file_format=file_format, user=request.user, ip_address=client_ip(request) or None
        )
        return export_response(request, export.rows, file_format=export.file_format, filename=export.filename)


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


# --- contact lists ------------------------------------------------------------------------------------------


class ContactListSerializer(serializers.ModelSerializer):
    has_error_report = serializers.SerializerMethodField()

    class Meta:
        model = ContactList
        fields = [
            "id",
            "campaign",
            "name",
            "file_format",
            "encoding",
            "columns",
            "sample",
            "mapping",
            "status",
            "error_message",
            "rows_total",
            "rows_processed",
            "rows_imported",
            "rows_invalid",
            "rows_duplicate",
            "rows_dnc",
            "progress_percent",
            "has_error_report",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "rows_checkpoint",
            "attempts",
        ]
        read_only_fields = fields

    def get_has_error_report(self, contact_list: ContactList) -> bool:
        return bool(contact_list.error_report)


class ContactListUploadSerializer(serializers.Serializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    file = serializers.FileField(allow_empty_file=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    mapping = serializers.JSONField(
        required=False, help_text='Optional {"column": "phone"|"name"|"time_zone"|"email"|"external_id"|"custom.<key>"}'
    )


class MappingSerializer(serializers.Serializer):
    mapping = serializers.JSONField()


class ContactListViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Upload (multipart: ``campaign``, ``file``, optional ``name`` and ``mapping``), then confirm the
    mapping with ``POST …/import``; poll the list for ``status`` and the counters."""

    permission_classes = [AdminWritesStaffReads]
    serializer_class = ContactListSerializer
    queryset = ContactList.objects.order_by("-created_at", "-id")
    filterset_fields = ["campaign", "status"]
    lookup_value_regex = r"\d+"

    @extend_schema(request={"multipart/form-data": ContactListUploadSerializer}, responses={201: ContactListSerializer})
    def create(self, request, *args, **kwargs):
        data = _valid(ContactListUploadSerializer, request)
        contact_list = contact_import.contact_list_upload(
            campaign=data["campaign"],
            upload=data["file"],
            name=data.get("name", ""),
            mapping=data.get("mapping"),
            user=request.user,
        )
        return Response(ContactListSerializer(contact_list).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        contact_import.contact_list_delete(contact_list=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MappingSerializer, responses={202: ContactListSerializer})
    @action(detail=True, methods=["post"], url_path="import")
    def start_import(self, request, pk=None):
        """Confirm the column mapping and queue the import."""
        data = _valid(MappingSerializer, request)
        contact_list = contact_import.contact_list_start(contact_list=self.get_object(), mapping=data["mapping"])
        return Response(ContactListSerializer(contact_list).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], permission_classes=[IsStaff])
    def errors(self, request, pk=None):
        """The rows the import rejected: row number, value, reason (CSV)."""
        source = self.get_object()
        return _report_response(request, source, source.error_report, f"contact-list-{pk}-errors.csv")

    def get_object(self):
        return import_jobs.import_job_refresh(super().get_object())

    @extend_schema(request=None, responses={202: ContactListSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a stalled or failed import again; it resumes after the last committed row."""
        contact_list = import_jobs.import_job_retry(job=self.get_object())
        return Response(ContactListSerializer(contact_list).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: ContactListSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Stop a queued, running or stalled import; contacts already imported stay."""
        contact_list = import_jobs.import_job_cancel(job=self.get_object())
        return Response(ContactListSerializer(contact_list).data)


def _report_response(request, source, field_file, filename: str) -> FileResponse:
    if not field_file:
        raise NotFoundError("not_found", _("There is no error report: every row was accepted."))
    contact_import.error_report_downloaded(source=source, user=request.user)
    return FileResponse(field_file.open("rb"), as_attachment=True, filename=filename, content_type="text/csv")


# --- contacts ---------------------------------------------------------------------------------------------------


class ContactFilterSet(filters.FilterSet):
    phone = filters.CharFilter(method="filter_phone")

    class Meta:
        model = Contact
        fields = ["campaign", "contact_list", "status", "last_outcome", "owner_agent"]

    def filter_phone(self, queryset, name, value):
        number = dnc.normalize_number(value) if value else None
        return queryset.filter(phone=number or value)


class ContactSerializer(serializers.ModelSerializer):
    last_disposition = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "campaign",
            "contact_list",
            "name",
            "phone",
            "time_zone",
            "email",
            "external_id",
            "data",
            "status",
            "attempts",
            "next_attempt_at",
            "priority",
            "last_attempt_at",
            "last_outcome",
            "last_disposition",
            "owner_agent",
            "created_at",
        ]
        read_only_fields = fields


class ContactDetailSerializer(ContactSerializer):
    script = serializers.SerializerMethodField(help_text="The campaign's agent script filled in for this contact.")

    class Meta(ContactSerializer.Meta):
        fields = [*ContactSerializer.Meta.fields, "script"]
        read_only_fields = fields

    def get_script(self, contact: Contact) -> str:
        return campaign_services.script_render(contact.campaign.script, contact)


class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contacts with their state in the campaign. Agents see the contacts they spoke to or owe a callback."""

    permission_classes = [HasRole.of(*AT_WORK)]
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return contacts_visible_to(self.request.user).order_by("id")

    def get_serializer_class(self):
        return ContactDetailSerializer if self.action == "retrieve" else ContactSerializer


# --- do-not-call --------------------------------------------------------------------------------------------------


class DoNotCallSerializer(serializers.ModelSerializer):
    class Meta:
        model = DoNotCall
        fields = ["id", "number", "campaign", "reason", "source", "added_by", "created_at"]
        read_only_fields = ["id", "source", "added_by", "created_at"]
        extra_kwargs = {"number": {"validators": []}}


class DoNotCallFilterSet(filters.FilterSet):
    number = filters.CharFilter(method="filter_number")
    tenant_wide = filters.BooleanFilter(field_name="campaign", lookup_expr="isnull")

    class Meta:
        model = DoNotCall
        fields = ["campaign", "source"]

    def filter_number(self, queryset, name, value):
        """The lists' page search (selectors/campaigns/dnc.py): a whole number exactly, else digits."""
        return dnc_search(value, queryset)


class DoNotCallViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Do-not-call entries: tenant-wide (no ``campaign``) or per campaign. Supervisors may add a
    number (a complaint cannot wait); only administrators remove one."""

    permission_classes = [HasRole.of(*STAFF)]
    serializer_class = DoNotCallSerializer
    queryset = DoNotCall.objects.order_by("-created_at", "-id")
    filterset_class = DoNotCallFilterSet
    lookup_value_regex = r"\d+"

    def get_permissions(self):
        if self.action == "destroy":
            return [IsAdmin()]
        return super().get_permissions()

    def create(self, request, *args, **kwargs):
        data = _valid(DoNotCallSerializer, request)
        entry, created = dnc.dnc_add(
            number=data["number"],
            campaign=data.get("campaign"),
            reason=data.get("reason", ""),
            source="api" if request.auth else "manual",
            user=request.user,
        )
        return Response(
            DoNotCallSerializer(entry).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def destroy(self, request, *args, **kwargs):
        dnc.dnc_remove(entry=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class DoNotCallImportSerializer(serializers.ModelSerializer):
    has_error_report = serializers.SerializerMethodField()

    class Meta:
        model = DoNotCallImport
        fields = [
            "id",
            "campaign",
            "file_format",
            "column",
            "reason",
            "status",
            "error_message",
            "rows_processed",
            "rows_added",
            "rows_invalid",
            "rows_duplicate",
            "has_error_report",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "rows_checkpoint",
            "attempts",
        ]
        read_only_fields = fields

    def get_has_error_report(self, dnc_import: DoNotCallImport) -> bool:
        return bool(dnc_import.error_report)


class DoNotCallUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all(), required=False, allow_null=True)
    column = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class DoNotCallImportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Files of numbers for a do-not-call list, imported in the background."""

    permission_classes = [AdminWritesStaffReads]
    serializer_class = DoNotCallImportSerializer
    queryset = DoNotCallImport.objects.order_by("-created_at", "-id")
    lookup_value_regex = r"\d+"

    @extend_schema(
        request={"multipart/form-data": DoNotCallUploadSerializer}, responses={201: DoNotCallImportSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = _valid(DoNotCallUploadSerializer, request)
        dnc_import = contact_import.dnc_import_upload(
            upload=data["file"],
            campaign=data.get("campaign"),
            column=data.get("column", ""),
            reason=data.get("reason", ""),
            user=request.user,
        )
        return Response(DoNotCallImportSerializer(dnc_import).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], permission_classes=[IsStaff])
    def errors(self, request, pk=None):
        source = self.get_object()
        return _report_response(request, source, source.error_report, f"dnc-import-{pk}-errors.csv")

    def get_object(self):
        return import_jobs.import_job_refresh(super().get_object())

    @extend_schema(request=None, responses={202: DoNotCallImportSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a stalled or failed import again; it resumes after the last committed row."""
        dnc_import = import_jobs.import_job_retry(job=self.get_object())
        return Response(DoNotCallImportSerializer(dnc_import).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: DoNotCallImportSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Stop a queued, running or stalled import; numbers already added stay."""
        dnc_import = import_jobs.import_job_cancel(job=self.get_object())
        return Response(DoNotCallImportSerializer(dnc_import).data)


# --- consent ------------------------------------------------------------------------------------------------------


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = ["id", "number", "source", "granted_at", "revoked_at", "revoke_reason", "added_by", "created_at"]
        read_only_fields = ["id", "revoked_at", "revoke_reason", "added_by", "created_at"]
        extra_kwargs = {"granted_at": {"required": False}}


class ConsentFilterSet(filters.FilterSet):
    number = filters.CharFilter(method="filter_number")
    active = filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull")

    class Meta:
        model = Consent
        fields = ["number"]

    def filter_number(self, queryset, name, value):
        """The consents page's search (selectors/campaigns/dnc.py): a whole number exactly, else digits."""
        return consent_search(value, queryset)


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ConsentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Marketing consent records. Administrators record consent; supervisors may also revoke it."""

    permission_classes = [AdminWritesStaffReads]
    serializer_class = ConsentSerializer
    queryset = Consent.objects.order_by("-granted_at", "-id")
    filterset_class = ConsentFilterSet
    lookup_value_regex = r"\d+"

    def create(self, request, *args, **kwargs):
        data = _valid(ConsentSerializer, request)
        consent = dnc.consent_record(
            number=data["number"], source=data["source"], granted_at=data.get("granted_at"), user=request.user
        )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RevokeSerializer, responses={200: ConsentSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def revoke(self, request, pk=None):
        data = _valid(RevokeSerializer, request)
        consent = dnc.consent_revoke(consent=self.get_object(), reason=data["reason"])
        return Response(ConsentSerializer(consent).data)


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
    disposition = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

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
    "ConsentViewSet",
    "ContactListViewSet",
    "ContactViewSet",
    "DialAttemptViewSet",
    "DoNotCallImportViewSet",
    "DoNotCallViewSet",
    "ScheduledCallbackViewSet",
    "campaign_policy",
]
