"""CSV and XLSX as DRF renderers, so that ``?format=csv|xlsx`` (DRF's URL format override) means
"this table as a file" wherever an API view offers it (docs/decisions/0020-format-renderers-and-streaming.md).

A view opts in with ``renderer_classes = EXPORT_RENDERER_CLASSES`` (or by mixing in
:class:`ExportFormatMixin`, which also answers an unknown ``format`` with a 400 instead of DRF's
404). The renderers write what the view's ``Response`` holds — a list of dicts, or a dict whose
``"results"`` or ``"rows"`` is that list — in the order of ``view.export_columns`` (a list of
``(key, label)``) when the view has it, else in the order of the first row's keys. Every cell goes
through :func:`apps.core.exports.safe_cell` (CSV/formula injection), nested values are written as
JSON text, and the file is named by ``view.export_filename`` (a string, or a callable taking the
extension).

They render data that is already in memory (a KPI table, a month's billing lines). An export of
millions of rows streams instead: its view still lists these renderers (so the format is
negotiated the same way and the OpenAPI schema shows the media types) but answers a
``StreamingHttpResponse`` built with :func:`apps.core.exports.export_response` or its own
generator — see ``apps/telephony/api/calls_export.py``.

An error is never a file: when the response is a 4xx/5xx (a 400 for a bad ``since``, a 403), the
renderer writes JSON with ``Content-Type: application/json``, whatever format was asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, cast

from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from rest_framework import renderers
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.settings import api_settings

from apps.core import exports
from apps.core.errors import ApplicationError


def _json_cell(value: Any) -> Any:
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def table_of(data: Any, view: Any = None) -> tuple[list[str], list[str], list[list[Any]]]:
    """``(keys, labels, rows)`` of a response's data, in the view's column order.

    ``data``: a list of dicts, or a dict with ``"results"`` (a paginated list) or ``"rows"`` (a
    report), or a single dict (one row)."""
    if isinstance(data, Mapping):
        if isinstance(data.get("results"), list):
            data = data["results"]
        elif isinstance(data.get("rows"), list):
            data = data["rows"]
        else:
            data = [data]
    items: list[Any] = list(data or [])
    declared: Sequence[tuple[str, Any]] | None = getattr(view, "export_columns", None)
    if callable(declared):
        declared = declared()
    if declared:
        keys = [key for key, _label in declared]
        labels = [str(label) for _key, label in declared]
    else:
        first = items[0] if items and isinstance(items[0], Mapping) else {}
        keys = [str(key) for key in first]
        labels = list(keys)
    rows = [
        [_json_cell(item.get(key)) for key in keys] if isinstance(item, Mapping) else [_json_cell(item)]
        for item in items
    ]
    return keys, labels, rows


def export_filename(view: Any, extension: str) -> str:
    """The download's name: ``view.export_filename`` (a string with or without the extension, or a
    callable taking the extension), else ``export.<extension>``."""
    name = getattr(view, "export_filename", None)
    if callable(name):
        return str(name(extension))
    if not name:
        return f"export.{extension}"
    name = str(name)
    stem = name.rsplit(".", 1)[0] if name.rsplit(".", 1)[-1] in exports.FORMATS else name
    return f"{stem}.{extension}"


class _TableRenderer(renderers.BaseRenderer):
    """Shared by CSV and XLSX: errors as JSON, the header row, the download headers."""

    extension: ClassVar[str] = ""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping | None = None):
        context = dict(renderer_context or {})
        response = context.get("response")
        view = context.get("view")
        if response is not None and response.status_code >= 400:
            return self._as_json(data, response, context)
        keys, labels, rows = table_of(data, view)
        header = self.header(keys, labels)
        if self.extension == "xlsx" and len(rows) > exports.XLSX_MAX_ROWS:
            error = ApplicationError("too_large", _("Too many rows for one XLSX sheet; export CSV instead."))
            if response is not None:
                response.status_code = error.status
            return self._as_json({"code": error.code, "message": str(error.message), "fields": {}}, response, context)
        body = self.body([header, *rows], view)
        if response is not None:
            response["Content-Disposition"] = content_disposition_header(
                as_attachment=True, filename=export_filename(view, self.extension)
            )
            response["Cache-Control"] = "private, no-store"
        return body

    def header(self, keys: list[str], labels: list[str]) -> list[str]:
        """Column keys: the stable names an API client and a spreadsheet formula refer to."""
        return keys

    def body(self, rows: Iterable[Iterable[Any]], view: Any) -> bytes:
        raise NotImplementedError

    @staticmethod
    def _as_json(data: Any, response: Any, context: dict) -> bytes:
        if response is not None:
            response["Content-Type"] = "application/json"
            if "Content-Disposition" in response:
                del response["Content-Disposition"]
        return renderers.JSONRenderer().render(data, "application/json", context)


class CSVRenderer(_TableRenderer):
    """UTF-8 CSV with a BOM (Excel shows Chinese correctly), formula-like text neutralised."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    extension = "csv"

    def body(self, rows: Iterable[Iterable[Any]], view: Any) -> bytes:
        return "".join(exports.csv_chunks(rows)).encode("utf-8")


class XLSXRenderer(_TableRenderer):
    """An XLSX workbook of one sheet (openpyxl write-only mode; text cells are strings, never formulas)."""

    media_type = exports.XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"
    extension = "xlsx"

    def body(self, rows: Iterable[Iterable[Any]], view: Any) -> bytes:
        title = str(getattr(view, "export_sheet_title", "") or "export")
        with exports.xlsx_file(rows, sheet_title=title) as target:
            return target.read()


#: What an API view offering files lists: JSON first (the default, and every error), then the
#: project's other defaults (the browsable API), then the files.
EXPORT_RENDERER_CLASSES: tuple[type[renderers.BaseRenderer], ...] = (
    # The settings object imports the classes; its stubs type the setting as the dotted paths.
    *cast("Sequence[type[renderers.BaseRenderer]]", api_settings.DEFAULT_RENDERER_CLASSES),
    CSVRenderer,
    XLSXRenderer,
)


def file_renderer_format(request: Any) -> str | None:
    """``"csv"``/``"xlsx"`` when content negotiation chose a file renderer (by ``?format=`` or by
    ``Accept``), else None."""
    renderer = getattr(request, "accepted_renderer", None)
    return renderer.format if isinstance(renderer, _TableRenderer) else None


def requested_file_format(request: Any, default: str = "csv") -> str:
    """The file format of a view that only answers files (a streamed export): the negotiated one,
    else ``default``; a ``?format=`` naming a format that is not a file (``json``, ``api``) is a 400,
    not a CSV the client did not ask for."""
    chosen = file_renderer_format(request)
    if chosen:
        return chosen
    asked = request.query_params.get(api_settings.URL_FORMAT_OVERRIDE or "format")
    if asked:
        message = _("Unknown format; use one of: %(formats)s.") % {"formats": ", ".join(exports.FORMATS)}
        raise ApplicationError("invalid", _("The request has invalid fields."), fields={"format": [message]})
    return default


class ExportNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, except that an unknown ``?format=`` is a 400 naming the formats
    offered, not a bare 404 (the client made a mistake in a parameter, not in the path)."""

    def filter_renderers(self, renderers_: Iterable[renderers.BaseRenderer], format: str) -> list:  # noqa: A002
        renderers_ = list(renderers_)
        chosen = [renderer for renderer in renderers_ if renderer.format == format]
        if not chosen:
            offered = ", ".join(sorted({renderer.format for renderer in renderers_ if renderer.format != "api"}))
            message = _("Unknown format; use one of: %(formats)s.") % {"formats": offered}
            raise ApplicationError("invalid", _("The request has invalid fields."), fields={"format": [message]})
        return chosen


class ExportFormatMixin:
    """For an API view that offers its data as CSV and XLSX besides JSON (put it before APIView)."""

    renderer_classes: Sequence[type[renderers.BaseRenderer]] = EXPORT_RENDERER_CLASSES
    content_negotiation_class: type[BaseContentNegotiation] = ExportNegotiation
