"""The actions every background import job has in the API — its error report, retry and cancel —
shared by contact lists (:mod:`apps.telephony.api.contacts`) and do-not-call imports
(:mod:`apps.telephony.api.dnc`), as the two share one job machinery (services/campaigns/import_jobs.py)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.errors import NotFoundError
from apps.telephony.api.campaigns import IsStaff
from apps.telephony.models import ContactList, DoNotCallImport
from apps.telephony.services.campaigns import import_files, import_jobs


def error_report_response(request, source, field_file, filename: str) -> FileResponse:
    """The rejected rows of an import as a CSV download, audited (they hold the uploader's numbers
    and names)."""
    if not field_file:
        raise NotFoundError("not_found", _("There is no error report: every row was accepted."))
    import_files.error_report_downloaded(source=source, user=request.user)
    return FileResponse(field_file.open("rb"), as_attachment=True, filename=filename, content_type="text/csv")


#: The job's fields every import serializer ends with (after its own counters).
JOB_FIELDS = [
    "has_error_report",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
    "heartbeat_at",
    "rows_checkpoint",
    "attempts",
]


# An import job, read only: its own fields (``Meta.fields``) then JOB_FIELDS. A comment, not a
# docstring: the schema would show it as every import serializer's description.
class ImportJobSerializer(serializers.ModelSerializer):
    has_error_report = serializers.SerializerMethodField()

    def get_has_error_report(self, job: ContactList | DoNotCallImport) -> bool:
        return bool(job.error_report)


class ImportJobActionsMixin:
    """``errors``, ``retry`` and ``cancel`` on a viewset of import jobs. The jobs are refreshed on
    read so that a stalled one shows as stalled. Each viewset names its report's file
    (``error_report_name``) and gives retry and cancel their response schemas (``extend_schema_view``):
    the response is the viewset's own serializer."""

    error_report_name: str

    def get_object(self) -> Any:
        return import_jobs.import_job_refresh(super().get_object())  # type: ignore[misc]

    @extend_schema(request=None, responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], permission_classes=[IsStaff])
    def errors(self, request, pk=None):
        """The rows the import rejected: row number, value, reason (CSV)."""
        source = self.get_object()
        return error_report_response(request, source, source.error_report, f"{self.error_report_name}-{pk}-errors.csv")

    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a stalled or failed import again; it resumes after the last committed row."""
        job = import_jobs.import_job_retry(job=self.get_object())
        return Response(self.get_serializer_class()(job).data, status=status.HTTP_202_ACCEPTED)  # type: ignore[attr-defined]

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Stop a queued, running or stalled import; what was imported so far stays (each viewset says what)."""
        job = import_jobs.import_job_cancel(job=self.get_object())
        return Response(self.get_serializer_class()(job).data)  # type: ignore[attr-defined]


__all__ = ["JOB_FIELDS", "ImportJobActionsMixin", "ImportJobSerializer", "error_report_response"]
