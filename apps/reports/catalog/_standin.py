"""TEMPORARY stand-in for apps/reports/registry.py (H4) until it is committed; deleted then."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.functional import Promise

from apps.reports.definitions import FIGURES


@dataclass
class Column:
    key: str
    label: Any
    kind: str = "text"


@dataclass
class ReportParams:
    since: datetime
    until: datetime
    queue_ids: list[int] = field(default_factory=list)
    agent_ids: list[int] = field(default_factory=list)
    campaign_ids: list[int] = field(default_factory=list)
    interval_minutes: int = 30

    @classmethod
    def from_query(cls, data: Mapping) -> ReportParams:
        raise NotImplementedError

    def as_query(self) -> dict:
        return {}


class Report:
    code: str = ""
    title: Promise | str = ""
    description: Promise | str = ""
    filters: tuple[str, ...] = ("since", "until", "queue")

    def columns(self, params):
        raise NotImplementedError

    def rows(self, params):
        raise NotImplementedError

    def chart(self, params, rows):
        return None

    def definitions(self, params):
        return [
            (str(FIGURES[c.key].label), str(FIGURES[c.key].definition))
            for c in self.columns(params)
            if c.key in FIGURES
        ]

    def drill_url(self, params, row, column_key):
        return None


_REPORTS: dict[str, Report] = {}


def register(cls):
    _REPORTS[cls.code] = cls()
    return cls


def get(code: str) -> Report:
    return _REPORTS[code]


def all_reports() -> list[Report]:
    return list(_REPORTS.values())


def render_report(report, params, fmt):
    out = io.StringIO()
    writer = csv.writer(out)
    cols = report.columns(params)
    writer.writerow([str(c.label) for c in cols])
    for row in report.rows(params):
        writer.writerow([row.get(c.key) for c in cols])
    types = {
        "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf": "application/pdf",
    }
    return out.getvalue().encode(), f"{report.code}.{fmt}", types[fmt]
