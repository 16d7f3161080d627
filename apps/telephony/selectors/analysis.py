"""Reads of the automatic call analysis for the call pages, the API and departments.

Departments (QA sampling, reports) use these functions rather than the model: they join on call
ids or annotate a call queryset, so nothing outside telephony needs to know the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.telephony.analysis.thresholds import analysis_settings
from apps.telephony.choices import CallAnalysisFlag, CallAnalysisStatus
from apps.telephony.models import Call, CallAnalysis

# What departments may ask for; ``CallAnalysisFlag.choices`` gives their (translated) labels.
ANALYSIS_FLAGS: tuple[str, ...] = tuple(CallAnalysisFlag.values)

# Field → annotation name on a Call queryset (see :func:`calls_annotate_analysis`).
ANNOTATED_FIELDS = {
    "flags": "analysis_flags",
    "status": "analysis_status",
    "talk_seconds": "analysis_talk_seconds",
    "agent_talk_seconds": "analysis_agent_talk_seconds",
    "caller_talk_seconds": "analysis_caller_talk_seconds",
    "agent_talk_ratio": "analysis_agent_talk_ratio",
    "longest_silence_seconds": "analysis_longest_silence_seconds",
    "overtalk_count": "analysis_overtalk_count",
    "overtalk_seconds": "analysis_overtalk_seconds",
    "agent_speech_rate_proxy": "analysis_agent_speech_rate_proxy",
    "hold_music_seconds": "analysis_hold_music_seconds",
    "agent_peak_dbfs": "analysis_agent_peak_dbfs",
    "caller_peak_dbfs": "analysis_caller_peak_dbfs",
}


def analysis_of(call: Call) -> CallAnalysis | None:
    """The call's analysis (done or failed), or None when it has not been analysed yet."""
    try:
        return call.analysis  # type: ignore[attr-defined]  # reverse one-to-one
    except ObjectDoesNotExist:
        return None


def analyses_done() -> QuerySet[CallAnalysis]:
    return CallAnalysis.objects.filter(status=CallAnalysisStatus.DONE)


def call_ids_with_flags(
    flags: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    match_all: bool = False,
) -> QuerySet:
    """Ids of analysed calls carrying any (``match_all``: every one) of ``flags``, arrived in
    ``[since, until)``. ``flags`` None or empty: every call with at least one flag. A values
    queryset, so ``Call.objects.filter(pk__in=call_ids_with_flags(...))`` stays one SQL query."""
    analyses = analyses_done()
    wanted = [flag for flag in (flags or ()) if flag]
    if not wanted:
        analyses = analyses.exclude(flags=[])
    elif match_all:
        analyses = analyses.filter(flags__contains=wanted)
    else:
        analyses = analyses.filter(flags__overlap=wanted)
    if since is not None:
        analyses = analyses.filter(call__arrived_at__gte=since)
    if until is not None:
        analyses = analyses.filter(call__arrived_at__lt=until)
    return analyses.values_list("call_id", flat=True)


def calls_annotate_analysis(calls: QuerySet[Call]) -> QuerySet[Call]:
    """``calls`` with the analysis figures as ``analysis_<field>`` (None where a call has no
    analysis yet; a failed analysis has status ``failed`` and empty figures)."""
    return calls.annotate(**{name: F(f"analysis__{field}") for field, name in ANNOTATED_FIELDS.items()})


def calls_filter_analysis(
    calls: QuerySet[Call],
    *,
    flags: Iterable[str] | None = None,
    flagged: bool | None = None,
    min_dead_air_seconds: float | None = None,
    min_overtalk_count: int | None = None,
    analysed: bool | None = None,
) -> QuerySet[Call]:
    """Narrow a call queryset by its analysis (the call list's filters, QA sampling rules)."""
    if analysed is not None:
        calls = (
            calls.filter(analysis__status=CallAnalysisStatus.DONE)
            if analysed
            else calls.exclude(analysis__status=CallAnalysisStatus.DONE)
        )
    wanted = [flag for flag in (flags or ()) if flag]
    if wanted:
        calls = calls.filter(analysis__status=CallAnalysisStatus.DONE, analysis__flags__overlap=wanted)
    if flagged is True:
        calls = calls.filter(analysis__status=CallAnalysisStatus.DONE).exclude(analysis__flags=[])
    elif flagged is False:
        calls = calls.filter(analysis__status=CallAnalysisStatus.DONE, analysis__flags=[])
    if min_dead_air_seconds is not None:
        calls = calls.filter(analysis__longest_silence_seconds__gte=min_dead_air_seconds)
    if min_overtalk_count is not None:
        calls = calls.filter(analysis__overtalk_count__gte=min_overtalk_count)
    return calls


# --- the call page's card ------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    definition: str


def _seconds(value: float | None) -> str:
    return "—" if value is None else _("%(n)s s") % {"n": f"{value:.1f}"}


def analysis_figures(analysis: CallAnalysis) -> list[Figure]:
    """The figures of a done analysis in words, each with what it means (the call page's card)."""
    figures = [
        Figure(_("Agent talk"), _seconds(analysis.agent_talk_seconds), _("Time the agent's channel carries speech.")),
        Figure(
            _("Caller talk"), _seconds(analysis.caller_talk_seconds), _("Time the caller's channel carries speech.")
        ),
        Figure(
            _("Agent share of talk"),
            "—" if analysis.agent_talk_ratio is None else f"{analysis.agent_talk_ratio * 100:.0f}%",
            _("Agent talk divided by agent plus caller talk."),
        ),
        Figure(
            _("Longest silence"),
            _seconds(analysis.longest_silence_seconds),
            _("The longest stretch where neither party speaks and no hold music plays (dead air)."),
        ),
        Figure(
            _("Overtalk"),
            "—"
            if analysis.overtalk_count is None
            else ngettext("%(n)d time, %(s)s", "%(n)d times, %(s)s", analysis.overtalk_count)
            % {"n": analysis.overtalk_count, "s": _seconds(analysis.overtalk_seconds)},
            _("Both parties speak at once for at least %(min)s s.")
            % {"min": analysis_settings()["min_overtalk_seconds"]},
        ),
        Figure(
            _("Hold music"),
            _seconds(analysis.hold_music_seconds),
            _("Steady tonal sound (music on hold) on a channel: not counted as talk or silence."),
        ),
    ]
    if analysis.agent_words_per_minute is not None:
        figures.append(
            Figure(
                _("Agent words per minute"),
                f"{analysis.agent_words_per_minute:.0f}",
                _("From the transcript: words (each Chinese character counts as one) per minute of agent speech."),
            )
        )
    elif analysis.agent_speech_rate_proxy is not None:
        figures.append(
            Figure(
                _("Agent speech rate (proxy)"),
                _("%(n)s peaks/min") % {"n": f"{analysis.agent_speech_rate_proxy:.0f}"},
                _("Syllable-like loudness peaks per minute of agent talk; an estimate, not a word count."),
            )
        )
    peaks = [
        (_("agent"), analysis.agent_peak_dbfs, analysis.agent_loud_frames),
        (_("caller"), analysis.caller_peak_dbfs, analysis.caller_loud_frames),
    ]
    figures.append(
        Figure(
            _("Loudness peaks"),
            "; ".join(
                _("%(party)s %(peak)s dBFS, %(n)d loud frames")
                % {"party": party, "peak": "—" if peak is None else f"{peak:.1f}", "n": loud}
                for party, peak, loud in peaks
                if peak is not None or loud
            )
            or "—",
            _("The highest sample level (0 dBFS is the loudest possible) and the frames louder than %(db)s dBFS.")
            % {"db": analysis_settings()["loud_dbfs"]},
        )
    )
    return figures


@dataclass(frozen=True)
class Share:
    kind: str
    label: str
    seconds: float
    x: float  # percent of the recording from the left, for the bar
    width: float


def analysis_shares(analysis: CallAnalysis) -> list[Share]:
    """Agent talk only, caller talk only, both, hold and silence as parts of the recording (the
    card's talk bar; they add up to the whole)."""
    total = analysis.duration_seconds or 0
    if total <= 0 or analysis.agent_talk_seconds is None or analysis.caller_talk_seconds is None:
        return []
    both = analysis.overtalk_seconds or 0
    parts = [
        ("agent", _("Agent"), analysis.agent_talk_seconds - both),
        ("overtalk", _("Both"), both),
        ("caller", _("Caller"), analysis.caller_talk_seconds - both),
        ("hold", _("Hold music"), analysis.hold_music_seconds),
        ("silence", _("Silence"), analysis.silence_seconds),
    ]
    shares, x = [], 0.0
    for kind, label, seconds in parts:
        width = max(0.0, seconds) / total * 100
        shares.append(Share(kind, label, round(max(0.0, seconds), 1), round(x, 2), round(width, 2)))
        x += width
    return shares


def analysis_flag_labels(flags: Iterable[str]) -> list[tuple[str, str]]:
    labels = dict(CallAnalysisFlag.choices)
    return [(flag, str(labels.get(flag, flag))) for flag in flags]
