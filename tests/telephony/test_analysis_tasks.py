"""The analysis pipeline in the database: queued when a recording is stored (simulated and SIP
paths), idempotent, failures stored not raised, the transcript seam, the backfill command and
generate_history's analysed recordings."""

from __future__ import annotations

import io
from datetime import date
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError
from apps.telephony.analysis import ANALYSER_VERSION
from apps.telephony.audio import CallScript, Segment, render, wav_bytes
from apps.telephony.choices import CallEndReason
from apps.telephony.models import Call, CallAnalysis, Recording, Transcript
from apps.telephony.services import cdr
from apps.telephony.services.analysis import analysis_apply_transcript, call_analyse
from apps.telephony.services.history import UID_PREFIX, history_generate
from apps.telephony.services.recordings import call_hold_spans, recording_create, recording_store_file
from apps.telephony.tasks import call_analyse_task
from tests.telephony.call_factories import at, make_agent, make_queue, uid


def _call(acme, *, talk=40.0, hold: tuple[float, float] | None = None) -> Call:
    """An answered, finished call: answered at 2 s, ``talk`` seconds of talk, and a hold
    ``(start, end)`` in seconds from the answer."""
    queue = make_queue(wrapup_seconds=0)
    agent = make_agent(acme.user("agent"))
    call = cdr.call_open(uid=uid(), direction="inbound", caller="13900000001", callee="400", at=at(0))
    cdr.call_queued(call, queue=queue, at=at(0))
    cdr.call_answered(call, agent=agent, at=at(2))
    held = 0.0
    if hold is not None:
        cdr.call_hold_start(call, at=at(2 + hold[0]))
        cdr.call_hold_stop(call, at=at(2 + hold[1]))
        held = hold[1] - hold[0]
    cdr.call_close(call, at=at(2 + talk + held), end_reason=CallEndReason.COMPLETED)
    return call


def test_storing_a_recording_queues_its_analysis(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        call = _call(acme)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            recording_create(call=call, duration_seconds=40, seed=1)
        assert len(callbacks) == 1
        assert not CallAnalysis.objects.filter(call=call).exists()  # not before the commit
        with django_capture_on_commit_callbacks(execute=True):
            callbacks[0]()
        analysis = CallAnalysis.objects.get(call=call)
        assert analysis.status == "done" and analysis.version == ANALYSER_VERSION
        assert analysis.channels == 2 and analysis.duration_seconds == pytest.approx(40, abs=0.01)
        assert analysis.agent_talk_seconds > 0 and analysis.caller_talk_seconds > 0
        assert analysis.segments["agent"] and analysis.segments["caller"]


def test_a_switch_recording_is_analysed_too(acme, tmp_path, django_capture_on_commit_callbacks):
    script = CallScript(duration=12.0, segments=[Segment(1, 5, "caller"), Segment(6, 11, "agent")])
    source = tmp_path / "sip.wav"
    source.write_bytes(wav_bytes(render(script, seed=2)))
    with tenant_context(acme.tenant):
        call = _call(acme, talk=12)
        with django_capture_on_commit_callbacks(execute=True):
            recording_store_file(call=call, path=source)
        analysis = CallAnalysis.objects.get(call=call)
        assert analysis.caller_talk_seconds == pytest.approx(4.0, abs=0.3)
        assert analysis.agent_talk_seconds == pytest.approx(5.0, abs=0.3)


def test_the_recording_has_hold_music_where_the_call_was_on_hold(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        call = _call(acme, talk=60, hold=(20.0, 45.0))
        assert call_hold_spans(call) == [(20.0, 45.0)]
        with django_capture_on_commit_callbacks(execute=True):
            recording_create(call=call, duration_seconds=85, seed=call.pk)
        analysis = CallAnalysis.objects.get(call=call)
        assert analysis.hold_music_seconds == pytest.approx(25.0, abs=0.3)
        (hold,) = analysis.segments["hold"]
        assert hold == [pytest.approx(20.0, abs=0.3), pytest.approx(45.0, abs=0.3)]


def test_the_task_is_idempotent(acme):
    with tenant_context(acme.tenant):
        call = _call(acme)
        recording_create(call=call, duration_seconds=30, seed=5)
        assert call_analyse_task(call.pk) == "done"
        first = CallAnalysis.objects.get(call=call)
        assert call_analyse_task(call.pk) == "done"
        again = CallAnalysis.objects.get(call=call)
        assert CallAnalysis.objects.filter(call=call).count() == 1
        assert again.pk == first.pk and again.analysed_at >= first.analysed_at
        assert (again.agent_talk_seconds, again.longest_silence_seconds, again.flags) == (
            first.agent_talk_seconds,
            first.longest_silence_seconds,
            first.flags,
        )


def test_a_corrupt_or_missing_file_is_recorded_as_a_failure(acme):
    with tenant_context(acme.tenant):
        call = _call(acme)
        recording = recording_create(call=call, duration_seconds=20, seed=2)
        call_analyse_task(call.pk)
        assert CallAnalysis.objects.get(call=call).talk_seconds > 0
        name = recording.file.name
        default_storage.delete(name)
        default_storage.save(name, ContentFile(b"RIFF garbage, not a wave file"))
        assert call_analyse_task(call.pk) == "failed"
        failed = CallAnalysis.objects.get(call=call)
        assert failed.error.startswith("corrupt:")
        assert failed.talk_seconds == 0 and failed.agent_talk_seconds is None and failed.flags == []
        default_storage.delete(name)
        assert call_analyse_task(call.pk) == "failed"  # and again: no exception, no retry loop
        assert CallAnalysis.objects.get(call=call).error.startswith("missing:")


def test_a_call_without_recording_or_gone(acme):
    with tenant_context(acme.tenant):
        call = _call(acme)
        assert call_analyse(call=call).status == "failed"
        assert call_analyse_task(10**9) == "gone"


# --- the transcript seam -------------------------------------------------------------------------

TRANSCRIPT = [
    {"channel": "agent", "start": 1.0, "end": 5.0, "text": "您好 这里是 客服 请问 有什么 可以 帮 您"},
    {"channel": "caller", "start": 6.0, "end": 9.0, "text": "I want to cancel my order"},
]


def test_a_transcript_adds_words_per_minute_to_the_audio_figures(acme):
    script = CallScript(duration=12.0, segments=[Segment(1, 5, "agent"), Segment(6, 9, "caller")])
    with tenant_context(acme.tenant):
        call = _call(acme, talk=12)
        Recording.objects.create(
            call=call, file=ContentFile(wav_bytes(render(script, seed=1)), name="t.wav"), duration_seconds=12
        )
        audio = call_analyse(call=call)
        analysis = analysis_apply_transcript(call=call, segments=TRANSCRIPT, source="vendor-asr", language="zh")
        assert analysis.agent_words_per_minute == pytest.approx(16 / (4 / 60), rel=0.01)  # 16 characters
        assert analysis.caller_words_per_minute == pytest.approx(6 / (3 / 60), rel=0.01)
        assert analysis.transcript_longest_gap_seconds == pytest.approx(3.0)  # 9-12 at the end
        assert analysis.agent_talk_seconds == audio.agent_talk_seconds  # the audio figures stay
        assert Transcript.objects.get(call=call).source == "vendor-asr"
        # Analysing the audio again keeps what the transcript gave.
        again = call_analyse(call=call)
        assert again.agent_words_per_minute == analysis.agent_words_per_minute


def test_a_transcript_alone_gives_the_timing_figures(acme):
    with tenant_context(acme.tenant):
        call = _call(acme, talk=12)
        analysis = analysis_apply_transcript(call=call, segments=TRANSCRIPT, source="manual")
        assert analysis.status == "done" and analysis.version.endswith("+transcript")
        assert analysis.agent_talk_seconds == pytest.approx(4.0)
        assert analysis.caller_talk_seconds == pytest.approx(3.0)
        assert analysis.longest_silence_seconds == pytest.approx(1.0)
        assert analysis.overtalk_count == 0


def test_a_bad_transcript_is_refused_and_nothing_changes(acme):
    with tenant_context(acme.tenant):
        call = _call(acme)
        with pytest.raises(ApplicationError) as refused:
            analysis_apply_transcript(call=call, segments=[{"channel": "x", "start": 0, "end": 1}], source="asr")
        assert "segments" in refused.value.fields
        with pytest.raises(ApplicationError) as no_source:
            analysis_apply_transcript(call=call, segments=TRANSCRIPT, source=" ")
        assert "source" in no_source.value.fields
        assert not Transcript.objects.filter(call=call).exists()
        assert not CallAnalysis.objects.filter(call=call).exists()


# --- backfill and history ------------------------------------------------------------------------


def test_the_backfill_command(acme):
    with tenant_context(acme.tenant):
        first, second = _call(acme, talk=10), _call(acme, talk=10)
        recording_create(call=first, duration_seconds=10, seed=1)
        recording_create(call=second, duration_seconds=10, seed=2)
        _call(acme)  # no recording: not touched
    out = StringIO()
    call_command("analyse_recordings", "--tenant", acme.tenant.slug, "--json", stdout=out)
    assert '"analysed": 2' in out.getvalue()
    with tenant_context(acme.tenant):
        stamps = dict(CallAnalysis.objects.values_list("call_id", "analysed_at"))
        assert set(stamps) == {first.pk, second.pk}
    out = StringIO()
    call_command("analyse_recordings", "--tenant", acme.tenant.slug, "--json", stdout=out)
    assert '"analysed": 0' in out.getvalue()  # nothing left to do
    call_command("analyse_recordings", "--tenant", acme.tenant.slug, "--all", stdout=StringIO())
    with tenant_context(acme.tenant):
        assert all(row.analysed_at > stamps[row.call_id] for row in CallAnalysis.objects.all())
    out = StringIO()
    call_command("analyse_recordings", "--tenant", acme.tenant.slug, "--all", "--since", "2099-01-01", stdout=out)
    assert out.getvalue().startswith("0 recording(s) analysed")


def test_generated_history_records_and_analyses_some_calls(acme, django_capture_on_commit_callbacks):
    result = history_generate(
        tenant=acme.tenant, days=1, calls_per_day=60, agents=3, seed=4, today=date(2026, 12, 3), recordings=4
    )
    assert result.recordings == 4 and result.as_dict()["recordings"] == 4
    with tenant_context(acme.tenant):
        recorded = Call.objects.filter(uid__startswith=UID_PREFIX, recording__isnull=False)
        assert recorded.count() == 4
        analyses = CallAnalysis.objects.filter(call__in=recorded, status="done")
        assert analyses.count() == 4
        for call in recorded:
            span = (call.ended_at - call.answered_at).total_seconds()
            assert call.recording.duration_seconds == pytest.approx(span, abs=0.01)
            with default_storage.open(call.recording.file.name) as handle:
                assert handle.read(4) == b"RIFF"
            held = sum(end - start for start, end in call_hold_spans(call))
            assert call.analysis.hold_music_seconds == pytest.approx(held, abs=0.6 * len(call_hold_spans(call)) + 0.01)
        names = [call.recording.file.name for call in recorded]
    # A re-run replaces the history: the old recordings' files go with their rows.
    with django_capture_on_commit_callbacks(execute=True):
        history_generate(
            tenant=acme.tenant, days=1, calls_per_day=60, agents=3, seed=4, today=date(2026, 12, 3), recordings=0
        )
    with tenant_context(acme.tenant):
        assert not Recording.objects.filter(call__uid__startswith=UID_PREFIX).exists()
    assert not any(default_storage.exists(name) for name in names)


def test_wav_bytes_round_trip():
    data = wav_bytes(render(CallScript(duration=1.0), seed=0))
    assert data[:4] == b"RIFF" and len(io.BytesIO(data).getvalue()) == 44 + 8000 * 4
