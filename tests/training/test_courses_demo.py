"""The course demo (``training_courses_demo_ensure``): made once, found again, with a golden call
from a recorded call of the tenant."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.training.models import CareerLevel, CourseAssignment, Lesson, Programme
from apps.training.services.demo_courses import training_courses_demo_ensure
from tests.qa.factories import make_agent_call


def test_the_demo_is_idempotent_and_has_a_golden_call(acme):
    with tenant_context(acme.tenant):
        agent = User.objects.create_user("agent@demo.local", "x-Password-1", roles=[Role.AGENT])
        make_agent_call(agent, recording_seconds=9.0)
    first = training_courses_demo_ensure(acme.tenant.schema_name)
    assert first == {"courses": 1, "golden_calls": 1, "assignments": 1, "programmes": 1, "levels": 4}
    second = training_courses_demo_ensure(acme.tenant.schema_name)
    assert set(second.values()) == {0}
    with tenant_context(acme.tenant):
        assert Lesson.objects.filter(kind="golden_call", clip_end=9).count() == 1
        assert CourseAssignment.objects.filter(user=agent).count() == 1
        assert Programme.objects.count() == 1 and CareerLevel.objects.count() == 4
