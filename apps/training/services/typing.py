"""Typing tests: author, start (server deadline = duration + grace), submit (apps/training/typing_speed.py).

The time used is measured by the server (submission − start), capped at the test's duration; a
submission later than the duration plus ``GRACE_SECONDS`` is refused with ``attempt_expired``, the
attempt expiring. Only what was typed arrives: the browser computes nothing that counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.training.choices import AttemptStatus, TypingLanguage
from apps.training.models import TypingAttempt, TypingTest
from apps.training.typing_speed import MAX_TYPED_CHARS, typing_result

GRACE_SECONDS = 10
PASSAGE_MAX = 5_000


def _int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


@transaction.atomic
def typing_test_create(*, actor: User, data: Any) -> TypingTest:
    """``{"title", "language": "zh"|"en", "passage", "duration_seconds", "pass_cpm", "pass_accuracy"}``."""
    if not isinstance(data, dict):
        raise ApplicationError("invalid", _("Send an object."))
    errors: dict[str, list[str]] = {}
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        errors["title"] = [_("Give the test a title.")]
    language = data.get("language", TypingLanguage.ZH)
    if language not in TypingLanguage.values:
        errors["language"] = [_("Choose zh or en.")]
    passage = data.get("passage")
    if not isinstance(passage, str) or not passage.strip() or len(passage) > PASSAGE_MAX:
        errors["passage"] = [_("Write the passage to type (at most %(max)s characters).") % {"max": PASSAGE_MAX}]
    duration = _int(data.get("duration_seconds", 120), 10, 3600)
    if duration is None:
        errors["duration_seconds"] = [_("The duration is from 10 to 3600 seconds.")]
    cpm = _int(data.get("pass_cpm", 30), 1, 1000)
    if cpm is None:
        errors["pass_cpm"] = [_("The pass speed is from 1 to 1000 characters a minute.")]
    accuracy = _int(data.get("pass_accuracy", 90), 0, 100)
    if accuracy is None:
        errors["pass_accuracy"] = [_("The pass accuracy is a percentage from 0 to 100.")]
    if errors:
        raise ApplicationError("invalid", _("The typing test is not valid."), fields=errors)
    test = TypingTest.objects.create(
        title=str(title).strip(),
        language=language,
        passage=str(passage).strip(),
        duration_seconds=int(duration or 0),
        pass_cpm=int(cpm or 0),
        pass_accuracy=int(accuracy or 0),
    )
    audit_record(action=AuditAction.TRAINING_EXAM_CREATED, actor=actor, target=test, after={"title": test.title})
    return test


@transaction.atomic
def typing_start(*, test: TypingTest, user: User, now: datetime | None = None) -> TypingAttempt:
    if not test.is_active:
        raise ApplicationError("exam_closed", _("This test is not open."))
    moment = now or timezone.now()
    return TypingAttempt.objects.create(
        test=test, user=user, started_at=moment, deadline=moment + timedelta(seconds=test.duration_seconds)
    )


def typing_submit(*, attempt: TypingAttempt, typed: Any, now: datetime | None = None) -> TypingAttempt:
    moment = now or timezone.now()
    if not isinstance(typed, str) or len(typed) > MAX_TYPED_CHARS:
        message = _("Send the typed text (at most %(max)s characters).") % {"max": MAX_TYPED_CHARS}
        raise ApplicationError("invalid", message, fields={"typed": [message]})
    with transaction.atomic():
        locked = TypingAttempt.objects.select_for_update().select_related("test").get(pk=attempt.pk)
        if locked.status != AttemptStatus.IN_PROGRESS:
            if locked.status == AttemptStatus.EXPIRED:
                raise ApplicationError("attempt_expired", _("This attempt is over."))
            raise ApplicationError("attempt_closed", _("This attempt is over."))
        late = moment > locked.deadline + timedelta(seconds=GRACE_SECONDS)
        if late:
            locked.status = AttemptStatus.EXPIRED
            locked.passed = False
            locked.save(update_fields=["status", "passed"])
        else:
            test = locked.test
            result = typing_result(
                passage=test.passage,
                typed=typed,
                seconds_used=(moment - locked.started_at).total_seconds(),
                duration_seconds=test.duration_seconds,
                pass_cpm=test.pass_cpm,
                pass_accuracy=test.pass_accuracy,
            )
            locked.typed = typed
            locked.characters = result.characters
            locked.cpm = result.cpm
            locked.accuracy = result.accuracy
            locked.passed = result.passed
            locked.submitted_at = moment
            locked.status = AttemptStatus.SUBMITTED
            locked.save()
    if late:
        raise ApplicationError("attempt_expired", _("The time for this test ran out."))
    return locked
