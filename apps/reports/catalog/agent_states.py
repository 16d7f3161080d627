"""Agent state detail: how long each agent was Ready, ringing, talking, on hold, in wrap-up and
Not ready, and the Not-ready time per pause reason, from the agents' state changes
(``AgentStateEvent``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.reports.catalog.common import calls_url, chart_spec, params_filters
from apps.reports.definitions import FIGURES
from apps.reports.registry import Column, Report, ReportParams, register
from apps.reports.selectors.details import STATE_ORDER, agent_names, agent_state_times, pause_reason_names
from apps.telephony.choices import AgentState

NO_REASON = "reason_none"
# States whose time is spent on calls: their figures open the agent's calls.
CALL_STATES = (AgentState.RESERVED, AgentState.TALKING, AgentState.HOLD, AgentState.WRAP_UP)


def _state_key(state: str) -> str:
    return f"state_{state}"


@register
class AgentStates(Report):
    code = "agent_states"
    title = _("Agent states")
    description = _("Time each agent spent in each state, and their Not-ready time per pause reason.")
    filters = ("since", "until", "agent")

    def _data(self, params: ReportParams) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
        times = agent_state_times(since=params.since, until=params.until, agent_ids=params.agent_ids or None)
        return times, pause_reason_names()

    def _reason_columns(self, times: dict[int, dict[str, Any]], reasons: dict[int, str]) -> list[Column]:
        used = {reason for entry in times.values() for reason, seconds in entry["reasons"].items() if seconds}
        columns = [
            Column(f"reason_{reason}", _("Not ready: %(reason)s") % {"reason": name}, "seconds")
            for reason, name in reasons.items()
            if reason in used
        ]
        if None in used:
            columns.append(Column(NO_REASON, _("Not ready: no reason recorded"), "seconds"))
        return columns

    def columns(self, params: ReportParams) -> list[Column]:
        times, reasons = self._data(params)
        return [
            Column("label", _("Agent")),
            *[Column(_state_key(state), AgentState(state).label, "seconds") for state in STATE_ORDER],
            Column("occupancy_percent", FIGURES["occupancy_percent"].label, "percent"),
            Column("changes", _("State changes"), "count"),
            *self._reason_columns(times, reasons),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        times, _reasons = self._data(params)
        names = agent_names(list(times))
        rows = []
        for agent_id, entry in times.items():
            states = entry["states"]
            row: dict[str, Any] = {"key": agent_id, "label": names.get(agent_id, "—"), "changes": entry["changes"]}
            for state in STATE_ORDER:
                row[_state_key(state)] = round(states.get(state, 0.0))
            busy = sum(states.get(state, 0.0) for state in (AgentState.TALKING, AgentState.HOLD, AgentState.WRAP_UP))
            ready = states.get(AgentState.READY, 0.0)
            row["occupancy_percent"] = round(busy / (busy + ready) * 100, 2) if busy + ready else None
            for reason, seconds in entry["reasons"].items():
                row[NO_REASON if reason is None else f"reason_{reason}"] = round(seconds)
            rows.append(row)
        return sorted(rows, key=lambda row: str(row["label"]))

    def display(self, column_key: str, value: Any) -> str | None:
        """How the page prints a cell (the files keep seconds): a day of state times reads as
        hours, minutes and seconds ("7:41:05"), not as 27665 seconds."""
        if not (column_key.startswith("state_") or column_key.startswith("reason_")) or value is None:
            return None
        seconds = int(round(value))
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not rows:
            return None
        return chart_spec(
            self.title,
            [str(row["label"]) for row in rows],
            [(AgentState(state).label, [row.get(_state_key(state)) for row in rows]) for state in STATE_ORDER],
            "seconds",
            "stacked_bar",
        )

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        return [
            (
                str(_("Time in a state")),
                str(
                    _(
                        "Seconds from each state change to the next, counted on the day the state ended; "
                        "a state still going on at the end of the period is counted when it ends."
                    )
                ),
            ),
            (str(FIGURES["occupancy_percent"].label), str(FIGURES["occupancy_percent"].definition)),
            (
                str(_("Not ready per reason")),
                str(_("Not-ready seconds by the pause reason the agent chose when going Not ready.")),
            ),
        ]

    def drill_url(self, params: ReportParams, row: dict[str, Any], column_key: str) -> str | None:
        if column_key not in {_state_key(state) for state in CALL_STATES} or row.get("key") is None:
            return None
        return calls_url(params.since, params.until, **{**params_filters(params), "agent": row["key"]})
