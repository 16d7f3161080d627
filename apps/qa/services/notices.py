"""What QA tells people, through the shared notifications (apps/notifications: stored, pushed over
/ws/notifications/, e-mailed after the commit, each copy in its reader's language).

- the agent, when an evaluation of one of their calls is submitted (never a draft, never a
  calibration evaluation: those grade the evaluator, not the agent);
- the QA leads, when an agent disputes an evaluation (every active QA lead except the lead who
  scored it; with no QA lead, the administrators);
- the agent, when their dispute is decided, and when a coaching session is planned for them.

E-mails follow the tenant's QA setting ``notify_by_email``; the bell and the socket always get it.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.notifications.services import notify
from apps.qa import scoring
from apps.qa.choices import DisputeStatus, EvaluationKind
from apps.qa.models import CoachingSession, Dispute, Evaluation, QaSettings

KIND_EVALUATION_SUBMITTED = "qa.evaluation_submitted"
KIND_DISPUTE_RAISED = "qa.dispute_raised"
KIND_DISPUTE_DECIDED = "qa.dispute_decided"
KIND_COACHING_PLANNED = "qa.coaching_planned"


def _score_text(evaluation: Evaluation) -> str:
    shown = scoring.display(evaluation.score)
    return "—" if shown is None else f"{shown}"


def _when(evaluation: Evaluation) -> str:
    return f"{timezone.localtime(evaluation.call.arrived_at):%Y-%m-%d %H:%M}"


def _email() -> bool:
    return QaSettings.load().notify_by_email


def _people_with(role: str) -> QuerySet[User]:
    return User.objects.filter(roles__contains=[role], is_active=True)


def arbitrators_for(evaluation: Evaluation) -> list[User]:
    """Who is told of a dispute of ``evaluation``: the QA leads who may decide it (not its
    evaluator, not its agent); with none, the administrators."""
    excluded = [pk for pk in (evaluation.evaluator_id, evaluation.agent_id) if pk]
    leads = list(_people_with(Role.QA_LEAD).exclude(pk__in=excluded))
    return leads or list(_people_with(Role.TENANT_ADMIN).exclude(pk__in=excluded))


def notify_evaluation_submitted(evaluation: Evaluation) -> None:
    if evaluation.kind != EvaluationKind.REGULAR or evaluation.agent is None:
        return
    notify(
        users=[evaluation.agent],
        kind=KIND_EVALUATION_SUBMITTED,
        title=_("Your call of %(when)s was evaluated: %(score)s"),
        body=_(
            "%(evaluator)s scored your call on the scorecard %(scorecard)s. Read the answers and comments; "
            "acknowledge the evaluation, or dispute questions within %(days)s days."
        ),
        params={
            "when": _when(evaluation),
            "score": _score_text(evaluation),
            "evaluator": evaluation.evaluator.get_full_name() if evaluation.evaluator else "—",
            "scorecard": evaluation.scorecard.name,
            "days": QaSettings.load().dispute_window_days,
        },
        url=reverse("qa:my_evaluation", args=[evaluation.pk]),
        email=_email(),
    )


def notify_dispute_raised(dispute: Dispute) -> None:
    evaluation = dispute.evaluation
    notify(
        users=arbitrators_for(evaluation),
        kind=KIND_DISPUTE_RAISED,
        title=_("%(agent)s disputes an evaluation"),
        body=_("The evaluation of the call of %(when)s (score %(score)s) is disputed (questions: %(n)s): %(reason)s"),
        params={
            "agent": evaluation.agent.get_full_name() if evaluation.agent else "—",
            "n": dispute.items.count(),
            "when": _when(evaluation),
            "score": _score_text(evaluation),
            "reason": dispute.reason,
        },
        url=reverse("qa:dispute", args=[dispute.pk]),
        email=_email(),
    )


def notify_dispute_decided(dispute: Dispute) -> None:
    evaluation = dispute.evaluation
    if evaluation.agent is None:
        return
    accepted = dispute.status == DisputeStatus.ACCEPTED
    notify(
        users=[evaluation.agent],
        kind=KIND_DISPUTE_DECIDED,
        title=(
            _("Your dispute was accepted: the new score is %(score)s")
            if accepted
            else _("Your dispute was rejected: the score stays %(score)s")
        ),
        body=_("%(lead)s decided your dispute of the evaluation of the call of %(when)s. %(note)s"),
        params={
            "score": _score_text(evaluation),
            "lead": dispute.decided_by.get_full_name() if dispute.decided_by else "—",
            "when": _when(evaluation),
            "note": dispute.decision_note,
        },
        url=reverse("qa:my_evaluation", args=[evaluation.pk]),
        email=_email(),
    )


def notify_coaching_planned(session: CoachingSession) -> None:
    notify(
        users=[session.agent],
        kind=KIND_COACHING_PLANNED,
        title=_("Coaching planned: %(topic)s"),
        body=_("%(coach)s planned a coaching session with you. Follow-up: %(follow_up)s."),
        params={
            "topic": session.topic,
            "coach": session.coach.get_full_name() if session.coach else "—",
            "follow_up": f"{session.follow_up_on:%Y-%m-%d}" if session.follow_up_on else "—",
        },
        url=reverse("qa:coaching_detail", args=[session.pk]),
        email=_email(),
    )
