"""The training reports (issue 16 item 7), registered with the report framework
(apps/reports/registry.py) when TrainingConfig.ready imports this package: pages at
/reports/r/<code>/, CSV/XLSX/PDF, runs and schedules. Completion, pass rates, certificates and
expiries, effectiveness and item analysis; the figures come from the training selectors."""

from . import common, reports  # noqa: F401
