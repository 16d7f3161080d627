"""The demo's QA department (apps/qa/services/demo.py, called by ensure_demo): the two logins, the
standard scorecard, the weekly rule with the analyst's assignments of the last two weeks, the
lead's submitted evaluations — and a second run that changes nothing."""

from __future__ import annotations

from datetime import date, datetime

from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.qa.choices import EvaluationStatus
from apps.qa.models import Assignment, Evaluation, Question, SamplingRule, Scorecard
from apps.qa.services.demo import QA_USERS, RULE_NAME, SCORECARD_NAME, qa_demo_ensure
from apps.telephony.models import Agent, Recording
from tests.factories import UserFactory
from tests.qa.test_sampling import ZONE, calls

TODAY = date(2026, 3, 18)  # a Wednesday: the last two whole weeks start on 2 and 9 March


def test_the_demo_gets_its_qa_department_once(acme):
    with tenant_context(acme.tenant):
        demo_agent = Agent.objects.create(user=UserFactory(email="agent@demo.local", roles=[Role.AGENT]))
        other = Agent.objects.create(user=UserFactory(roles=[Role.AGENT]))
        recorded = []
        for day in (date(2026, 3, 3), date(2026, 3, 11)):
            for who in (demo_agent, other):
                recorded += calls(who, 2, day=day)
        for call in recorded:
            Recording.objects.create(call=call, file=f"t/{call.uid}.wav", duration_seconds=120)
        calls(demo_agent, 2, day=date(2026, 3, 12))  # no recording: never sampled
        earlier = calls(demo_agent, 4, day=date(2026, 2, 20)) + calls(other, 6, day=date(2026, 2, 21))

        made = qa_demo_ensure(acme.tenant, today=TODAY)

        analyst, lead = (User.objects.get(email=email) for email, *_rest in QA_USERS)
        assert analyst.roles == [Role.QA] and lead.roles == [Role.QA_LEAD]
        assert analyst.check_password("DemoQa!2026") and lead.check_password("DemoQaLead!2026")
        scorecard = Scorecard.objects.get(name=SCORECARD_NAME, is_current=True)
        assert scorecard.sections.count() == 5
        assert Question.objects.filter(section__scorecard=scorecard, critical="form").count() == 2
        assert not Question.objects.filter(section__scorecard=scorecard, guidance="", kind="scale").exists()

        rule = SamplingRule.objects.get(name=RULE_NAME)
        assignments = Assignment.objects.filter(rule=rule)
        # One recorded call per agent and week (no always-include matches these calls).
        assert assignments.count() == made["assignments"] == 4
        assert {a.call_id for a in assignments} <= {c.pk for c in recorded}
        assert set(assignments.values_list("assignee_id", flat=True)) == {analyst.pk}
        assert set(assignments.values_list("period_start", flat=True)) == {date(2026, 3, 2), date(2026, 3, 9)}

        submitted = Evaluation.objects.filter(evaluator=lead, status=EvaluationStatus.SUBMITTED)
        assert submitted.count() == made["evaluations"] == 8
        assert {e.call_id for e in submitted} <= {c.pk for c in earlier}
        assert submitted.filter(agent=demo_agent.user).count() == 3
        assert all(e.score is not None and e.comments.exists() for e in submitted)
        first = datetime(2026, 3, 2, tzinfo=ZONE)
        assert all(e.call.arrived_at < first for e in submitted)

        again = qa_demo_ensure(acme.tenant, today=TODAY)
        assert (again["evaluations"], again["assignments"]) == (0, 0)
        assert Assignment.objects.filter(rule=rule).count() == 4
        assert Scorecard.objects.filter(name=SCORECARD_NAME).count() == 1
        assert SamplingRule.objects.filter(name=RULE_NAME).count() == 1
        assert Evaluation.objects.filter(evaluator=lead).count() == 8
        due = sorted({a.due_at.astimezone(ZONE).date() for a in Assignment.objects.filter(rule=rule)})
        assert due == [date(2026, 3, 14), date(2026, 3, 21)]  # each week's end plus 5 days
