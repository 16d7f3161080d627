"""TEMPORARY: the report framework's names, from apps/reports/registry.py once H4 commits it."""

try:
    from apps.reports.registry import Column, Report, ReportParams, all_reports, get, register, render_report
except ImportError:  # pragma: no cover - until apps/reports/registry.py lands
    from apps.reports.catalog._standin import (  # type: ignore[assignment]
        Column,
        Report,
        ReportParams,
        all_reports,
        get,
        register,
        render_report,
    )

__all__ = ["Column", "Report", "ReportParams", "all_reports", "get", "register", "render_report"]
