"""The training demo (apps/training/services/demo.py): idempotent; the English queue keeps its
virtual agents (certified) while the human demo agent must pass the exam first."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.telephony.engine.config import load_tenant_config
from apps.telephony.models import Agent, AgentSkill
from apps.training.models import Certificate, Certification, Exam
from apps.training.services.demo import training_demo_ensure
from tests.factories import AgentFactory, SkillFactory, UserFactory


def test_demo_is_idempotent_and_gates_the_english_skill(acme):
    with tenant_context(acme.tenant):
        english = SkillFactory(code="english")
        virtual = AgentFactory(is_virtual=True)
        AgentSkill.objects.create(agent=virtual, skill=english, level=8)
        human = AgentFactory(user=UserFactory(email="agent@demo.local", roles=[Role.AGENT]))
        AgentSkill.objects.create(agent=human, skill=english, level=4)
    first = training_demo_ensure(acme.tenant.schema_name)
    assert first == {"exams": 1, "certifications": 1, "certificates": 1}
    assert training_demo_ensure(acme.tenant.schema_name) == {"exams": 0, "certifications": 0, "certificates": 0}
    with tenant_context(acme.tenant):
        assert Exam.objects.filter(title__contains="English").count() == 1
        certification = Certification.objects.get(skill=english)
        assert Certificate.objects.filter(certification=certification).count() == 1
        skills = {a.agent_id: a.skills for a in load_tenant_config(acme.tenant, customers=False).agents.values()}
        assert english.pk in skills[virtual.pk]
        assert english.pk not in skills[Agent.objects.get(pk=human.pk).pk]
