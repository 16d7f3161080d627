"""Outbound campaign pages of the console (/console/campaigns/, namespace "campaigns"): campaigns and
their settings, start/pause/resume/stop, contact lists (upload, column mapping, import progress,
error report), results export, the live monitor, do-not-call, consent and scheduled callbacks.

Administrators do everything; supervisors see every page, start, pause and resume campaigns, add
numbers to do-not-call, revoke consent and cancel callbacks — the same split as the REST API
(apps/telephony/api/campaigns.py, contacts.py, dnc.py). Views validate, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.clientip import client_ip
from apps.core.errors import ApplicationError
from apps.core.exports import export_response
from apps.core.forms import apply_error
from apps.telephony.choices import (
    AgentState,
    CampaignStatus,
    ContactListStatus,
    ExportFormat,
    ScheduledCallbackStatus,
)
from apps.telephony.forms.campaigns import (
    CallbackFilterForm,
    CampaignForm,
    ConsentForm,
    ConsentSearchForm,
    ContactListUploadForm,
    DncAddForm,
    DncImportForm,
    DncSearchForm,
    MappingForm,
    PolicyForm,
    RevokeForm,
    RulesForm,
)
from apps.telephony.models import (
    Campaign,
    Consent,
    ContactList,
    DoNotCall,
    DoNotCallImport,
    ScheduledCallback,
)
from apps.telephony.selectors.campaigns.dialing import contact_counts
from apps.telephony.selectors.campaigns.dnc import consent_search, dnc_search
from apps.telephony.selectors.campaigns.monitor import campaign_monitor_snapshot
from apps.telephony.selectors.campaigns.pages import (
    campaign_attempt_figures,
    campaign_rows,
    campaign_variables,
    campaigns_open,
    disposition_rules,
    outcome_rules,
    script_preview,
)
from apps.telephony.services.campaigns import contact_import, dnc, import_files, import_jobs, results_export
from apps.telephony.services.campaigns import lifecycle as campaign_services
from apps.telephony.services.campaigns.dnc_import import dnc_import_upload

STAFF = (Role.TENANT_ADMIN, Role.SUPERVISOR)
staff_only = role_required(*STAFF)
admin_only = role_required(Role.TENANT_ADMIN)
PAGE_SIZE = 50
ACTIONS = ("start", "pause", "resume", "stop")
#: Stopping is final: only administrators may (as in the API).
ADMIN_ACTIONS = ("stop",)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _is_admin(request) -> bool:
    return request.user.has_role(Role.TENANT_ADMIN)


def _error_text(error: ApplicationError) -> str:
    """The message with the field messages, for a flash message."""
    details = " ".join(str(message) for messages_ in error.fields.values() for message in messages_)
    return f"{error.message} {details}".strip()


def _flash(request, call: Callable[[], object], success: str) -> bool:
    """Run one service call and say how it went: its error's text, or ``success``. The button views
    (retry, cancel, delete, revoke) then redirect whatever happened."""
    try:
        call()
    except ApplicationError as error:
        messages.error(request, _error_text(error))
        return False
    messages.success(request, success)
    return True


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _campaign(pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("queue", "trunk"), pk=pk)


# --- campaigns ----------------------------------------------------------------------------------------


@staff_only
def campaign_list(request):
    context = {"rows": campaign_rows(), "can_edit": _is_admin(request)}
    return render(request, "telephony/campaigns/list.html", context)


def _rules_form(request, campaign: Campaign | None) -> RulesForm:
    return RulesForm(
        request.POST if request.method == "POST" else None,
        prefix="rules",
        outcome_rows=outcome_rules(campaign),
        disposition_rows=disposition_rules(campaign),
    )


def _edit_page(request, campaign: Campaign | None):
    """Create (``campaign`` None) or edit: settings and retry rules, saved together or not at all."""
    if campaign is None:
        blank = Campaign(default_time_zone=getattr(request.tenant, "time_zone", "") or "Asia/Shanghai")
        initial = CampaignForm.initial_of(blank) | {"queue": None}
    else:
        initial = CampaignForm.initial_of(campaign)
    form = CampaignForm(request.POST or None, initial=initial)
    rules_form = _rules_form(request, campaign)
    status = 200
    if request.method == "POST":
        if form.is_valid() and rules_form.is_valid():
            try:
                saved = campaign_services.campaign_save(
                    campaign=campaign, data=form.service_data(), rules=rules_form.rules(), user=request.user
                )
            except ApplicationError as error:
                settings_errors = {k: v for k, v in error.fields.items() if not k.startswith("rules[")}
                placed = rules_form.add_service_errors(error.fields)
                if settings_errors or not placed:
                    apply_error(form, ApplicationError(error.code, error.message, fields=settings_errors))
            else:
                messages.success(request, _("Campaign saved."))
                for problem in campaign_services.campaign_start_problems(saved):
                    messages.warning(request, _("Before it can start: %(problem)s") % {"problem": problem})
                return redirect("campaigns:detail", pk=saved.pk)
        status = 400
    context = {
        "campaign": campaign,
        "form": form,
        "rules": rules_form.table(),
        "rules_form": rules_form,
        "variables": campaign_variables(campaign),
        "preview": script_preview(form["script"].value() or "", campaign),
    }
    return render(request, "telephony/campaigns/form.html", context, status=status)


@admin_only
def campaign_create(request):
    return _edit_page(request, None)


@admin_only
def campaign_edit(request, pk: int):
    campaign = _campaign(pk)
    if campaign.status == CampaignStatus.FINISHED:
        messages.error(request, _("A finished campaign cannot be changed."))
        return redirect("campaigns:detail", pk=campaign.pk)
    return _edit_page(request, campaign)


@require_POST
@admin_only
def script_preview_view(request):
    """The script rendered against a sample contact (htmx, from the campaign form)."""
    campaign = None
    campaign_id = request.POST.get("campaign", "")
    if campaign_id.isdigit():
        campaign = Campaign.objects.filter(pk=int(campaign_id)).first()
    script = request.POST.get("script", "")[: campaign_services.TEXT_MAX]
    context = {
        "preview": script_preview(script, campaign),
        "script_errors": campaign_services.script_errors(script),
        "variables": campaign_variables(campaign),
    }
    return render(request, "telephony/campaigns/_script_preview.html", context)


@staff_only
def campaign_detail(request, pk: int):
    return _campaign_page(request, _campaign(pk))


def _campaign_page(request, campaign: Campaign, *, upload_form: ContactListUploadForm | None = None, status=200):
    lists = list(ContactList.objects.filter(campaign=campaign).order_by("-created_at", "-id"))
    context = {
        "campaign": campaign,
        "counts": contact_counts(campaign.pk),
        "attempts": campaign_attempt_figures(campaign),
        "lists": lists,
        "upload_form": upload_form or ContactListUploadForm(prefix="upload"),
        "is_admin": _is_admin(request),
        "outcome_rules": outcome_rules(campaign),
        "disposition_rules": disposition_rules(campaign),
        "callbacks_pending": ScheduledCallback.objects.filter(
            campaign=campaign, status=ScheduledCallbackStatus.PENDING
        ).count(),
        "export_formats": ExportFormat.choices,
    }
    return render(request, "telephony/campaigns/detail.html", context, status=status)


@require_POST
@staff_only
def campaign_action(request, pk: int, action: str):
    """Start, pause, resume or stop; back to where the button was (the page or the monitor)."""
    if action not in ACTIONS:
        raise Http404
    if action in ADMIN_ACTIONS and not _is_admin(request):
        messages.error(request, _("Only an administrator can stop a campaign."))
        return redirect("campaigns:detail", pk=pk)
    campaign = _campaign(pk)
    labels = {
        "start": _("Campaign started."),
        "pause": _("Campaign paused."),
        "resume": _("Campaign resumed."),
        "stop": _("Campaign stopped."),
    }
    _flash(
        request,
        lambda: campaign_services.campaign_transition(campaign=campaign, action=action, user=request.user),
        labels[action],
    )
    target = request.POST.get("next", "")
    if target == "monitor":
        return redirect("campaigns:monitor", pk=campaign.pk)
    return redirect("campaigns:detail", pk=campaign.pk)


@require_POST
@admin_only
def campaign_delete(request, pk: int):
    campaign = _campaign(pk)
    if not _flash(request, lambda: campaign_services.campaign_delete(campaign=campaign), _("Campaign deleted.")):
        return redirect("campaigns:detail", pk=campaign.pk)
    return redirect("campaigns:list")


@require_GET
@staff_only
def campaign_export(request, pk: int, file_format: str):
    """Results per contact as CSV or XLSX; every export is logged (who, when, from where)."""
    campaign = _campaign(pk)
    if file_format not in ExportFormat.values:
        raise Http404
    try:
        results_export.export_check_size(campaign, file_format)
    except ApplicationError as error:
        messages.error(request, _error_text(error))
        return redirect("campaigns:detail", pk=campaign.pk)
    export = results_export.campaign_export(
        campaign=campaign, file_format=file_format, user=request.user, ip_address=client_ip(request) or None
    )
    return export_response(request, export.rows, file_format=export.file_format, filename=export.filename)


# --- contact lists --------------------------------------------------------------------------------------


@require_POST
@admin_only
def contact_list_upload(request, pk: int):
    """Store the file and read its header; the mapping step comes next."""
    campaign = _campaign(pk)
    form = ContactListUploadForm(request.POST, request.FILES, prefix="upload")
    if not form.is_valid():
        return _campaign_page(request, campaign, upload_form=form, status=400)
    try:
        contact_list = contact_import.contact_list_upload(
            campaign=campaign, upload=form.cleaned_data["file"], name=form.cleaned_data["name"], user=request.user
        )
    except ApplicationError as error:
        apply_error(form, error)
        return _campaign_page(request, campaign, upload_form=form, status=400)
    return redirect("campaigns:contact_list", pk=contact_list.pk)


def _contact_list(pk: int) -> ContactList:
    return import_jobs.import_job_refresh(get_object_or_404(ContactList.objects.select_related("campaign"), pk=pk))


@require_POST
@admin_only
def contact_list_retry(request, pk: int):
    """Queue a stalled or failed import again (it resumes after the last committed row)."""
    _flash(request, lambda: import_jobs.import_job_retry(job=_contact_list(pk)), _("Import queued again."))
    return redirect("campaigns:contact_list", pk=pk)


@require_POST
@admin_only
def contact_list_cancel(request, pk: int):
    cancelled = _("Import cancelled; the contacts imported so far stay.")
    _flash(request, lambda: import_jobs.import_job_cancel(job=_contact_list(pk)), cancelled)
    return redirect("campaigns:contact_list", pk=pk)


@staff_only
def contact_list_detail(request, pk: int):
    """The column mapping (while the list waits for one), then the import's progress and results."""
    contact_list = _contact_list(pk)
    if request.method == "POST" and not _is_admin(request):
        raise PermissionDenied
    mapping_open = contact_list.status in (ContactListStatus.UPLOADED, ContactListStatus.FAILED)
    form = None
    status = 200
    if mapping_open and _is_admin(request):  # supervisors see the progress only
        form = MappingForm(
            request.POST if request.method == "POST" else None,
            columns=contact_list.columns,
            mapping=contact_list.mapping or {},
            sample=contact_list.sample or [],
            prefix="map",
        )
        if request.method == "POST" and form.is_valid():
            try:
                contact_import.contact_list_start(contact_list=contact_list, mapping=form.mapping())
            except ApplicationError as error:
                for message in error.fields.get("mapping", []) or [error.message]:
                    form.add_error(None, str(message))
                status = 400
            else:
                messages.success(request, _("Import started."))
                return redirect("campaigns:contact_list", pk=contact_list.pk)
        elif request.method == "POST":
            status = 400
    elif request.method == "POST":
        messages.error(request, _("This list is already imported or being imported."))
        return redirect("campaigns:contact_list", pk=contact_list.pk)
    context = {
        "contact_list": contact_list,
        "campaign": contact_list.campaign,
        "form": form,
        "is_admin": _is_admin(request),
    }
    return render(request, "telephony/campaigns/contact_list.html", context, status=status)


@require_GET
@staff_only
def contact_list_progress(request, pk: int):
    """The progress bar and counters (htmx polls this while the import runs)."""
    contact_list = _contact_list(pk)
    context = {"contact_list": contact_list, "is_admin": _is_admin(request)}
    return render(request, "telephony/campaigns/_list_progress.html", context)


def _report(request, source: ContactList | DoNotCallImport, name: str) -> FileResponse:
    """An import's rejected rows as ``<name>-<pk>-errors.csv``, audited (they hold the uploader's numbers)."""
    if not source.error_report:
        raise Http404
    import_files.error_report_downloaded(source=source, user=request.user)
    return FileResponse(
        source.error_report.open("rb"),
        as_attachment=True,
        filename=f"{name}-{source.pk}-errors.csv",
        content_type="text/csv",
    )


@require_GET
@staff_only
def contact_list_errors(request, pk: int):
    return _report(request, _contact_list(pk), "contact-list")


@require_POST
@admin_only
def contact_list_delete(request, pk: int):
    contact_list = _contact_list(pk)
    campaign_id = contact_list.campaign_id
    _flash(request, lambda: contact_import.contact_list_delete(contact_list=contact_list), _("Contact list deleted."))
    return redirect("campaigns:detail", pk=campaign_id)


# --- the monitor ---------------------------------------------------------------------------------------


def _monitor_labels() -> dict[str, Any]:
    return {
        "connected": _("Live"),
        "disconnected": _("Reconnecting…"),
        "polling": _("Refreshing from the database"),
        "none": "—",
        "warming_up": _("Warming up: dialing progressively until the answer rate is known"),
    }


@staff_only
def campaign_monitor(request, pk: int):
    campaign = _campaign(pk)
    context = {
        "campaign": campaign,
        "snapshot": campaign_monitor_snapshot(campaign),
        "agent_state_labels": AgentState.choices,
        "is_admin": _is_admin(request),
        "labels": _monitor_labels(),
        "config": {"ws": "/ws/wallboard/", "campaign_id": campaign.pk},
    }
    return render(request, "telephony/campaigns/monitor.html", context)


@require_GET
@staff_only
def campaign_monitor_figures(request, pk: int):
    """The figures alone: the first render's partial, polled when no live message arrives."""
    campaign = _campaign(pk)
    context = {
        "campaign": campaign,
        "snapshot": campaign_monitor_snapshot(campaign),
        "agent_state_labels": AgentState.choices,
        "is_admin": _is_admin(request),
        "oob": True,  # the status and the buttons beside the title follow too
    }
    return render(request, "telephony/campaigns/_monitor_figures.html", context)


# --- do-not-call ----------------------------------------------------------------------------------------


@staff_only
def dnc_list(request):
    """Search the lists, add a number (supervisors too), import a file and remove entries (administrators)."""
    return _dnc_page(request)


def _dnc_page(request, *, import_form: DncImportForm | None = None, status: int = 200):
    campaigns = campaigns_open()
    search = DncSearchForm(request.GET or None, campaigns=campaigns)
    posted = request.method == "POST" and import_form is None
    add_form = DncAddForm(request.POST if posted else None, campaigns=campaigns, prefix="add")
    if posted:
        if add_form.is_valid():
            data = add_form.cleaned_data
            campaign = Campaign.objects.filter(pk=data["campaign"]).first() if data["campaign"] else None
            try:
                entry, created = dnc.dnc_add(
                    number=data["number"], campaign=campaign, reason=data["reason"], user=request.user
                )
            except ApplicationError as error:
                apply_error(add_form, error)
                status = 400
            else:
                if created:
                    messages.success(request, _("%(number)s added to the do-not-call list.") % {"number": entry.number})
                else:
                    messages.success(request, _("%(number)s was already on that list.") % {"number": entry.number})
                return redirect("campaigns:dnc")
        else:
            status = 400
    entries = DoNotCall.objects.select_related("campaign", "added_by").order_by("-created_at", "-id")
    if search.is_valid():
        entries = dnc_search(search.cleaned_data["q"], entries)
        scope = search.cleaned_data["scope"]
        if scope == "tenant":
            entries = entries.filter(campaign__isnull=True)
        elif scope:
            entries = entries.filter(campaign_id=int(scope))
    context = {
        "search": search,
        "add_form": add_form,
        "import_form": import_form or DncImportForm(campaigns=campaigns, prefix="import"),
        "page": _page(request, entries),
        "query": _query_without_page(request),
        **_dnc_imports(request),
        "is_admin": _is_admin(request),
    }
    return render(request, "telephony/campaigns/dnc.html", context, status=status)


def _dnc_imports(request) -> dict[str, Any]:
    imports = [
        import_jobs.import_job_refresh(item)
        for item in DoNotCallImport.objects.select_related("campaign").order_by("-created_at", "-id")[:10]
    ]
    running = any(item.status in (ContactListStatus.QUEUED, ContactListStatus.IMPORTING) for item in imports)
    return {"imports": imports, "imports_running": running, "is_admin": _is_admin(request)}


@require_POST
@admin_only
def dnc_import(request):
    form = DncImportForm(request.POST, request.FILES, campaigns=campaigns_open(), prefix="import")
    if not form.is_valid():
        return _dnc_page(request, import_form=form, status=400)
    data = form.cleaned_data
    campaign = Campaign.objects.filter(pk=data["campaign"]).first() if data["campaign"] else None
    try:
        dnc_import_upload(
            upload=data["file"], campaign=campaign, column=data["column"], reason=data["reason"], user=request.user
        )
    except ApplicationError as error:
        apply_error(form, error)
        return _dnc_page(request, import_form=form, status=400)
    messages.success(request, _("Import started."))
    return redirect("campaigns:dnc")


@require_GET
@staff_only
def dnc_imports(request):
    """The recent imports' table (htmx polls it while one runs)."""
    return render(request, "telephony/campaigns/_dnc_imports.html", _dnc_imports(request))


def _dnc_import_job(pk: int) -> DoNotCallImport:
    return get_object_or_404(DoNotCallImport, pk=pk)


@require_POST
@admin_only
def dnc_import_retry(request, pk: int):
    _flash(request, lambda: import_jobs.import_job_retry(job=_dnc_import_job(pk)), _("Import queued again."))
    return redirect("campaigns:dnc")


@require_POST
@admin_only
def dnc_import_cancel(request, pk: int):
    cancelled = _("Import cancelled; the numbers added so far stay.")
    _flash(request, lambda: import_jobs.import_job_cancel(job=_dnc_import_job(pk)), cancelled)
    return redirect("campaigns:dnc")


@require_GET
@staff_only
def dnc_import_errors(request, pk: int):
    return _report(request, _dnc_import_job(pk), "dnc-import")


@require_POST
@admin_only
def dnc_delete(request, pk: int):
    entry = get_object_or_404(DoNotCall, pk=pk)
    number = entry.number
    dnc.dnc_remove(entry=entry)
    messages.success(request, _("%(number)s removed from the do-not-call list.") % {"number": number})
    return redirect("campaigns:dnc")


# --- consent --------------------------------------------------------------------------------------------


@staff_only
def consents(request):
    """Marketing consent records and the tenant's consent policy; administrators record and set them."""
    is_admin = _is_admin(request)
    form = ConsentForm(request.POST if request.method == "POST" else None, prefix="consent")
    status = 200
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            granted_at = data["granted_at"]
            if granted_at is not None and timezone.is_naive(granted_at):
                granted_at = timezone.make_aware(granted_at)
            try:
                dnc.consent_record(
                    number=data["number"], source=data["source"], granted_at=granted_at, user=request.user
                )
            except ApplicationError as error:
                apply_error(form, error)
                status = 400
            else:
                messages.success(request, _("Consent recorded."))
                return redirect("campaigns:consents")
        else:
            status = 400
    search = ConsentSearchForm(request.GET or None)
    records = Consent.objects.select_related("added_by").order_by("-granted_at", "-id")
    if search.is_valid():
        records = consent_search(search.cleaned_data["q"], records)
        if search.cleaned_data["active"] == "1":
            records = records.filter(revoked_at__isnull=True)
        elif search.cleaned_data["active"] == "0":
            records = records.filter(revoked_at__isnull=False)
    context = {
        "form": form,
        "search": search,
        "page": _page(request, records),
        "query": _query_without_page(request),
        "policy_form": PolicyForm(
            initial={"marketing_requires_consent": campaign_services.marketing_requires_consent()}, prefix="policy"
        ),
        "requires_consent": campaign_services.marketing_requires_consent(),
        "revoke_form": RevokeForm(prefix="revoke"),
        "is_admin": is_admin,
    }
    return render(request, "telephony/campaigns/consents.html", context, status=status)


@require_POST
@admin_only
def consent_policy(request):
    form = PolicyForm(request.POST, prefix="policy")
    form.is_valid()  # a checkbox: always valid
    value = bool(form.cleaned_data.get("marketing_requires_consent"))
    campaign_services.campaign_policy_set(marketing_requires_consent=value)
    if value:
        messages.success(request, _("Marketing campaigns now dial only numbers with consent."))
    else:
        messages.success(request, _("Marketing campaigns now dial without checking consent."))
    return redirect("campaigns:consents")


@require_POST
@staff_only
def consent_revoke(request, pk: int):
    consent = get_object_or_404(Consent, pk=pk)
    form = RevokeForm(request.POST, prefix="revoke")
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _flash(request, lambda: dnc.consent_revoke(consent=consent, reason=reason), _("Consent revoked."))
    return redirect("campaigns:consents")


# --- scheduled callbacks ----------------------------------------------------------------------------


@staff_only
def callbacks(request):
    campaigns = list(Campaign.objects.order_by("name"))
    params = request.GET.copy()
    if "status" not in params:
        params["status"] = ScheduledCallbackStatus.PENDING
    form = CallbackFilterForm(params, campaigns=campaigns, statuses=list(ScheduledCallbackStatus.choices))
    rows = ScheduledCallback.objects.select_related("contact", "campaign", "agent__user", "created_by").order_by(
        "due_at", "id"
    )
    if form.is_valid():
        if form.cleaned_data["status"]:
            rows = rows.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["campaign"]:
            rows = rows.filter(campaign_id=int(form.cleaned_data["campaign"]))
    context = {
        "form": form,
        "page": _page(request, rows),
        "query": _query_without_page(request),
        "now": timezone.now(),
    }
    return render(request, "telephony/campaigns/callbacks.html", context)


@require_POST
@staff_only
def callback_cancel(request, pk: int):
    callback = get_object_or_404(ScheduledCallback, pk=pk)
    _flash(request, lambda: campaign_services.callback_cancel(callback=callback), _("Callback cancelled."))
    return redirect("campaigns:callbacks")


__all__ = [
    "callback_cancel",
    "callbacks",
    "campaign_action",
    "campaign_create",
    "campaign_delete",
    "campaign_detail",
    "campaign_edit",
    "campaign_export",
    "campaign_list",
    "campaign_monitor",
    "campaign_monitor_figures",
    "consent_policy",
    "consent_revoke",
    "consents",
    "contact_list_cancel",
    "contact_list_delete",
    "contact_list_detail",
    "contact_list_errors",
    "contact_list_progress",
    "contact_list_retry",
    "contact_list_upload",
    "dnc_delete",
    "dnc_import",
    "dnc_import_cancel",
    "dnc_import_errors",
    "dnc_import_retry",
    "dnc_imports",
    "dnc_list",
    "script_preview_view",
]
