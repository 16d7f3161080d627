"""The analysis selectors departments join on: flags, time range, annotations, filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tenants.utils import tenant_context

from apps.telephony.choices import CallAnalysisFlag, CallAnalysisStatus
from apps.telephony.models import Call, CallAnalysis
from apps.telephony.selectors.analysis import (
    analysis_of,
    call_ids_with_flags,
    calls_annotate_analysis,
    calls_filter_analysis,
)
from tests.telephony.call_factories import T0, stored_call


def _analysed(flags, *, minutes=0, status=CallAnalysisStatus.DONE, silence=0.0, overtalk=0) -> Call:
    call = stored_call(arrived_at=T0 + timedelta(minutes=minutes))
    CallAnalysis.objects.create(
        call=call,
        status=status,
        version="test",
        flags=list(flags),
        longest_silence_seconds=silence,
        overtalk_count=overtalk,
    )
    return call


@pytest.fixture
def calls(acme):
    with tenant_context(acme.tenant):
        made = {
            "dead": _analysed([CallAnalysisFlag.DEAD_AIR], minutes=0, silence=14.5),
            "both": _analysed([CallAnalysisFlag.DEAD_AIR, CallAnalysisFlag.OVERTALK], minutes=10, overtalk=7),
            "clean": _analysed([], minutes=20, silence=2.0),
            "failed": _analysed([], minutes=30, status=CallAnalysisStatus.FAILED),
            "late": _analysed([CallAnalysisFlag.LOUD], minutes=120),
            "none": stored_call(arrived_at=T0 + timedelta(minutes=40)),
        }
        yield made


def _ids(calls, *names):
    return {calls[name].pk for name in names}


def test_call_ids_with_any_flag(acme, calls):
    with tenant_context(acme.tenant):
        assert set(call_ids_with_flags([CallAnalysisFlag.DEAD_AIR])) == _ids(calls, "dead", "both")
        assert set(call_ids_with_flags(["overtalk", "loud"])) == _ids(calls, "both", "late")


def test_call_ids_with_every_flag(acme, calls):
    with tenant_context(acme.tenant):
        assert set(call_ids_with_flags(["dead_air", "overtalk"], match_all=True)) == _ids(calls, "both")


def test_call_ids_flagged_at_all_and_in_a_range(acme, calls):
    with tenant_context(acme.tenant):
        assert set(call_ids_with_flags()) == _ids(calls, "dead", "both", "late")
        window = call_ids_with_flags(None, T0 + timedelta(minutes=5), T0 + timedelta(minutes=60))
        assert set(window) == _ids(calls, "both")
        # A values queryset: joins in one query.
        assert set(Call.objects.filter(pk__in=call_ids_with_flags(["loud"])).values_list("uid", flat=True)) == {
            calls["late"].uid
        }


def test_annotation_and_filters(acme, calls):
    with tenant_context(acme.tenant):
        rows = {row.pk: row for row in calls_annotate_analysis(Call.objects.all())}
        assert rows[calls["dead"].pk].analysis_longest_silence_seconds == 14.5
        assert rows[calls["both"].pk].analysis_flags == ["dead_air", "overtalk"]
        assert rows[calls["none"].pk].analysis_flags is None
        base = Call.objects.all()
        assert set(calls_filter_analysis(base, flagged=True).values_list("pk", flat=True)) == _ids(
            calls, "dead", "both", "late"
        )
        assert set(calls_filter_analysis(base, flagged=False).values_list("pk", flat=True)) == _ids(calls, "clean")
        assert set(calls_filter_analysis(base, min_dead_air_seconds=10).values_list("pk", flat=True)) == _ids(
            calls, "dead"
        )
        assert set(calls_filter_analysis(base, min_overtalk_count=5).values_list("pk", flat=True)) == _ids(
            calls, "both"
        )
        assert set(calls_filter_analysis(base, analysed=False).values_list("pk", flat=True)) == _ids(
            calls, "failed", "none"
        )
        assert analysis_of(calls["none"]) is None
        assert analysis_of(Call.objects.get(pk=calls["failed"].pk)).status == "failed"
