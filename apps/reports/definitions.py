"""Every figure a report, the dashboard or ``GET /api/v1/reports/kpis`` shows: its name, its
definition in words (printed next to it on every report and PDF) and its unit.

The words here and the arithmetic in apps/telephony/kpis.py / apps/reports/kpi_math.py describe
the same thing (DOMAIN.md §2 is the contract); tests/reports/test_kpis_definitions.py checks that
every figure the selector returns has a definition here and vice versa.

Units: ``count``; ``percent`` (0–100, 2 decimals, ``None`` when the denominator is 0);
``seconds`` (a mean, 2 decimals); ``score`` (a mean survey score on the 1–5 scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class Figure:
    key: str
    label: Promise
    definition: Promise
    unit: str  # "count" | "percent" | "seconds" | "score"


def _figures(*figures: Figure) -> dict[str, Figure]:
    return {figure.key: figure for figure in figures}


FIGURES: dict[str, Figure] = _figures(
    # "Offered" alone is also a call status (振铃): the queue figure has its own context (进线量).
    Figure("offered", pgettext_lazy("queue statistic", "Offered"), _("Calls that entered a queue."), "count"),
    Figure("answered", _("Answered"), _("Offered calls an agent answered."), "count"),
    Figure(
        "abandoned",
        _("Abandoned"),
        _("Offered calls the caller left before an answer (short abandons excluded when the setting says so)."),
        "count",
    ),
    Figure(
        "short_abandons",
        _("Short abandons"),
        _("Callers who hung up in the queue within the queue's short-abandon limit."),
        "count",
    ),
    Figure(
        "sl_percent",
        _("Service level"),
        _(
            "Calls answered within T seconds ÷ (answered calls + calls abandoned after T seconds) × 100. "
            "T is the queue's threshold; exactly T counts as within."
        ),
        "percent",
    ),
    Figure(
        "asa_seconds",
        _("Average speed of answer"),
        _("Mean seconds from entering the queue to the answer, over answered calls only."),
        "seconds",
    ),
    Figure("abandon_rate", _("Abandon rate"), _("Abandoned calls ÷ offered calls × 100."), "percent"),
    Figure(
        "handled",
        _("Handled"),
        _("Answered calls whose conversation and wrap-up are both over."),
        "count",
    ),
    Figure(
        "aht_seconds",
        _("Average handle time"),
        _("Talk + hold + wrap-up seconds, mean over handled calls."),
        "seconds",
    ),
    Figure("talk_seconds_mean", _("Average talk"), _("Mean talk seconds over handled calls."), "seconds"),
    Figure("hold_seconds_mean", _("Average hold"), _("Mean hold seconds over handled calls."), "seconds"),
    Figure("wrapup_seconds_mean", _("Average wrap-up"), _("Mean wrap-up seconds over handled calls."), "seconds"),
    Figure(
        "fcr_percent",
        _("First-call resolution"),
        _(
            "Handled inbound calls whose caller did not call the same queue again (same number) within the "
            "FCR window ÷ handled inbound calls × 100."
        ),
        "percent",
    ),
    Figure("csat_mean", _("CSAT"), _("Mean post-call survey score (1 to 5)."), "score"),
    Figure(
        "csat_top2_percent",
        _("CSAT top two boxes"),
        _("Survey answers scoring 4 or 5 ÷ all survey answers × 100."),
        "percent",
    ),
    Figure(
        "containment_percent",
        _("IVR containment"),
        _("Calls that ended in the IVR without asking for an agent ÷ calls that entered the IVR × 100."),
        "percent",
    ),
    Figure(
        "occupancy_percent",
        _("Occupancy"),
        _("Time talking, on hold or in wrap-up ÷ (that time + time Ready) × 100, from the agents' state changes."),
        "percent",
    ),
    Figure(
        "blocked_rate",
        _("Blocked rate"),
        _("Calls refused because every channel of the trunk was busy ÷ call attempts on that trunk × 100."),
        "percent",
    ),
    Figure("transfers", _("Transfers"), _("Transfers made during the calls."), "count"),
    Figure("rona", _("RONA"), _("Offers an agent let ring out without answering (ring-no-answer)."), "count"),
    Figure("callbacks", _("Callbacks"), _("Callers who asked to be called back instead of waiting."), "count"),
    Figure("voicemails", _("Voicemails"), _("Messages callers left."), "count"),
)


def settings_lines(settings: dict[str, Any]) -> list[str]:
    """Human sentences stating the settings a set of figures was computed with (printed on every
    report and returned by the API as ``settings``)."""
    lines: list[str] = []
    thresholds = settings.get("sl_threshold_seconds") or {}
    if thresholds:
        values = sorted(set(thresholds.values()))
        if len(values) == 1:
            lines.append(str(_("Service level threshold T: %(t)s s.") % {"t": values[0]}))
        else:
            per_queue = ", ".join(f"{name} {t} s" for name, t in sorted(thresholds.items()))
            lines.append(str(_("Service level threshold T per queue: %(list)s.") % {"list": per_queue}))
    shorts = settings.get("short_abandon_seconds") or {}
    values = sorted(set(shorts.values()))
    limit = ", ".join(f"{v} s" for v in values) if values else "5 s"
    if settings.get("short_abandons_excluded", True):
        lines.append(
            str(
                _("Short abandons (hung up within %(limit)s) are left out of service level and abandon rate.")
                % {"limit": limit}
            )
        )
    else:
        lines.append(
            str(_("Short abandons (hung up within %(limit)s) are counted as abandoned calls.") % {"limit": limit})
        )
    lines.append(
        str(
            _("First-call resolution window: %(hours)s hours, same caller number and same queue.")
            % {"hours": settings.get("fcr_window_hours", 72)}
        )
    )
    if settings.get("fcr_resolved_counts", True):
        lines.append(
            str(_("A disposition that resolves the contact counts as resolved even if the caller calls again."))
        )
    else:
        lines.append(str(_("Dispositions do not change first-call resolution; only repeat calls do.")))
    if settings.get("time_zone"):
        lines.append(str(_("Days and intervals in the time zone %(zone)s.") % {"zone": settings["time_zone"]}))
    return lines
