"""The report framework: what a report is, the filters it takes, and its files (CSV, XLSX, PDF).

A report (ARCHITECTURE.md §10, "one report framework") is a class with a code, a title, its
columns, a selector for its rows, a chart spec (:mod:`apps.reports.charts`) and the definitions
of its figures. It registers itself with :func:`register`; from then on the framework shows it
as a page (apps/reports/views), exports it as CSV/XLSX through the one safe-export helper
(apps/core/exports.py), prints it as a PDF (apps/reports/pdf.py) and e-mails it on a schedule
(apps/reports/services/schedules.py). A department adds a report; it writes no export code.

Filters are one validated object, :class:`ReportParams`, read from a page's query string, an API
body or a stored run/schedule (:meth:`ReportParams.from_query`, :meth:`ReportParams.as_query`),
so the page, the API and the scheduled e-mail read the same words the same way. Besides the
call core's queue, agent and campaign, a department may add its own id filters
(:func:`register_filter`: QA's team and scorecard) and a report may group by ``grain`` (day, week
or month); ``Report.roles`` says who may read a report (supervisors and administrators unless the
report says otherwise: the QA reports add the QA roles).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext

from apps.accounts.choices import Role
from apps.core import exports
from apps.reports.definitions import FIGURES, settings_lines
from apps.reports.periods import tenant_zone

FORMATS = ("pdf", "csv", "xlsx")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": exports.XLSX_CONTENT_TYPE,
}
INTERVALS = (15, 30, 60)
DEFAULT_DAYS = 7
# A year and a day: a yearly report crosses a leap day; longer ranges belong to the export API.
MAX_DAYS = 367
ID_FILTERS = {"queue": "queue_ids", "agent": "agent_ids", "campaign": "campaign_ids"}
# Wide and low: the chart spans the page above the table (A4 portrait ~57 mm, landscape ~84 mm tall).
PDF_CHART_SIZE = (960, 300)
COLUMN_KINDS = ("text", "count", "percent", "seconds", "datetime", "score")
# The periods a report over time groups by (``grain``): local days, weeks from Monday, months.
GRAINS = ("day", "week", "month")
DEFAULT_GRAIN = "day"
# Who reads a report unless it says otherwise (``Report.roles``).
DEFAULT_ROLES: tuple[str, ...] = (Role.SUPERVISOR, Role.TENANT_ADMIN)


@dataclass(frozen=True)
class IdFilter:
    """A filter by id that a department adds (``team``, ``scorecard``): its query key, its label
    on the filter bar and in the PDF, and the rows it chooses from (in the current tenant)."""

    name: str
    label: Promise | str
    choices: Callable[[], Any]  # () -> QuerySet; str(row) is how the row reads


_EXTRA_FILTERS: dict[str, IdFilter] = {}


def register_filter(name: str, *, label: Promise | str, choices: Callable[[], Any]) -> None:
    """Make ``name`` a filter every report may declare in its ``filters``: ids, repeated or
    comma-separated (``team=3&team=4``, ``{"team": [3]}``), checked against ``choices()``.
    Registering the same name again replaces it (an app's ``ready`` may run twice in tests)."""
    if name in ID_FILTERS or name in ("since", "until", "interval", "interval_minutes", "grain"):
        raise ValueError(f"{name!r} is a built-in report filter")
    _EXTRA_FILTERS[name] = IdFilter(name=name, label=label, choices=choices)


def extra_filters() -> dict[str, IdFilter]:
    """The filters departments registered, by name."""
    return dict(_EXTRA_FILTERS)


@dataclass
class Column:
    """One column of a report: ``key`` in the rows, its heading, and how its values read."""

    key: str
    label: Promise | str
    kind: str = "text"  # text | count | percent | seconds | datetime | score


def _values(data: Mapping, key: str) -> list[Any]:
    """Every value of ``key``: a QueryDict's list, a JSON list, or one (comma-separated) value."""
    if hasattr(data, "getlist"):
        raw: list[Any] = list(data.getlist(key))
    else:
        value = data.get(key)
        raw = [] if value is None else list(value) if isinstance(value, list | tuple) else [value]
    values: list[Any] = []
    for item in raw:
        if isinstance(item, str):
            values.extend(part.strip() for part in item.split(",") if part.strip())
        elif item is not None:
            values.append(item)
    return values


def _moment(value: Any, zone: ZoneInfo, *, end: bool) -> dt.datetime:
    """A filter's date or date-time as an aware datetime. A date alone means its local midnight,
    for ``since`` and ``until`` alike, and ``until`` is exclusive: ``since=2026-11-01&until=2026-12-01``
    is the whole of November. That is what every period means in the API (``/reports/kpis``,
    ``/calls/export``), so one query string gives the same calls everywhere; only the report
    pages' form says "to (included)" and adds the day itself (apps/reports/forms.py)."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(), tzinfo=zone)
    else:
        text = str(value).strip()
        day = parse_date(text) if len(text) == 10 else None
        if day is not None:
            return _moment(day, zone, end=end)
        parsed = parse_datetime(text.replace(" ", "T", 1)) if text else None
        if parsed is None:
            raise ValueError(text)
        moment = parsed
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


def default_period(zone: ZoneInfo, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The last 7 whole days in ``zone`` (today excluded: its figures are not final)."""
    today = (now or timezone.now()).astimezone(zone).date()
    until = dt.datetime.combine(today, dt.time(), tzinfo=zone)
    since = dt.datetime.combine(today - dt.timedelta(days=DEFAULT_DAYS), dt.time(), tzinfo=zone)
    return since.astimezone(dt.UTC), until.astimezone(dt.UTC)


def _known_ids(kind: str, ids: list[int]) -> set[int]:
    # Imported here: the registry is imported by apps.reports at start-up, before telephony's
    # models are needed; reading ids of the core's tables is a selector-level read (§10).
    from apps.telephony.models import Agent, Campaign, Queue  # noqa: PLC0415 -- see above

    model = {"queue": Queue, "agent": Agent, "campaign": Campaign}[kind]
    return set(model._default_manager.filter(pk__in=ids).values_list("pk", flat=True))


@dataclass
class ReportParams:
    """A report's validated filters: the period [since, until) in UTC and the chosen ids."""

    since: dt.datetime
    until: dt.datetime
    queue_ids: list[int] = field(default_factory=list)
    agent_ids: list[int] = field(default_factory=list)
    campaign_ids: list[int] = field(default_factory=list)
    interval_minutes: int = 30
    # A department's filters (register_filter): name -> chosen ids; a name absent means all.
    ids: dict[str, list[int]] = field(default_factory=dict)
    grain: str = DEFAULT_GRAIN

    def chosen(self, name: str) -> list[int]:
        """The ids chosen for a registered filter (empty: all)."""
        return list(self.ids.get(name, []))

    @classmethod
    def from_query(cls, data: Mapping) -> ReportParams:
        """Filters from a query string, a JSON body or a stored run. Accepts ``since``/``until``
        (ISO 8601 date or date-time; naive ones are the tenant's local time), ``queue``,
        ``agent``, ``campaign`` (ids, repeated or comma-separated; ``queue_ids`` … too) and
        ``interval_minutes`` (15, 30 or 60), the registered filters (:func:`register_filter`)
        and ``grain`` (day, week or month). Missing dates: the last 7 whole local days.

        Raises ``ValidationError({"field": [message]})``; nothing is half-read."""
        zone = tenant_zone()
        errors: dict[str, list[str]] = {}
        since, until = default_period(zone)
        for name in ("since", "until"):
            raw = data.get(name)
            if raw in (None, ""):
                continue
            try:
                moment = _moment(raw, zone, end=name == "until")
            except (ValueError, TypeError, OverflowError):
                errors[name] = [gettext("Enter a date (YYYY-MM-DD) or a date and time (ISO 8601).")]
                continue
            if name == "since":
                since = moment
            else:
                until = moment
        if "since" not in errors and "until" not in errors:
            if since >= until:
                errors["until"] = [gettext("The end must be after the start.")]
            elif until - since > dt.timedelta(days=MAX_DAYS):
                errors["until"] = [gettext("A report covers at most %(days)s days.") % {"days": MAX_DAYS - 1}]

        chosen: dict[str, list[int]] = {}
        for kind, attribute in ID_FILTERS.items():
            raw_ids = _values(data, kind) + _values(data, attribute)
            try:
                ids = sorted({int(value) for value in raw_ids})
            except (TypeError, ValueError):
                errors[kind] = [gettext("Choose by id (whole numbers).")]
                continue
            if any(value <= 0 for value in ids):
                errors[kind] = [gettext("Choose by id (whole numbers).")]
                continue
            unknown = sorted(set(ids) - _known_ids(kind, ids)) if ids else []
            if unknown:
                errors[kind] = [gettext("Unknown id: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}]
                continue
            chosen[attribute] = ids

        extra: dict[str, list[int]] = {}
        for name, id_filter in _EXTRA_FILTERS.items():
            raw_ids = _values(data, name) + _values(data, f"{name}_ids")
            if not raw_ids:
                continue
            try:
                ids = sorted({int(value) for value in raw_ids})
            except (TypeError, ValueError):
                errors[name] = [gettext("Choose by id (whole numbers).")]
                continue
            if any(value <= 0 for value in ids):
                errors[name] = [gettext("Choose by id (whole numbers).")]
                continue
            known = set(id_filter.choices().filter(pk__in=ids).values_list("pk", flat=True))
            unknown = sorted(set(ids) - known)
            if unknown:
                errors[name] = [gettext("Unknown id: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}]
                continue
            extra[name] = ids

        grain = data.get("grain") or DEFAULT_GRAIN
        if grain not in GRAINS:
            errors["grain"] = [gettext("Choose day, week or month.")]

        interval = data.get("interval_minutes")
        interval_minutes = 30
        if interval not in (None, ""):
            try:
                interval_minutes = int(interval)
            except (TypeError, ValueError):
                interval_minutes = -1
            if interval_minutes not in INTERVALS:
                errors["interval_minutes"] = [gettext("Choose 15, 30 or 60 minutes.")]
        if errors:
            raise ValidationError(errors)
        return cls(since=since, until=until, interval_minutes=interval_minutes, ids=extra, grain=grain, **chosen)

    def as_query(self) -> dict[str, Any]:
        """The filters as JSON-safe query values (``from_query(p.as_query()) == p``)."""
        query: dict[str, Any] = {
            "since": self.since.astimezone(dt.UTC).isoformat(),
            "until": self.until.astimezone(dt.UTC).isoformat(),
            "interval_minutes": self.interval_minutes,
        }
        for kind, attribute in ID_FILTERS.items():
            ids = getattr(self, attribute)
            if ids:
                query[kind] = list(ids)
        for name, ids in sorted(self.ids.items()):
            if ids:
                query[name] = list(ids)
        if self.grain != DEFAULT_GRAIN:
            query["grain"] = self.grain
        return query

    def words(self, shown: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
        """The filters as a reader says them ("Period covered", "2026-11-01 00:00 – …"), printed
        at the top of every PDF: a report on paper must say what it covers. ``shown``: the
        report's filters (a filter it does not take is left out unless ids were given)."""
        from apps.telephony.models import Agent, Campaign, Queue  # noqa: PLC0415 -- see _known_ids

        zone = tenant_zone()
        since, until = self.since.astimezone(zone), self.until.astimezone(zone)
        lines = [(gettext("Period covered"), f"{since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M} ({zone.key})")]

        def agent_names(ids: list[int]) -> list[str]:
            return [a.user.name or a.user.email for a in Agent.objects.filter(pk__in=ids).select_related("user")]

        names: list[tuple[str, str, list[int], Any]] = [
            (
                "queue",
                gettext("Queues"),
                self.queue_ids,
                lambda ids: Queue.objects.filter(pk__in=ids).values_list("name", flat=True),
            ),
            ("agent", gettext("Agents"), self.agent_ids, agent_names),
            (
                "campaign",
                gettext("Campaigns"),
                self.campaign_ids,
                lambda ids: Campaign.objects.filter(pk__in=ids).values_list("name", flat=True),
            ),
        ]
        for kind, label, ids, lookup in names:
            if ids:
                lines.append((label, ", ".join(sorted(lookup(ids)))))
            elif shown is None or kind in shown:
                lines.append((label, gettext("All")))
        for name, id_filter in _EXTRA_FILTERS.items():
            chosen_ids = self.ids.get(name)
            if chosen_ids:
                rows = id_filter.choices().filter(pk__in=chosen_ids)
                lines.append((str(id_filter.label), ", ".join(sorted(str(row) for row in rows))))
            elif shown is not None and name in shown:
                lines.append((str(id_filter.label), gettext("All")))
        if shown is not None and "grain" in shown:
            grain_words = {
                "day": pgettext("period", "Day"),
                "week": pgettext("period", "Week"),
                "month": pgettext("period", "Month"),
            }
            lines.append((gettext("Grouped by"), grain_words[self.grain]))
        if shown is None or "interval" in shown or "interval_minutes" in shown:
            lines.append(
                (gettext("Interval length"), gettext("%(minutes)s minutes") % {"minutes": self.interval_minutes})
            )
        return lines


class Report:
    """Base of every report. Subclasses set ``code``, ``title``, ``description`` and implement
    :meth:`columns` and :meth:`rows`; the rest has useful defaults."""

    code: ClassVar[str] = ""
    title: ClassVar[Promise | str] = ""
    description: ClassVar[Promise | str] = ""
    filters: ClassVar[tuple[str, ...]] = ("since", "until", "queue")  # which filters the page shows
    roles: ClassVar[tuple[str, ...]] = DEFAULT_ROLES  # who may read it (page, files, runs)
    # What the page says over an empty table, and whether its figures open the calls behind them.
    empty_text: ClassVar[Promise | str] = ""
    drills_to_calls: ClassVar[bool] = True

    def columns(self, params: ReportParams) -> list[Column]:
        raise NotImplementedError

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        raise NotImplementedError

    def rows_and_totals(self, params: ReportParams) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """The rows and a totals row (``None``: no totals line). Override to compute both at once."""
        return self.rows(params), None

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        """A chart spec (apps/reports/charts.py) of ``rows``, or ``None`` for no chart."""
        return None

    def settings(self, params: ReportParams) -> dict[str, Any]:
        """The KPI settings the figures were computed with (T, short-abandon rule, FCR window)."""
        from apps.reports.selectors import kpis  # noqa: PLC0415 -- the KPI engine is heavy to import

        settings_used = getattr(kpis, "settings_used", None)
        zone = tenant_zone()
        if settings_used is None:
            return {"time_zone": zone.key}
        return settings_used(start=params.since, end=params.until, zone=zone, interval_minutes=params.interval_minutes)

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        """(name, definition) of every figure in the columns, then the settings in sentences,
        printed on every report so that a figure is never read without its definition."""
        lines = [
            (str(FIGURES[column.key].label), str(FIGURES[column.key].definition))
            for column in self.columns(params)
            if column.key in FIGURES
        ]
        if lines:
            lines += [(gettext("Settings"), line) for line in settings_lines(self.settings(params))]
        return lines

    def drill_url(self, params: ReportParams, row: dict[str, Any], column_key: str) -> str | None:
        """The page listing the calls behind ``row[column_key]``, or ``None``."""
        return None


_REPORTS: dict[str, Report] = {}
ReportClass = TypeVar("ReportClass", bound=type[Report])


def register(cls: ReportClass) -> ReportClass:
    """Class decorator: make the report known by its code (one code, one report)."""
    if not cls.code:
        raise ValueError(f"{cls.__name__} has no code")
    existing = _REPORTS.get(cls.code)
    if existing is not None and type(existing).__qualname__ != cls.__qualname__:
        raise ValueError(f"report code {cls.code!r} is taken by {type(existing).__name__}")
    _REPORTS[cls.code] = cls()
    return cls


def unregister(code: str) -> None:
    """Forget a report (tests register their own small reports)."""
    _REPORTS.pop(code, None)


def get(code: str) -> Report:
    """The report registered under ``code``; ``KeyError`` when there is none."""
    return _REPORTS[code]


def all_reports() -> list[Report]:
    """Every registered report, by title in the active language."""
    return sorted(_REPORTS.values(), key=lambda report: str(report.title).lower())


# --- Files -------------------------------------------------------------------------------


def cell_value(value: Any, kind: str, zone: ZoneInfo) -> Any:
    """A value for a spreadsheet cell: lazy text as text, times in the tenant's zone."""
    if isinstance(value, Promise):
        return str(value)
    if kind == "datetime" and isinstance(value, str) and value:
        parsed = parse_datetime(value)
        value = parsed if parsed is not None else value
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return value.astimezone(zone)
    return value


def printed_value(value: Any, kind: str, zone: ZoneInfo) -> str:
    """A value as the PDF prints it: units spelled, empty for no data."""
    value = cell_value(value, kind, zone)
    if value is None or value == "":
        return "–"
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if kind == "percent" and isinstance(value, int | float):
        return f"{value:.2f}%"
    if kind == "seconds" and isinstance(value, int | float):
        return f"{value:.1f} s"
    if kind == "score" and isinstance(value, int | float):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def table_rows(report: Report, params: ReportParams) -> tuple[list[Column], list[dict], dict | None]:
    columns = report.columns(params)
    rows, totals = report.rows_and_totals(params)
    return columns, rows, totals


def _sheet(columns: list[Column], rows: Iterable[dict], totals: dict | None, zone: ZoneInfo) -> Iterator[list[Any]]:
    yield [str(column.label) for column in columns]
    for row in rows:
        yield [cell_value(row.get(column.key), column.kind, zone) for column in columns]
    if totals is not None:
        yield [cell_value(totals.get(column.key), column.kind, zone) for column in columns]


def filename(report: Report, params: ReportParams, fmt: str) -> str:
    """``<code>-<first day>-<last day>.<fmt>`` in the tenant's dates (ASCII: safe in headers)."""
    zone = tenant_zone()
    first = params.since.astimezone(zone).date()
    last = (params.until.astimezone(zone) - dt.timedelta(microseconds=1)).date()
    return f"{report.code}-{first:%Y%m%d}-{last:%Y%m%d}.{fmt}"


class TooLarge(ValueError):
    """A report with more rows than the format can hold (XLSX: one sheet)."""


def render_report(report: Report, params: ReportParams, fmt: str) -> tuple[bytes | Iterator[bytes], str, str]:
    """The report as a file: ``(content, filename, content_type)``. CSV is an iterator of
    UTF-8 chunks (stream it, or ``b"".join`` it); XLSX and PDF are bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}")
    zone = tenant_zone()
    columns, rows, totals = table_rows(report, params)
    name = filename(report, params, fmt)
    if fmt == "csv":
        chunks = exports.csv_chunks(_sheet(columns, rows, totals, zone))
        return (chunk.encode("utf-8") for chunk in chunks), name, CONTENT_TYPES[fmt]
    if fmt == "xlsx":
        if len(rows) + 2 > exports.XLSX_MAX_ROWS:
            raise TooLarge(
                gettext("More rows than one XLSX sheet holds (%(rows)s); export CSV or choose a shorter period.")
                % {"rows": f"{exports.XLSX_MAX_ROWS:,}"}
            )
        with exports.xlsx_file(_sheet(columns, rows, totals, zone), sheet_title=report.code) as handle:
            return handle.read(), name, CONTENT_TYPES[fmt]
    return render_report_pdf(report, params, columns, rows, totals), name, CONTENT_TYPES[fmt]


def render_report_pdf(
    report: Report, params: ReportParams, columns: list[Column], rows: list[dict], totals: dict | None
) -> bytes:
    """The PDF of a report (``reports/pdf/report.html``): title, filters in words, the chart as
    vector SVG, the table, then the definitions and settings."""
    from apps.reports.charts import chart_svg  # noqa: PLC0415 -- only PDFs draw charts server-side
    from apps.reports.pdf import render_pdf  # noqa: PLC0415 -- WeasyPrint is heavy, see pdf.py

    zone = tenant_zone()
    spec = report.chart(params, rows)
    body = [
        [
            {"text": printed_value(row.get(column.key), column.kind, zone), "num": column.kind != "text"}
            for column in columns
        ]
        for row in rows
    ]
    footer = (
        [
            {"text": printed_value(totals.get(column.key), column.kind, zone), "num": column.kind != "text"}
            for column in columns
        ]
        if totals is not None
        else None
    )
    context = {
        "document_title": str(report.title),
        "description": str(report.description),
        "filters": params.words(tuple(report.filters)),
        "chart_svg": chart_svg(spec, width=PDF_CHART_SIZE[0], height=PDF_CHART_SIZE[1]) if spec else "",
        "columns": [{"label": str(column.label), "num": column.kind != "text"} for column in columns],
        "rows": body,
        "totals": footer,
        "definitions": report.definitions(params),
        "landscape": len(columns) > 8,
    }
    return render_pdf("reports/pdf/report.html", context)
