"""``POST /api/v1/reports/runs``, ``GET /api/v1/reports/runs/{id}`` and the signed download.

Thin: apps/reports/services/runs.py validates (bad input is ``400 invalid`` with field messages
and creates nothing), queues the Celery task and signs the link. Supervisors and administrators
request runs (QA staff, HR and trainers those of their department's reports); a run is read only by its requester or a tenant administrator (others get 404,
as for a run that does not exist). The download is authorised by its signed link alone.
"""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.api.permissions import HasRole
from apps.reports.models.runs import ReportRun, RunStatus
from apps.reports.services.runs import DOWNLOAD_MAX_AGE, can_read, download_path, run_for_download, run_request

# Everyone but agents may ask for runs; which reports each may run is the report's own
# ``roles`` (the service refuses another, as a report that does not exist): QA staff run the QA
# reports, HR the attendance ones, trainers the training ones.
RUN_ROLES = tuple(role for role in Role.values if role != Role.AGENT)


def run_data(run: ReportRun, request) -> dict:
    data = {
        "id": run.pk,
        "report": run.report_code,
        "format": run.format,
        "params": run.params,
        "status": run.status,
        "error": run.error,
        "size": run.size,
        "filename": run.filename,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "download_url": None,
        "download_expires_in": None,
    }
    if run.status == RunStatus.DONE and run.file:
        data["download_url"] = request.build_absolute_uri(download_path(run))
        data["download_expires_in"] = DOWNLOAD_MAX_AGE
    return data


class ReportRunsView(APIView):
    permission_classes = [HasRole.of(*RUN_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={202: OpenApiTypes.OBJECT})
    def post(self, request):
        """Queue a report file: ``{"report": code, "format": "pdf|csv|xlsx", "since", "until",
        "filters": {"queue": [ids], "agent": [ids], "campaign": [ids], "interval_minutes": 30}}``.
        Answers 202 with the run; poll ``GET /api/v1/reports/runs/{id}``."""
        data = request.data if isinstance(request.data, dict) else {}
        run = run_request(user=request.user, data=data)
        return Response(run_data(run, request), status=status.HTTP_202_ACCEPTED)


class ReportRunView(APIView):
    permission_classes = [HasRole.of(*RUN_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        """The run's status; once ``done``, a signed ``download_url`` valid for an hour."""
        run = ReportRun.objects.filter(pk=pk).first()
        if run is None or not can_read(request.user, run):
            raise NotFound()
        return Response(run_data(run, request))


class ReportRunDownloadView(APIView):
    # The signed link is the authority (it is handed to browsers without the API token).
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, required=True)],
        responses={200: OpenApiTypes.BINARY},
    )
    def get(self, request, pk: int):
        """The run's file. 403 ``link_invalid``/``link_expired`` for a forged, altered, expired
        or another tenant's link; 404 when the run is gone."""
        run = run_for_download(run_id=pk, token=request.query_params.get("token", ""))
        # Like every export (CONTRIBUTING, "Exports"): who asked for the file, from where.
        audit_record(
            action=AuditAction.EXPORT_DOWNLOADED,
            actor=run.requested_by,
            request=request,
            target=run,
            extra={"kind": "report", "report": run.report_code, "format": run.format},
        )
        response = FileResponse(run.file.open("rb"), as_attachment=True, filename=run.filename)
        response["Cache-Control"] = "private, no-store"
        return response
