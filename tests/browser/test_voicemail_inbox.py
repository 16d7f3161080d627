"""The voicemail inbox in Chromium: the supervisor's player plays the stored message through its
signed link (the browser decodes the WAV and plays it to the end), which marks it heard."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.browser.conftest import log_in, wait_until

SECONDS = 2.5


def _leave_message(walk) -> int:
    from apps.telephony.audio import synthesize_wav
    from apps.telephony.models import Voicemail
    from apps.telephony.services import cdr
    from apps.telephony.services.voicemail import voicemail_store_audio

    def make() -> int:
        at = timezone.now() - timedelta(minutes=3)
        call = cdr.call_open(uid="walk-voicemail-1", direction="inbound", caller="13912300001", callee="400", at=at)
        cdr.call_event(call, "voicemail", at=at, queue_id=walk.queue_id)
        cdr.call_close(call, at=at + timedelta(seconds=10), end_reason="voicemail")
        voicemail = Voicemail.objects.create(call=call, queue_id=walk.queue_id, caller=call.caller)
        voicemail_store_audio(voicemail=voicemail, data=synthesize_wav(SECONDS, seed=3), duration_seconds=SECONDS)
        return voicemail.pk

    return walk.read(make)


def test_the_supervisor_plays_a_message_in_the_inbox_and_it_is_heard(walk, new_page):
    from apps.telephony.models import Voicemail, VoicemailAccess

    pk = _leave_message(walk)
    page = new_page()
    log_in(page, walk.supervisor_email, "/calls/voicemails/")
    row = page.locator(f'tr[data-voicemail="{pk}"]')
    assert "13912300001" in row.inner_text() and "New" in row.inner_text()
    player = row.locator("audio")
    # Play it to the end: the browser fetched the signed link and decoded the WAV.
    player.evaluate("audio => { audio.muted = true; return audio.play(); }")
    page.wait_for_function(f"() => document.querySelector('tr[data-voicemail=\"{pk}\"] audio').ended")
    duration = player.evaluate("audio => audio.duration")
    assert abs(duration - SECONDS) < 0.05, duration

    heard = wait_until(
        lambda: walk.read(lambda: Voicemail.objects.filter(pk=pk, heard_at__isnull=False).exists()),
        "the play to mark the message heard",
    )
    assert heard
    assert walk.read(lambda: list(VoicemailAccess.objects.filter(voicemail_id=pk).values_list("action", flat=True)))
    page.reload()
    assert "Sam Supervisor" in page.locator(f'tr[data-voicemail="{pk}"]').inner_text()
    assert page.js_errors == []
