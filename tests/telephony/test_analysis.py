"""The call analysis on synthetic audio made here, with known speech, silence, overtalk and hold.

The script below is the ground truth: who speaks when (voiced, formant-shaped syllables — what
webrtcvad takes for speech), where the caller hears hold music, where nobody says anything.
"""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from apps.telephony.analysis import AnalysisError, analyse_wav, flags_for, read_wav
from apps.telephony.analysis.thresholds import DEFAULTS
from apps.telephony.analysis.transcript import TranscriptError, count_words, parse_segments, transcript_figures
from apps.telephony.audio import CallScript, Segment, plan_call, render, synthesize_call_wav, wav_bytes

TALK = 0.3  # seconds of tolerance on talk and silence figures

SCRIPT = CallScript(
    duration=57.0,
    segments=[
        Segment(1.0, 5.0, "agent"),
        Segment(6.0, 9.5, "caller"),
        Segment(9.0, 12.0, "agent"),  # overtalk 9.0-9.5
        # 12.0-20.0: nobody speaks (8 s of dead air, the longest silence)
        Segment(20.0, 24.0, "caller"),
        Segment(23.2, 27.0, "agent"),  # overtalk 23.2-24.0
        Segment(28.0, 40.0, "hold"),  # hold music to the caller; the agent is silent
        Segment(41.0, 44.0, "agent"),
        Segment(45.0, 50.0, "caller"),
        Segment(49.9, 52.0, "agent"),  # 0.1 s: too short to count as overtalk
    ],
)
AGENT_TALK = 4.0 + 3.0 + 3.8 + 3.0 + 2.1
CALLER_TALK = 3.5 + 4.0 + 5.0
OVERLAP = 0.5 + 0.8 + 0.1


@pytest.fixture(scope="module", params=[0, 7])
def stereo(request):
    syllables: dict[str, int] = {}
    data = wav_bytes(render(SCRIPT, seed=request.param, syllables=syllables))
    return analyse_wav(data), syllables


def test_talk_per_party(stereo):
    result, _ = stereo
    assert result.channels == 2
    assert result.duration_seconds == pytest.approx(57.0, abs=0.01)
    assert result.agent_talk_seconds == pytest.approx(AGENT_TALK, abs=TALK)
    assert result.caller_talk_seconds == pytest.approx(CALLER_TALK, abs=TALK)
    assert result.talk_seconds == pytest.approx(AGENT_TALK + CALLER_TALK - OVERLAP, abs=TALK)
    assert result.agent_talk_ratio == pytest.approx(AGENT_TALK / (AGENT_TALK + CALLER_TALK), abs=0.02)


def test_longest_silence_is_the_dead_air_not_the_hold(stereo):
    result, _ = stereo
    assert result.longest_silence_seconds == pytest.approx(8.0, abs=TALK)


def test_overtalk_counts_only_long_enough_overlaps(stereo):
    result, _ = stereo
    assert result.overtalk_count == 2
    assert result.overtalk_seconds == pytest.approx(1.3, abs=TALK)
    assert [[round(a), round(b)] for a, b in result.segments["overtalk"]] == [[9, 10], [23, 24]]


def test_hold_music_is_told_apart_from_speech(stereo):
    result, _ = stereo
    assert result.hold_music_seconds == pytest.approx(12.0, abs=TALK)
    (hold,) = result.segments["hold"]
    assert hold == [pytest.approx(28.0, abs=TALK), pytest.approx(40.0, abs=TALK)]
    # The music on the caller's channel is not caller talk.
    assert not any(start < 39 and end > 29 for start, end in result.segments["caller"])


def test_speech_rate_proxy_follows_the_syllables_spoken(stereo):
    result, syllables = stereo
    spoken = syllables["agent"] / (AGENT_TALK / 60)
    assert result.agent_speech_rate_proxy == pytest.approx(spoken, rel=0.15)


def test_loudness_peaks():
    shouting = CallScript(duration=12.0, segments=[Segment(1, 5, "agent"), Segment(6, 11, "caller", loud=True)])
    result = analyse_wav(wav_bytes(render(shouting, seed=3)))
    assert result.caller_peak_dbfs > -3.0
    assert result.agent_peak_dbfs < result.caller_peak_dbfs - 6
    assert result.caller_loud_frames > DEFAULTS["loud_frames"]
    assert result.agent_loud_frames == 0
    assert "loud" in result.flags


def test_flags_follow_the_thresholds(stereo):
    result, _ = stereo
    assert result.flags == []  # 8 s of dead air, 2 overtalks, a balanced call: nothing to flag
    strict = {**DEFAULTS, "dead_air_seconds": 5.0, "overtalk_count": 1, "agent_talk_ratio_high": 0.5}
    assert flags_for(result, strict) == ["dead_air", "overtalk", "agent_talk_high"]
    lenient_ratio = {**DEFAULTS, "agent_talk_ratio_low": 0.7}
    assert flags_for(result, lenient_ratio) == ["agent_talk_low"]
    assert flags_for(result, {**DEFAULTS, "long_hold_seconds": 10}) == ["long_hold_music"]


def test_no_hold_music_in_calls_without_hold():
    for seed in (21, 22, 23):
        result = analyse_wav(synthesize_call_wav(120, seed=seed))
        assert result.hold_music_seconds == 0


def test_mono_degrades_to_figures_without_parties():
    result = analyse_wav(wav_bytes(render(SCRIPT, seed=0, channels=1)))
    assert result.channels == 1
    assert result.talk_seconds == pytest.approx(AGENT_TALK + CALLER_TALK - OVERLAP, abs=TALK)
    assert result.longest_silence_seconds == pytest.approx(8.0, abs=TALK)
    assert result.hold_music_seconds == pytest.approx(12.0, abs=TALK)
    assert result.agent_talk_seconds is None and result.caller_talk_seconds is None
    assert result.overtalk_count is None and result.agent_talk_ratio is None
    assert result.agent_speech_rate_proxy is None
    assert "overtalk" not in result.flags


def test_silence_only_and_empty_recordings():
    quiet = analyse_wav(wav_bytes(render(CallScript(duration=15.0), seed=1)))
    assert quiet.talk_seconds == 0 and quiet.agent_talk_ratio is None
    assert quiet.longest_silence_seconds == pytest.approx(15.0, abs=0.05)
    assert quiet.flags == ["dead_air"]
    empty = analyse_wav(wav_bytes(np.zeros((0, 2), dtype="<i2")))
    assert empty.duration_seconds == 0 and empty.talk_seconds == 0 and empty.flags == []


@pytest.mark.parametrize(
    "data, code",
    [
        (b"", "corrupt"),
        (b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk", "corrupt"),
        (b"this is not audio at all" * 10, "corrupt"),
    ],
)
def test_unreadable_files_raise_a_clear_error(data, code):
    with pytest.raises(AnalysisError) as caught:
        analyse_wav(data)
    assert caught.value.code == code


def test_formats_the_vad_cannot_take_are_refused():
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(11025)
        wav.writeframes(b"\x00\x00" * 2 * 11025)
    with pytest.raises(AnalysisError) as caught:
        analyse_wav(buffer.getvalue())
    assert caught.value.code == "format"
    with pytest.raises(AnalysisError) as missing:
        read_wav("/nonexistent/recording.wav")
    assert missing.value.code == "missing"


def test_a_truncated_wav_is_analysed_as_far_as_it_goes():
    data = synthesize_call_wav(10, seed=4)
    result = analyse_wav(data[: len(data) // 2 + 1])  # the header promises more than there is
    assert result.duration_seconds == pytest.approx(5.0, abs=0.01)


# --- the simulated switch's script ---------------------------------------------------------------


def test_the_script_puts_hold_music_where_the_timeline_says():
    script = plan_call(300, seed=5, holds=[(40.0, 70.5), (200.0, 230.0)])
    assert [(s.start, s.end) for s in script.of("hold")] == [(40.0, 70.5), (200.0, 230.0)]
    for hold in script.of("hold"):
        assert not any(s.start < hold.end and s.end > hold.start for s in script.of("agent") + script.of("caller"))
    assert script.of("agent") and script.of("caller")
    assert all(0 <= s.start < s.end <= 300 for s in script.segments)


def test_the_recording_is_stereo_with_the_hold_on_the_callers_channel():
    data = synthesize_call_wav(90, seed=8, holds=[(30.0, 50.0)])
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    hold = samples[31 * 8000 : 49 * 8000].astype(np.float64)
    level = np.sqrt((hold**2).mean(axis=0))
    assert level[0] > 1000 > 50 > level[1]  # music on the left (caller), line noise on the right (agent)
    result = analyse_wav(data)
    assert result.hold_music_seconds == pytest.approx(20.0, abs=TALK)


def test_the_same_seed_gives_the_same_bytes():
    assert synthesize_call_wav(20, seed=3, holds=[(5, 9)]) == synthesize_call_wav(20, seed=3, holds=[(5, 9)])
    assert synthesize_call_wav(20, seed=3) != synthesize_call_wav(20, seed=4)


def test_speech_is_what_webrtcvad_takes_for_speech():
    import webrtcvad

    script = CallScript(duration=6.0, segments=[Segment(0.5, 5.5, "agent")])
    agent = render(script, seed=2)[:, 1]
    vad = webrtcvad.Vad(3)  # the strictest mode
    frames = agent[int(0.6 * 8000) : int(5.4 * 8000)].reshape(-1, 240)
    voiced = sum(vad.is_speech(frame.tobytes(), 8000) for frame in frames)
    assert voiced / len(frames) > 0.9


# --- the transcript seam -------------------------------------------------------------------------


def test_words_are_counted_for_chinese_and_english():
    assert count_words("您好，请问有什么可以帮您？") == 11
    assert count_words("Hello, how can I help you today?") == 7
    assert count_words("订单号 A1234 已经 shipped") == 7


def test_transcript_figures_from_segment_timings():
    segments = parse_segments(
        [
            {"channel": "agent", "start": 0.5, "end": 3.5, "text": "您好，这里是客服中心，请问有什么可以帮您"},
            {
                "channel": "caller",
                "start": 4.0,
                "end": 8.0,
                "text": "I would like to change my delivery address please",
            },
            {"channel": "agent", "start": 7.5, "end": 9.5, "text": "好的，没问题"},
            {"channel": "caller", "start": 21.5, "end": 23.5, "text": "thank you"},
        ]
    )
    figures = transcript_figures(segments, duration=25.0, hold=[[10.0, 16.0]], params=DEFAULTS)
    assert figures["agent_talk_seconds"] == pytest.approx(5.0)
    assert figures["caller_talk_seconds"] == pytest.approx(6.0)
    assert figures["overtalk_count"] == 1 and figures["overtalk_seconds"] == pytest.approx(0.5)
    # Gaps: 9.5-10 and 16-21.5 (hold 10-16 left out): the longest is 5.5 s.
    assert figures["longest_gap_seconds"] == pytest.approx(5.5)
    assert figures["agent_words_per_minute"] == pytest.approx((18 + 5) / (5.0 / 60), rel=0.01)
    assert figures["caller_words_per_minute"] == pytest.approx((9 + 2) / (6.0 / 60), rel=0.01)


@pytest.mark.parametrize(
    "raw",
    [
        "not a list",
        [{"channel": "robot", "start": 0, "end": 1, "text": ""}],
        [{"channel": "agent", "start": 2, "end": 1, "text": ""}],
        [{"channel": "agent", "start": "soon", "end": 1, "text": ""}],
        [{"channel": "agent", "end": 1, "text": ""}],
        [{"channel": "agent", "start": 0, "end": float("nan"), "text": ""}],
        [{"channel": "agent", "start": 0, "end": 1, "text": 5}],
    ],
)
def test_bad_transcripts_are_refused(raw):
    with pytest.raises(TranscriptError):
        parse_segments(raw)
