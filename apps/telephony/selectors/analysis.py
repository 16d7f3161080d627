"""Reads of the automatic call analysis for the call pages, the API and departments.

Departments (QA sampling, reports) use these functions rather than the model: they join on call
ids or annotate a call queryset, so nothing outside telephony needs to know the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F, QuerySet

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
