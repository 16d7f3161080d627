"""Every figure the KPI table returns is defined in apps/reports/definitions.py (and the other way
round), and the definitions and settings read in Chinese too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import translation
from django_tenants.utils import tenant_context

from apps.reports.definitions import FIGURES, settings_lines
from apps.reports.selectors.kpis import kpi_table
from tests.pending_po import pending_translations

# figures that are plain counts shown beside their rate (not separately defined)
EXTRA_KEYS = {"key", "label", "blocked", "calls"}


def test_every_row_figure_is_defined_and_every_definition_is_returned(acme):
    with tenant_context(acme.tenant):
        since = datetime(2025, 1, 1, tzinfo=UTC)
        row = kpi_table(since=since, until=since + timedelta(days=1), group_by="day")["rows"][0]
    assert set(row) - EXTRA_KEYS == set(FIGURES)
    assert {figure.unit for figure in FIGURES.values()} <= {"count", "percent", "seconds", "score"}
    for key, figure in FIGURES.items():
        assert figure.key == key
        assert str(figure.label) and str(figure.definition).endswith(".")


def test_definitions_and_settings_in_chinese():
    settings = {
        "sl_threshold_seconds": {"售后": 15, "销售": 20},
        "short_abandon_seconds": {"售后": 5},
        "short_abandons_excluded": True,
        "fcr_window_hours": 72,
        "fcr_resolved_counts": False,
        "time_zone": "Asia/Shanghai",
    }
    assert settings_lines(settings)[0] == "Service level threshold T per queue: 售后 15 s, 销售 20 s."
    with pending_translations("kpi"), translation.override("zh-hans"):
        lines = settings_lines(settings)
        assert lines[1] == "短时放弃（5 s 内挂断）不计入服务水平和放弃率。"
        assert lines[2] == "首次解决时限：72 小时，同一来电号码、同一队列。"
        assert lines[3] == "通话小结不影响首次解决率；只看是否再次来电。"
        assert str(FIGURES["sl_percent"].label) == "服务水平"
        assert str(FIGURES["fcr_percent"].label) == "首次解决率"
