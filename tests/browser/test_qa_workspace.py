"""Issue 14 item 2 in a real browser: a QA analyst opens an agent's recorded call from the QA
home, plays the stereo recording on the two-channel waveform (caller and agent labelled), adds a
comment at the playback time, seeks back by clicking it, answers the scorecard while the score
follows live (the server scores it), and submits; the database holds the evaluation with its
score and the comment at that moment, the recording's play is logged once, and the page raised
no JavaScript error nor Content-Security-Policy violation (the waveform's style rides on the
page's nonce).

The helpers (:func:`qa_scene`, :func:`score_on_the_player`) are meant to be reused by the tests
that continue the flow (the agent acknowledging or disputing the evaluation)."""

from __future__ import annotations

import math
import os
import struct
import tempfile
import wave
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import SLUG, log_in, wait_until
from tests.conftest import PASSWORD

RATE = 8000
SECONDS = 8.0


def stereo_wav(path: Path, *, seconds: float = SECONDS) -> None:
    """A two-channel 8 kHz WAV as the switch records: the caller (left) speaks first, the agent
    (right) answers after a pause, then both at once for a moment (overtalk)."""
    frames = bytearray()
    for n in range(int(seconds * RATE)):
        t = n / RATE
        caller = 0.5 * math.sin(2 * math.pi * 440 * t) if t < 2.5 or 6.0 <= t < 6.8 else 0.0
        agent = 0.5 * math.sin(2 * math.pi * 660 * t) if 3.0 <= t < 7.2 else 0.0
        frames += struct.pack("<hh", int(caller * 32767), int(agent * 32767))
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(bytes(frames))


@dataclass
class QaScene:
    """An analyst, a published scorecard and the walk agent's finished call with a stereo recording."""

    analyst_email: str
    scorecard_id: int
    question_ids: list[int]
    call_uid: str
    recording_id: int


def qa_scene(walk, *, uid: str = "walk-qa-1") -> QaScene:
    """Create (once per module: the walk tenant lives for the module) what the QA pages need."""
    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.telephony.models import Agent, Call, PhoneNumber, Queue
    from apps.telephony.services import cdr
    from apps.telephony.services.recordings import recording_store_file
    from tests.qa.factories import make_scorecard, question_ids

    def create() -> QaScene:
        email = f"analyst@{SLUG}.test"
        if not User.objects.filter(email=email).exists():
            User.objects.create_user(email, PASSWORD, name="Quinn Analyst", roles=[Role.QA])
        scorecard = make_scorecard(name="Inbound service")
        call = Call.objects.filter(uid=uid).first()
        if call is None:
            number = PhoneNumber.objects.get()
            start = timezone.now() - timedelta(hours=3)
            call = cdr.call_open(
                uid=uid,
                direction="inbound",
                caller="13900139077",
                callee=number.number,
                trunk=number.trunk_id,
                number=number,
                at=start,
            )
            cdr.call_queued(call, queue=Queue.objects.get(pk=walk.queue_id), at=start + timedelta(seconds=2))
            cdr.call_answered(call, agent=Agent.objects.get(pk=walk.agent_id), at=start + timedelta(seconds=6))
            cdr.call_close(call, at=start + timedelta(seconds=6 + SECONDS), end_reason="completed", wrapup=True)
            cdr.call_wrapup_end(call, at=start + timedelta(seconds=30), disposition="resolved")
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "call.wav"
                stereo_wav(path)
                recording_store_file(call=call, path=path)
        return QaScene(
            analyst_email=email,
            scorecard_id=scorecard.pk,
            question_ids=question_ids(scorecard),
            call_uid=call.uid,
            recording_id=call.recording.pk,
        )

    return walk.read(create)


def shot(page, name: str) -> None:
    """A full-page screenshot when SCREENSHOT_DIR is set (to look at the page; never asserted)."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def csp_violations(page) -> list[str]:
    """Console messages of refused content (an inline style or script the policy blocked)."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: found.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return found


def player_time(page) -> float:
    return page.evaluate("window.qaWorkspace.player.time()")


def answer(page, question_id: int, value: str) -> None:
    """Click an answer button (a radio drawn as a toggle) of a question."""
    page.locator(f'fieldset[data-question="{question_id}"] label.qa-choice[data-value="{value}"]').click()


def expect_score(page, text: str) -> None:
    expect(page.locator("#qa-score-overall")).to_have_text(text)


def score_on_the_player(page, scene: QaScene, *, comment: str) -> float:
    """On the open workspace: play, pause, comment at that moment, seek back to it by clicking the
    comment, answer the default scorecard with the section-critical check failed (score 75.00),
    and submit. Returns the comment's moment in seconds."""
    player = page.locator("#qa-player")
    expect(player).to_have_attribute("data-ready", "true")
    expect(page.locator("#qa-speed")).to_be_enabled()

    # Play at double speed until well into the call, then pause.
    page.locator("#qa-speed").select_option("2")
    page.locator("#qa-play").click()
    expect(page.locator("#qa-play")).to_have_attribute("aria-pressed", "true")
    wait_until(lambda: player_time(page) > 1.5, "the recording to play")
    page.locator("#qa-play").click()
    expect(page.locator("#qa-play")).to_have_attribute("aria-pressed", "false")
    at = player_time(page)
    assert page.evaluate("window.qaWorkspace.player.audio.playbackRate") == 2

    # A comment at that moment: the button says when.
    clock = page.evaluate(f"window.qaWorkspace.clock({at})")
    page.locator("#qa-comment-text").fill(comment)
    expect(page.locator("#qa-comment-add")).to_have_text(f"Add at {clock}")
    page.locator("#qa-comment-add").click()
    added = page.locator("#qa-comment-list li", has_text=comment)
    expect(added.locator("button.qa-seek")).to_have_text(clock)

    # Move away on the keyboard (End), then the comment's time seeks back to it.
    page.locator("#qa-wave-canvas").focus()
    page.keyboard.press("End")
    wait_until(lambda: player_time(page) > at + 1, "the keyboard to move the player")
    added.locator("button.qa-seek").click()
    wait_until(lambda: abs(player_time(page) - at) < 0.75, "the comment to seek the player")
    page.evaluate("window.qaWorkspace.player.pause()")

    # The live score follows each answer (scored by the server).
    q = scene.question_ids
    expect_score(page, "—")
    answer(page, q[0], "yes")
    expect_score(page, "100.00")
    answer(page, q[2], "no")  # the section-critical identity check fails: Greeting drops to 0
    expect_score(page, "0.00")
    expect(page.locator("#qa-critical")).to_be_visible()
    answer(page, q[1], "na")
    answer(page, q[3], "5")
    page.locator(f'input[name="q_{q[4]}"]').fill("10")
    answer(page, q[5], "yes")
    expect_score(page, "75.00")
    expect(page.locator(f'output[data-section-score="{scene_section(page, q[0])}"]').first).to_have_text("0.00")

    page.locator("#id_summary").fill("Identity not verified before the account was discussed.")
    shot(page, "qa-workspace.png")
    page.locator("#qa-submit").click()
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("button.confirm-ok").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/qa"))
    expect(page.locator(".messages")).to_contain_text("Evaluation submitted. Score: 75.00.")
    return at


def scene_section(page, question_id: int) -> str:
    return page.locator(f'fieldset[data-question="{question_id}"]').evaluate(
        "node => node.closest('fieldset.qa-section').getAttribute('data-section')"
    )


def test_an_analyst_scores_a_call_on_the_player(walk, new_page):
    from apps.qa.models import Evaluation
    from apps.telephony.models import RecordingAccess

    scene = qa_scene(walk)
    page = new_page()
    violations = csp_violations(page)
    log_in(page, scene.analyst_email, "/qa/")

    # From the QA home's call picker to the workspace.
    page.get_by_label("Call ID").fill(scene.call_uid)
    page.locator("#qa-picker button[type=submit]").click()
    row = page.locator(f'#qa-picker tr[data-call="{scene.call_uid}"]')
    expect(row).to_contain_text("Wendy Agent")
    row.get_by_role("link", name="Evaluate").click()
    page.wait_for_url(lambda url: f"/qa/evaluate/{scene.call_uid}/" in url)

    # Both channels drawn, and labelled.
    expect(page.locator("#qa-player")).to_have_attribute("data-ready", "true")
    expect(page.locator('.qa-channel[data-channel="0"]')).to_have_text("Caller")
    expect(page.locator('.qa-channel[data-channel="1"]')).to_have_text("Agent")
    assert page.evaluate("window.qaWorkspace.player.channels") == 2
    assert page.locator("#qa-wave-canvas canvas").count() >= 2
    expect(page.locator("#qa-duration")).to_have_text("0:08")

    at = score_on_the_player(page, scene, comment="Account discussed before the identity check")

    def stored():
        evaluation = Evaluation.objects.filter(call__uid=scene.call_uid).first()
        if evaluation is None:
            return None
        return (
            evaluation.status,
            evaluation.score,
            evaluation.critical_failed,
            [(c.at_seconds, c.text) for c in evaluation.comments.all()],
            evaluation.answers.count(),
            evaluation.evaluator.email,
            evaluation.summary,
        )

    status, score, critical, comments, answers, evaluator, summary = wait_until(
        lambda: walk.read(stored), "the evaluation"
    )
    assert status == "submitted"
    assert score == Decimal("75.0000") and critical is True
    assert len(comments) == 1 and comments[0][1] == "Account discussed before the identity check"
    assert abs(comments[0][0] - at) < 0.02
    assert answers == 6 and evaluator == scene.analyst_email
    assert summary == "Identity not verified before the account was discussed."
    # One signed-link fetch feeds both the waveform and the audio element: one logged play.
    plays = walk.read(
        lambda: list(RecordingAccess.objects.filter(recording_id=scene.recording_id).values_list("action", flat=True))
    )
    assert plays == ["play"]
    # The submitted evaluation is listed on the home page.
    expect(page.locator("#qa-submitted")).to_contain_text("75.00")
    shot(page, "qa-home.png")

    assert page.js_errors == []
    assert violations == [], violations


def test_without_the_waveform_library_the_browsers_player_plays(walk, new_page):
    """node_modules absent (or the library not loading): the same page plays the recording in
    the browser's own audio controls; the time, the speed and the comments still work."""
    scene = qa_scene(walk, uid="walk-qa-2")
    page = new_page()
    page.route("**/static/wavesurfer/**", lambda route: route.abort())
    log_in(page, scene.analyst_email, f"/qa/evaluate/{scene.call_uid}/?scorecard={scene.scorecard_id}")

    expect(page.locator("#qa-player")).to_have_attribute("data-ready", "true")
    expect(page.locator("#qa-audio")).to_be_visible()
    expect(page.locator("#qa-wave")).to_be_hidden()
    page.locator("#qa-speed").select_option("0.5")
    page.locator("#qa-play").click()
    wait_until(lambda: player_time(page) > 0.3, "the recording to play")
    page.locator("#qa-play").click()
    assert page.evaluate("window.qaWorkspace.player.audio.playbackRate") == 0.5
    page.locator("#qa-comment-text").fill("Heard without the waveform")
    page.locator("#qa-comment-add").click()
    expect(page.locator("#qa-comment-list li button.qa-seek")).to_have_count(1)
    assert page.js_errors == []
