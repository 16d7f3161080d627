"""QA test data, built through the QA services so a test starts from what production writes.

Call these inside ``tenant_context`` (as tests/factories.py). The default scorecard has two
sections so that every rule of the scoring contract has something to act on:

    Greeting (weight 1)
      0 greeted          yes_no, 1 pt, weight 1
      1 named            yes_no, 1 pt, weight 1, N/A allowed
      2 verified         yes_no, 2 pt, weight 1, critical to its section
    Resolution (weight 3)
      3 resolved         scale 0..5,  weight 2
      4 wrap-up          points 0..10, weight 1, N/A allowed
      5 compliance       yes_no, 1 pt, weight 1, critical to the whole form

``question_ids(scorecard)`` lists the question ids in that order, so tests write answers as
``answers_for(scorecard, [True, True, True, 5, 10, True])``.
"""

from __future__ import annotations

import copy
import itertools
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.qa.models import Evaluation, Question, Scorecard
from apps.qa.services.evaluations import evaluation_save
from apps.qa.services.scorecards import scorecard_create
from apps.telephony.choices import CallEndReason
from apps.telephony.models import Agent, Call, Queue
from apps.telephony.services import cdr
from apps.telephony.services.recordings import recording_create
from tests.factories import QueueFactory, UserFactory

_serial = itertools.count(1)

DEFAULT_SECTIONS: list[dict[str, Any]] = [
    {
        "title": "Greeting",
        "weight": 1,
        "questions": [
            {"text": "Greeted the caller by the script", "kind": "yes_no", "points": 1, "weight": 1},
            {"text": "Gave their name", "kind": "yes_no", "points": 1, "weight": 1, "allow_na": True},
            {
                "text": "Verified the caller's identity",
                "kind": "yes_no",
                "points": 2,
                "weight": 1,
                "critical": "section",
                "guidance": "Two of: date of birth, last 4 digits of ID, address.",
            },
        ],
    },
    {
        "title": "Resolution",
        "weight": 3,
        "questions": [
            {"text": "Resolved the request", "kind": "scale", "points": 5, "weight": 2},
            {"text": "Wrap-up notes complete", "kind": "points", "points": 10, "weight": 1, "allow_na": True},
            {"text": "No compliance breach", "kind": "yes_no", "points": 1, "weight": 1, "critical": "form"},
        ],
    },
]

# The answers of a perfect call on the default scorecard, in question order.
PERFECT = [True, True, True, 5, 10, True]


def default_sections() -> list[dict[str, Any]]:
    return copy.deepcopy(DEFAULT_SECTIONS)


def qa_user(*roles: str, **fields: Any) -> User:
    """A user of the current tenant with ``roles`` (default: a QA analyst)."""
    return UserFactory(roles=list(roles or [Role.QA]), **fields)


def make_scorecard(*, actor: User | None = None, **spec: Any) -> Scorecard:
    """A published scorecard through ``scorecard_create``; any of ``name``, ``description``,
    ``sections``, ``status`` overrides the default two-section form. ``actor=None`` is the system."""
    spec.setdefault("name", f"Scorecard {next(_serial)}")
    spec.setdefault("sections", default_sections())
    return scorecard_create(actor=actor, **spec)


def question_ids(scorecard: Scorecard) -> list[int]:
    """The scorecard's question ids in form order."""
    return list(
        Question.objects.filter(section__scorecard=scorecard)
        .order_by("section__position", "section_id", "position", "id")
        .values_list("pk", flat=True)
    )


def answers_for(scorecard: Scorecard, values: list[Any]) -> list[dict[str, Any]]:
    """Answers in question order: a value, ``"na"`` for N/A, or ``None`` to leave it unanswered."""
    answers: list[dict[str, Any]] = []
    for qid, value in zip(question_ids(scorecard), values, strict=False):
        if value is None:
            continue
        answers.append({"question": qid, "na": True} if value == "na" else {"question": qid, "value": value})
    return answers


def make_team(
    *, supervisors: list[User] | None = None, members: list[User] | None = None, name: str | None = None
) -> Team:
    """A team (班组) with its supervisors and members."""
    team = Team.objects.create(name=name or f"Team {next(_serial)}")
    team.supervisors.set(supervisors or [])
    team.members.set(members or [])
    return team


def make_agent_call(
    agent_user: User | None = None,
    *,
    queue: Queue | None = None,
    start: datetime | None = None,
    talk_seconds: float = 60,
    recording_seconds: float | None = 4.0,
    direction: str = "inbound",
    uid: str | None = None,
) -> Call:
    """A finished call answered by ``agent_user`` (a new agent when None) through the CDR
    service, with a short synthesised recording unless ``recording_seconds`` is None.
    ``start`` defaults to two hours ago."""
    agent_user = agent_user or UserFactory(roles=[Role.AGENT])
    agent = Agent.objects.get_or_create(user=agent_user)[0]
    queue = queue or QueueFactory(wrapup_seconds=0)
    start = start or timezone.now() - timedelta(hours=2)
    call = cdr.call_open(
        uid=uid or f"qa-call-{next(_serial)}-{timezone.now().timestamp():.0f}",
        direction=direction,
        caller="13900000001",
        callee="4001234567",
        at=start,
    )
    cdr.call_queued(call, queue=queue, at=start + timedelta(seconds=1))
    cdr.call_answered(call, agent=agent, at=start + timedelta(seconds=5))
    call = cdr.call_close(call, at=start + timedelta(seconds=5 + talk_seconds), end_reason=CallEndReason.COMPLETED)
    if recording_seconds:
        recording_create(call=call, duration_seconds=recording_seconds, seed=call.pk)
    return Call.objects.select_related("agent__user").get(pk=call.pk)


def make_evaluation(
    call: Call,
    scorecard: Scorecard,
    evaluator: User,
    answers: list[dict[str, Any]] | list[Any] | None = None,
    *,
    submit: bool = True,
    comments: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Evaluation:
    """An evaluation through ``evaluation_save``. ``answers`` is either the API's list of dicts or a
    list of plain values in question order (see :func:`answers_for`); default: a perfect score."""
    if answers is None:
        answers = answers_for(scorecard, PERFECT)
    elif answers and not isinstance(answers[0], dict):
        answers = answers_for(scorecard, list(answers))
    return evaluation_save(
        actor=evaluator,
        call=call,
        scorecard=scorecard,
        answers=answers,
        comments=comments,
        submit=submit,
        **kwargs,
    )
