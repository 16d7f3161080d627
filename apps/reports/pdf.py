"""PDF rendering for reports and invoices: HTML templates through WeasyPrint.

Why WeasyPrint (docs/decisions/0016-report-framework-and-pdf.md): it lays out the same Django
templates as the pages, prints vector SVG charts (:mod:`apps.reports.charts`) without a browser,
and embeds only the glyphs a document uses (font subsetting), so a Chinese report carries a
few dozen kilobytes of Noto Sans CJK SC instead of the 16 MB font file.

Every document extends ``reports/pdf/base.html``, which prints the tenant's name and time zone,
the generation time and page numbers. Its style sheet is a separate file
(``reports/pdf/style.css``) because templates carry no ``<style>`` elements (tests/core/test_csp.py).

Nothing is fetched while rendering: the URL fetcher only accepts ``data:`` URLs, so a value typed
by a tenant's user can never make the server request a URL or read a local file.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone

# The family fontconfig knows Debian's fonts-noto-cjk by (scripts/system-packages.txt); it has
# Latin glyphs too, so one embedded font covers a whole zh-Hans or English report.
PDF_FONT_FAMILY = "Noto Sans CJK SC"
STYLE_TEMPLATE = "reports/pdf/style.css"
DEFAULT_TIME_ZONE = "Asia/Shanghai"


def tenant_context() -> dict[str, Any]:
    """The tenant facts every PDF prints: name, time zone (as an IANA name) and "now" there.

    Read from the connection's tenant (django-tenants sets it per request and per Celery task),
    so a document rendered in a task says the same as one rendered in a view."""
    tenant = getattr(connection, "tenant", None)
    zone_name = getattr(tenant, "time_zone", None) or DEFAULT_TIME_ZONE
    zone = ZoneInfo(zone_name)
    return {
        "tenant_name": getattr(tenant, "name", "") or "",
        "tenant_time_zone": zone_name,
        "tenant_zone": zone,
        "generated_at": timezone.now().astimezone(zone),
    }


def local_time(value: datetime.datetime | None, zone: ZoneInfo) -> datetime.datetime | None:
    """``value`` in the tenant's zone (PDF templates print local wall-clock times)."""
    return value.astimezone(zone) if value is not None else None


def render_html(template_name: str, context: dict[str, Any]) -> str:
    """The HTML a PDF is made from (tests and debugging read it; the PDF is this, laid out)."""
    full = {**tenant_context(), "pdf_font_family": PDF_FONT_FAMILY, **context}
    return render_to_string(template_name, full)


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """A PDF of ``template_name`` (extending ``reports/pdf/base.html``) with ``context``.

    The context may override ``tenant_name``, ``tenant_time_zone`` and ``generated_at`` (a
    platform invoice names the billed tenant, not the platform)."""
    # Not at the top: WeasyPrint loads Pango and fontconfig (~0.3 s); only PDF renders need it.
    from weasyprint import CSS, HTML, URLFetcher  # noqa: PLC0415 -- heavy, see above

    html = render_html(template_name, context)
    fetcher = URLFetcher(allowed_protocols=["data"], fail_on_errors=False)
    style = CSS(string=render_to_string(STYLE_TEMPLATE, {"pdf_font_family": PDF_FONT_FAMILY}), url_fetcher=fetcher)
    document = HTML(string=html, url_fetcher=fetcher, base_url="data:,")
    return document.write_pdf(stylesheets=[style], full_fonts=False)
