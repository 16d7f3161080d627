"""The standard reports on screen: the catalogue (/reports/list/), one report with its filters,
chart, table and definitions (/reports/r/<code>/), and its CSV / XLSX / PDF files.

The view only validates the filters and lays the report out; the rows, the chart spec and the
definitions come from the report class (apps/reports/catalog/), the files from the framework's
``render_report``, so the page, the export and the scheduled PDF print the same figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.http import stream_for
from apps.reports import registry
from apps.reports.forms import ReportFilterForm

REPORT_ROLES = (Role.SUPERVISOR, Role.TENANT_ADMIN)
# The catalogue and a report page let in anyone who reads some report; each report then checks
# its own ``roles`` (the QA reports are for the QA roles too, apps/qa/reports/; HR reads the
# workforce reports, trainers the training ones).
READER_ROLES = (*REPORT_ROLES, Role.QA, Role.QA_LEAD, Role.TRAINER, Role.HR)
SCHEDULER_ROLES = REPORT_ROLES  # apps/reports/views/schedules.py SCHEDULE_ROLES
EXPORT_FORMATS = ("csv", "xlsx", "pdf")
# The page shows this many rows at most; the files carry them all.
PAGE_ROWS = 500

# The catalogue's groups, in order; a report not named here goes to the last group.
GROUPS: list[tuple[Any, tuple[str, ...]]] = [
    (_("Queues and traffic"), ("queue_performance", "interval", "abandons", "ivr_funnel")),
    (_("Agents"), ("agent_performance", "agent_states")),
    (_("Outcomes"), ("campaigns", "dispositions", "csat")),
    (
        _("Quality"),
        (
            "qa_score_agent",
            "qa_score_team",
            "qa_score_queue",
            "qa_score_question",
            "qa_critical_failures",
            "qa_missed_questions",
            "qa_disputes",
            "qa_evaluator_throughput",
            "qa_evaluator_alignment",
        ),
    ),
]


def _report_or_404(code: str, user=None) -> registry.Report:
    try:
        report = registry.get(code)
    except (KeyError, LookupError) as error:
        raise Http404(str(_("No such report."))) from error
    if user is not None and not user.has_role(*report.roles):
        raise PermissionDenied
    return report


def catalogue(user=None) -> list[tuple[Any, list[registry.Report]]]:
    """The reports by group; with ``user``, only those they may read."""
    reports = {report.code: report for report in registry.all_reports() if user is None or user.has_role(*report.roles)}
    groups: list[tuple[Any, list[registry.Report]]] = []
    placed: set[str] = set()
    for label, codes in GROUPS:
        found = [reports[code] for code in codes if code in reports]
        placed.update(report.code for report in found)
        if found:
            groups.append((label, found))
    others = [report for code, report in sorted(reports.items()) if code not in placed]
    if others:
        groups.append((_("Other reports"), others))
    return groups


@role_required(*READER_ROLES)
def report_list(request):
    return render(
        request,
        "reports/list.html",
        {"groups": catalogue(request.user), "may_schedule": request.user.has_role(*SCHEDULER_ROLES)},
    )


def format_value(value: Any, kind: str) -> str:
    """A figure as the table prints it: — for none, % for percentages, one decimal for means."""
    if value is None or value == "":
        return "—"
    if kind == "percent":
        return f"{float(value):.1f}%"
    if kind == "seconds":
        return f"{float(value):.1f}"
    if kind == "score":
        return f"{float(value):.2f}"
    if kind == "count":
        return str(int(value))
    if kind == "datetime" and isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _sort_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def table_rows(report, params, columns, rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Each row as cells ``{text, sort, href, num}`` for the template."""
    display = getattr(report, "display", None)  # a report may print some cells its own way
    out = []
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column.key)
            numeric = column.kind in ("count", "percent", "seconds", "score")
            # No calls behind an empty figure or a zero count: no link (and no URL to build).
            linked = numeric and value not in (None, "") and not (column.kind == "count" and value == 0)
            href = report.drill_url(params, row, column.key) if linked else None
            if href is None and column.key in ("label", "time") and row.get("href"):
                href = row["href"]
            text = display(column.key, value) if display is not None else None
            cells.append(
                {
                    "text": format_value(value, column.kind) if text is None else text,
                    "sort": _sort_value(value, column.kind),
                    "href": href,
                    "num": numeric,
                }
            )
        out.append(cells)
    return out


def _report_context(request, report) -> dict[str, Any]:
    form = ReportFilterForm(request.GET or None, filters=report.filters)
    context: dict[str, Any] = {"report": report, "form": form, "valid": False}
    if request.GET and not form.is_valid():
        return context
    if not request.GET:
        form = ReportFilterForm({}, filters=report.filters)
        form.is_valid()
        context["form"] = ReportFilterForm(filters=report.filters)
    params = form.params()
    columns = report.columns(params)
    totals = None
    if hasattr(report, "rows_and_totals"):
        rows, totals = report.rows_and_totals(params)
    else:
        rows = report.rows(params)
    query = form.query()
    context.update(
        {
            "valid": True,
            "params": params,
            "columns": columns,
            "numeric": [column.kind in ("count", "percent", "seconds", "score") for column in columns],
            "rows": table_rows(report, params, columns, rows[:PAGE_ROWS]),
            "row_count": len(rows),
            "truncated": len(rows) > PAGE_ROWS,
            "page_rows": PAGE_ROWS,
            "totals": table_rows(report, params, columns, [totals])[0] if totals else None,
            "chart": report.chart(params, rows),
            "definitions": report.definitions(params),
            "exports": [
                (fmt.upper(), reverse("reports:export", args=[report.code, fmt]) + "?" + urlencode(query))
                for fmt in EXPORT_FORMATS
            ],
            "schedule_url": (
                reverse("reports:schedule_new") + "?" + urlencode({"report": report.code, **query})
                if request.user.has_role(*SCHEDULER_ROLES)
                else None
            ),
        }
    )
    return context


@role_required(*READER_ROLES)
def report_page(request, code: str):
    report = _report_or_404(code, request.user)
    return render(request, "reports/report.html", _report_context(request, report))


@require_GET
@role_required(*READER_ROLES)
def report_export(request, code: str, fmt: str):
    """The report as a file, through the framework's ``render_report`` (the same as a scheduled
    delivery). Bad filters, and an XLSX with more rows than one sheet holds, answer 400 with the
    messages; the PDF renders inline (a week of a
    queue report takes well under the 5 s the issue allows)."""
    report = _report_or_404(code, request.user)
    if fmt not in EXPORT_FORMATS:
        raise Http404(str(_("No such format.")))
    form = ReportFilterForm(request.GET or {}, filters=report.filters)
    if not form.is_valid():
        messages = "; ".join(
            f"{field}: {' '.join(str(error) for error in errors)}" for field, errors in form.errors.items()
        )
        return HttpResponse(messages, status=400, content_type="text/plain; charset=utf-8")
    try:
        content, filename, content_type = registry.render_report(report, form.params(), fmt)
    except registry.TooLarge as error:
        # More rows than one XLSX sheet holds: the user's choice of period, not a server fault.
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    response: HttpResponse | StreamingHttpResponse
    if isinstance(content, (bytes, str)):
        response = HttpResponse(content, content_type=content_type)
    else:
        response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return stream_for(request, response) if isinstance(response, StreamingHttpResponse) else response
