"""The what-if form (apps/telephony/views/whatif.py): the inputs of one simulated interval.

Every field is bounded so that one request cannot keep a web worker busy: the simulation costs
about 60 µs of CPU per simulated call, so the caps (``MAX_*``, and at most ``MAX_CALLS``
expected calls per run: arrivals per hour × hours) keep a run under about two seconds. The page
states the caps; a request beyond them is refused with the field's message, never truncated.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.telephony.services.routing import check_rings

MAX_AGENTS = 500
MAX_ARRIVALS_PER_HOUR = 5000
MAX_HOURS = 8
MAX_CALLS = 20_000  # arrivals per hour × hours
MAX_AHT_SECONDS = 3600
MAX_PATIENCE_SECONDS = 3600
MAX_SL_THRESHOLD_SECONDS = 600
PAIR_RE = re.compile(r"^(\d{1,4})[:：](\d{1,5})$")


class WhatIfForm(forms.Form):
    agents = forms.IntegerField(
        label=gettext_lazy("Agents"),
        min_value=1,
        max_value=MAX_AGENTS,
        initial=14,
    )
    arrivals_per_hour = forms.FloatField(
        label=gettext_lazy("Calls per hour"),
        min_value=1,
        max_value=MAX_ARRIVALS_PER_HOUR,
        initial=200,
    )
    aht_seconds = forms.FloatField(
        label=gettext_lazy("AHT (seconds)"),
        min_value=10,
        max_value=MAX_AHT_SECONDS,
        initial=180,
        help_text=gettext_lazy("Mean handle time of a call (exponentially distributed)."),
    )
    patience_seconds = forms.FloatField(
        label=gettext_lazy("Patience (seconds)"),
        min_value=0,
        max_value=MAX_PATIENCE_SECONDS,
        required=False,
        initial=60,
        help_text=gettext_lazy("How long callers wait on average before hanging up; empty or 0: they never hang up."),
    )
    sl_threshold_seconds = forms.IntegerField(
        label=gettext_lazy("Service level threshold (seconds)"),
        min_value=1,
        max_value=MAX_SL_THRESHOLD_SECONDS,
        initial=20,
    )
    sl_target_percent = forms.IntegerField(
        label=gettext_lazy("Service level target (%)"),
        min_value=1,
        max_value=99,
        initial=80,
        help_text=gettext_lazy("Erlang C names the agents needed to reach it."),
    )
    hours = forms.FloatField(
        label=gettext_lazy("Hours simulated"),
        min_value=0.25,
        max_value=MAX_HOURS,
        initial=1,
    )
    seed = forms.IntegerField(
        label=gettext_lazy("Seed"),
        min_value=0,
        max_value=2**31 - 1,
        initial=1,
        required=False,
        help_text=gettext_lazy("The same seed and inputs give the same run."),
    )

    strategy = forms.ChoiceField(
        label=gettext_lazy("Routing"),
        required=False,
        choices=[("", gettext_lazy("Longest idle")), ("bullseye", gettext_lazy("Bullseye (rings by skill level)"))],
        help_text=gettext_lazy("Bullseye needs the agents' levels and the rings."),
    )
    agent_levels = forms.CharField(
        label=gettext_lazy("Agents' skill levels"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Optional: level:count, e.g. 10:4, 6:6, 3:4 (the counts add up to the agents)."),
    )
    rings = forms.CharField(
        label=gettext_lazy("Bullseye rings"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "level:seconds, e.g. 9:0, 5:15, 1:30: level 9+ at once, 5+ after 15 s, anyone after 30 s."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Texts with the caps in them are written per request (a lazy text formatted at import
        # would be frozen in the language of the first import).
        self.fields["agents"].help_text = _("Agents Ready on the phones for the whole interval (at most %(n)d).") % {
            "n": MAX_AGENTS
        }
        self.fields["arrivals_per_hour"].help_text = _(
            "Mean arrivals per hour, at random (Poisson); at most %(n)d."
        ) % {"n": MAX_ARRIVALS_PER_HOUR}
        self.fields["hours"].help_text = _("At most %(hours)d hours and %(calls)s expected calls per run.") % {
            "hours": MAX_HOURS,
            "calls": f"{MAX_CALLS:,}",
        }

    def clean_agent_levels(self) -> tuple[int, ...]:
        levels: list[int] = []
        for level, count in _pairs(
            self.cleaned_data.get("agent_levels") or "", _("Write level:count, e.g. 10:4, 6:6.")
        ):
            if not 1 <= level <= 10 or count > MAX_AGENTS:
                raise forms.ValidationError(_("Levels go from 1 to 10."))
            levels += [level] * count
        return tuple(levels)

    def clean_rings(self) -> tuple[tuple[int, float], ...]:
        pairs = _pairs(self.cleaned_data.get("rings") or "", _("Write level:seconds, e.g. 9:0, 5:15, 1:30."))
        errors: dict[str, list[str]] = {}
        check_rings(pairs, errors)
        if errors:
            raise forms.ValidationError(errors["bullseye_rings"])
        return tuple((level, float(after)) for level, after in pairs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        levels, agents = data.get("agent_levels"), data.get("agents")
        if levels and agents is not None and len(levels) != agents:
            self.add_error(
                "agent_levels",
                _("These levels name %(n)d agents, not %(agents)d.") % {"n": len(levels), "agents": agents},
            )
        if data.get("strategy") == "bullseye":
            if "agent_levels" in data and not levels:
                self.add_error("agent_levels", _("Bullseye routes by skill level: give the agents' levels."))
            if "rings" in data and not data["rings"]:
                self.add_error("rings", _("Give the rings, e.g. 9:0, 5:15, 1:30."))
        elif data.get("rings"):
            self.add_error("rings", _("Rings are for the bullseye routing."))
        rate, hours = data.get("arrivals_per_hour"), data.get("hours")
        if rate is not None and hours is not None and rate * hours > MAX_CALLS:
            self.add_error(
                "hours",
                _("At most %(calls)s expected calls per run (calls per hour × hours); this would be %(asked)s.")
                % {"calls": f"{MAX_CALLS:,}", "asked": f"{round(rate * hours):,}"},
            )
        return data


def _pairs(text: str, message: str) -> list[tuple[int, int]]:
    """``10:4, 6:6`` (commas, semicolons or spaces between pairs) as [(10, 4), (6, 6)]."""
    pairs = []
    for part in re.split(r"[,，;；\s]+", text.strip()):
        match = PAIR_RE.match(part)
        if part and match is None:
            raise forms.ValidationError(message)
        if match is not None:
            pairs.append((int(match.group(1)), int(match.group(2))))
    return pairs
