"""The CRM reports (surveys and tickets), registered with the report framework
(apps/reports/registry.py) when CrmConfig.ready imports this package: their pages at
/reports/r/<code>/, CSV/XLSX/PDF, runs and schedules then work for them."""

from . import surveys, tickets  # noqa: F401
