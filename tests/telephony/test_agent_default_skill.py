"""A new company works at once: an invited agent takes calls from the default queue at first login.

The Agent row is made on first use (agent_ensure) or when staff open the agent list (agents_sync),
not when the user is saved: both give it the default skill, which the default queue requires.
"""

from __future__ import annotations

from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.telephony.models import Agent, AgentSkill, Skill
from apps.telephony.services.agent_state import agent_ensure, agents_sync
from apps.telephony.services.defaults import DEFAULT_SKILL, DEFAULT_SKILL_LEVEL


def test_an_agent_created_on_first_use_has_the_default_skill(acme):
    user = acme.user(Role.AGENT)
    with tenant_context(acme.tenant):
        agent = agent_ensure(user=user)
        skills = list(AgentSkill.objects.filter(agent=agent).values_list("skill__code", "level"))
    assert skills == [(DEFAULT_SKILL, DEFAULT_SKILL_LEVEL)]


def test_agents_sync_gives_the_default_skill_and_leaves_existing_agents_alone(acme):
    invited = acme.user(Role.AGENT, email="invited@acme.test")
    veteran = acme.user(Role.AGENT, email="veteran@acme.test")
    with tenant_context(acme.tenant):
        old = Agent.objects.create(user=veteran)
        assert agents_sync() >= 1
        assert AgentSkill.objects.filter(agent__user=invited, skill__code=DEFAULT_SKILL).exists()
        assert not AgentSkill.objects.filter(agent=old).exists()


def test_without_the_default_skill_the_row_is_still_made(acme):
    user = acme.user(Role.AGENT)
    with tenant_context(acme.tenant):
        Skill.objects.filter(code=DEFAULT_SKILL).update(code="renamed")
        agent = agent_ensure(user=user)
        assert not AgentSkill.objects.filter(agent=agent).exists()


def test_the_default_skill_meets_what_the_default_queue_requires(acme):
    user = acme.user(Role.AGENT)
    with tenant_context(acme.tenant):
        agent = agent_ensure(user=user)
        levels = dict(agent.agent_skills.values_list("skill_id", "level"))
        required = Skill.objects.get(code=DEFAULT_SKILL).queue_skills.filter(queue__code="general").get()
        assert levels[required.skill_id] >= required.min_level
