"""Survey responses from the post-call IVR survey, and the follow-up of low scores.

The engine writes the caller's score on the CDR (``Call.survey_score``); the core knows nothing of
the CRM, so :func:`survey_responses_sync` (every minute, ``crm.surveys_sync``) reads the newly
surveyed calls through a telephony selector and makes one :class:`SurveyResponse` per call. It is
idempotent: a unique constraint on the call and ``INSERT … ON CONFLICT DO NOTHING`` mean that two
workers, a rerun or a late score never make a second response. The scan starts a day before the
newest response it already has (a score arrives after the call ended, and calls end out of order),
so it reads about one day of calls, whatever the history.

A low score (apps/crm/surveys/scoring.py) answered in the last :data:`FOLLOW_UP_WINDOW` is stored
``pending``; :func:`survey_follow_ups_open` hands the pending ones to the agent's team supervisor
(``open``) and tells them through notify(), one notification per person per run. Older low scores
(a history imported at once) are recorded without a follow-up: nobody calls back a month later.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.crm.models import SurveyResponse
from apps.crm.selectors.surveys import follow_up_owner, may_manage_surveys, supervisors
from apps.crm.surveys.choices import FollowUpStatus, SurveyChannel
from apps.crm.surveys.scoring import is_low
from apps.notifications.services import notify
from apps.telephony.selectors.surveys import surveyed_call_rows, surveyed_calls

SYNC_BATCH = 2000
SYNC_OVERLAP = dt.timedelta(days=1)
FOLLOW_UP_WINDOW = dt.timedelta(days=7)
FOLLOW_UP_BATCH = 500
NOTE_MAX = 2000


def _scan_start() -> dt.datetime | None:
    newest = SurveyResponse.objects.filter(channel=SurveyChannel.IVR, call__isnull=False).aggregate(
        newest=Max("answered_at")
    )["newest"]
    return None if newest is None else newest - SYNC_OVERLAP


def survey_responses_sync(*, now: dt.datetime | None = None, batch: int = SYNC_BATCH) -> dict[str, int]:
    """Make the missing responses from surveyed calls, then open the follow-ups of low scores.
    Returns ``{"created", "follow_ups"}``."""
    now = now or timezone.now()
    follow_up_from = now - FOLLOW_UP_WINDOW
    since = _scan_start()
    created = 0
    after: Q = Q()
    while True:
        calls = (
            surveyed_calls(since=since)
            .filter(after)
            .exclude(Exists(SurveyResponse.objects.filter(call_id=OuterRef("pk"))))
            .order_by("arrived_at", "id")[:batch]
        )
        rows = surveyed_call_rows(calls)
        if not rows:
            break
        # Keyset on the indexed arrival time: each batch starts where the last one ended.
        last = rows[-1]
        after = Q(arrived_at__gt=last["arrived_at"]) | Q(arrived_at=last["arrived_at"], id__gt=last["id"])
        responses = []
        for row in rows:
            answered_at = row["ended_at"] or row["arrived_at"]
            score = row["survey_score"]
            pending = is_low(score) and answered_at >= follow_up_from
            responses.append(
                SurveyResponse(
                    channel=SurveyChannel.IVR,
                    call_id=row["id"],
                    agent_id=row["agent_id"],
                    queue_id=row["queue_id"],
                    caller=row["caller"] or "",
                    score=score,
                    answers={"score": score},
                    answered_at=answered_at,
                    created_at=now,
                    follow_up_status=FollowUpStatus.PENDING if pending else FollowUpStatus.NONE,
                )
            )
        with transaction.atomic():
            SurveyResponse.objects.bulk_create(responses, ignore_conflicts=True)
        created += _count_new(rows, now)
        if len(rows) < batch:
            break
    return {"created": created, "follow_ups": survey_follow_ups_open()}


def _count_new(rows: list[dict[str, Any]], now: dt.datetime) -> int:
    """With ON CONFLICT DO NOTHING PostgreSQL returns no ids: count the rows this run wrote."""
    return SurveyResponse.objects.filter(call_id__in=[row["id"] for row in rows], created_at=now).count()


@transaction.atomic
def survey_follow_ups_open() -> int:
    """Give each pending low score to the agent's team supervisor and tell them (or, without one,
    every supervisor). Rows are taken with SKIP LOCKED: two runs at once share the work."""
    pending = list(
        SurveyResponse.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(follow_up_status=FollowUpStatus.PENDING)
        .select_related("agent")
        .order_by("id")[:FOLLOW_UP_BATCH]
    )
    if not pending:
        return 0
    owners: dict[int | None, Any] = {}
    counts: dict[int | None, int] = defaultdict(int)
    for response in pending:
        agent_user_id = response.agent.user_id if response.agent_id and response.agent else None
        if agent_user_id not in owners:
            owners[agent_user_id] = follow_up_owner(agent_user_id)
        owner = owners[agent_user_id]
        response.follow_up_status = FollowUpStatus.OPEN
        response.follow_up_owner = owner
        counts[owner.pk if owner else None] += 1
    SurveyResponse.objects.bulk_update(pending, ["follow_up_status", "follow_up_owner"])
    people = {owner.pk: owner for owner in owners.values() if owner is not None}
    url = f"{reverse('surveys:list')}?follow_up={FollowUpStatus.OPEN}&score=low"
    title = ngettext_lazy(
        "%(count)s low survey score to follow up", "%(count)s low survey scores to follow up", "count"
    )
    body = gettext_lazy("Customers scored their call 1 or 2: call them back or note what was done.")
    for owner_id, count in counts.items():
        recipients = [people[owner_id]] if owner_id is not None else supervisors()
        notify(
            users=recipients,
            kind="survey.low_score",
            title=title,
            body=body,
            url=url,
            params={"count": count},
            email=False,
        )
    return len(pending)


@transaction.atomic
def survey_follow_up_done(*, response: SurveyResponse, actor, note: Any = "") -> SurveyResponse:
    """Close a low score's follow-up with what was done (a manager; 400 ``invalid_state`` unless open)."""
    if not may_manage_surveys(actor):
        raise PermissionDeniedError("forbidden", _("Only supervisors and administrators close follow-ups."))
    response = SurveyResponse.objects.select_for_update().get(pk=response.pk)
    if response.follow_up_status not in (FollowUpStatus.OPEN, FollowUpStatus.PENDING):
        raise ApplicationError("invalid_state", _("This response has no open follow-up."))
    text = note.strip() if isinstance(note, str) else ""
    if not isinstance(note, str) or len(text) > NOTE_MAX:
        raise ApplicationError(
            "invalid",
            _("Write at most %(max)s characters.") % {"max": NOTE_MAX},
            fields={"note": [_("Write at most %(max)s characters.") % {"max": NOTE_MAX}]},
        )
    before = {"follow_up_status": response.follow_up_status}
    response.follow_up_status = FollowUpStatus.DONE
    response.follow_up_note = text
    response.follow_up_done_at = timezone.now()
    if response.follow_up_owner_id is None:
        response.follow_up_owner = actor
    response.save(update_fields=["follow_up_status", "follow_up_note", "follow_up_done_at", "follow_up_owner"])
    audit_record(
        action=AuditAction.SURVEY_FOLLOW_UP_DONE,
        actor=actor,
        target=response,
        before=before,
        after={"follow_up_status": response.follow_up_status, "note": text},
    )
    return response
