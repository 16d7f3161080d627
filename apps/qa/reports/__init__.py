"""The QA reports (issue 14 item 9), registered with the report framework (apps/reports/registry.py)
when QaConfig.ready imports this package: the report pages at /reports/r/<code>/, CSV/XLSX/PDF,
runs and schedules then work for them. The figures are apps/qa/selectors/reports.py."""

from . import common, evaluators, quality, scores  # noqa: F401
