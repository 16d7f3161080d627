"""The QA test helpers build what the services would: a scored, submitted evaluation of an
agent's recorded call (other QA tests start from these)."""

from __future__ import annotations

from decimal import Decimal

from django_tenants.utils import tenant_context

from apps.qa.choices import EvaluationStatus
from tests.qa.factories import PERFECT, make_agent_call, make_evaluation, make_scorecard, qa_user, question_ids


def test_a_perfect_evaluation_of_a_recorded_call_scores_100(acme):
    with tenant_context(acme.tenant):
        scorecard = make_scorecard()
        call = make_agent_call()
        evaluation = make_evaluation(call, scorecard, qa_user())

        assert call.recording.duration_seconds > 0
        assert evaluation.agent == call.agent.user
        assert evaluation.status == EvaluationStatus.SUBMITTED
        assert evaluation.score == Decimal("100.0000")
        assert len(question_ids(scorecard)) == len(PERFECT)
