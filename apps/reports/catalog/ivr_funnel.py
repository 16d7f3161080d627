"""IVR funnel and containment: per IVR flow, the calls that entered it, asked for an agent, were
queued and were answered, and the share that ended in the IVR (self-service)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.reports.catalog.common import calls_url, chart_spec, params_filters
from apps.reports.definitions import FIGURES
from apps.reports.registry import Column, Report, ReportParams, register
from apps.reports.selectors.details import ivr_exits, ivr_funnel

STAGES = (
    ("entered", _("Entered the IVR")),
    ("asked_agent", _("Asked for an agent")),
    ("queued", _("Queued")),
    ("answered", _("Answered")),
)


@register
class IvrFunnel(Report):
    code = "ivr_funnel"
    title = _("IVR funnel")
    description = _(
        "Calls entering each IVR flow, how many asked for an agent, were queued and answered, and the IVR's containment."
    )
    filters = ("since", "until")

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("label", _("IVR flow")),
            *[Column(key, label, "count") for key, label in STAGES],
            Column("contained", _("Ended in the IVR"), "count"),
            Column("containment_percent", FIGURES["containment_percent"].label, "percent"),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        """Each flow, followed by one row per node where its calls left the IVR ("Main menu ›
        Opening hours"): the flow's figures split by the end of the callers' path."""
        exits: dict[Any, list[dict[str, Any]]] = {}
        for entry in ivr_exits(since=params.since, until=params.until):
            exits.setdefault(entry["flow_id"], []).append(
                {
                    "key": None,
                    "flow_id": entry["flow_id"],
                    "level": "node",
                    "label": f"{entry['flow']} › {entry['node'] or '—'}",
                    **{stage: entry[stage] for stage in ("entered", "asked_agent", "queued", "answered", "contained")},
                }
            )
        rows: list[dict[str, Any]] = []
        for flow in ivr_funnel(since=params.since, until=params.until):
            rows.append({**flow, "level": "flow"})
            rows.extend(exits.get(flow["key"], []))
        for row in rows:
            entered = row["entered"]
            row["containment_percent"] = round(row["contained"] / entered * 100, 2) if entered else None
        return rows

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        flows = [row for row in rows if row.get("level") != "node"]
        if not flows:
            return None
        return chart_spec(
            self.title,
            [str(label) for _key, label in STAGES],
            [(row["label"], [row[key] for key, _label in STAGES]) for row in flows],
            "count",
        )

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        return [
            (str(_("Entered the IVR")), str(_("Calls that reached an IVR flow."))),
            (str(_("Asked for an agent")), str(_("Calls whose caller chose to speak to an agent in the IVR."))),
            (str(_("Queued")), str(_("Calls that entered a queue after the IVR."))),
            (str(_("Answered")), str(_("Queued calls an agent answered."))),
            (
                str(_("Ended in the IVR")),
                str(_("Calls that ended in the IVR without asking for an agent or entering a queue.")),
            ),
            (str(FIGURES["containment_percent"].label), str(FIGURES["containment_percent"].definition)),
            (
                str(_("Flow › node")),
                str(
                    _(
                        "The flow's calls split by the IVR node where each call left the IVR (the last step of its path)."
                    )
                ),
            ),
        ]

    def drill_url(self, params: ReportParams, row: dict[str, Any], column_key: str) -> str | None:
        """The calls list cannot filter by IVR flow or stage yet: the figures open the period's
        calls, which list the IVR flow on each call's page."""
        if column_key not in ("entered", "asked_agent", "queued", "answered", "contained"):
            return None
        return calls_url(params.since, params.until, **params_filters(params))
