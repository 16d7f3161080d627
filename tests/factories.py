"""Test data (factory_boy): one place that knows what a valid user, agent, queue, skill, trunk or
call needs, so a test names only the fields it is about.

Factories write to the connection's current schema: call them inside ``tenant_context``. The
sequences are per process, which keeps codes and e-mails unique in a tenant for a whole session
(the session's tenants are shared by every test).
"""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.telephony.models import Agent, AgentSkill, Call, Disposition, PhoneNumber, Queue, QueueSkill, Skill, Trunk

PASSWORD = "Corr3ct-Horse-Battery"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@factory.test")
    password = PASSWORD
    name = factory.LazyAttribute(lambda user: user.email.split("@")[0])
    roles: Any = factory.LazyFunction(list)

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        # Through the manager, as sign-up does: the e-mail normalised and the password hashed.
        return model_class.objects.create_user(*args, **kwargs)


class SkillFactory(DjangoModelFactory[Skill]):
    class Meta:
        model = Skill
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"skill-{n}")
    name = factory.LazyAttribute(lambda skill: skill.code.replace("-", " ").title())


class QueueFactory(DjangoModelFactory[Queue]):
    class Meta:
        model = Queue

    code = factory.Sequence(lambda n: f"queue-{n}")
    name = factory.LazyAttribute(lambda queue: queue.code.replace("-", " ").title())


class QueueSkillFactory(DjangoModelFactory[QueueSkill]):
    class Meta:
        model = QueueSkill

    queue = factory.SubFactory(QueueFactory)
    skill = factory.SubFactory(SkillFactory)


class AgentFactory(DjangoModelFactory[Agent]):
    """An agent row written directly (no state event): tests of the state service start from it."""

    class Meta:
        model = Agent

    user = factory.SubFactory(UserFactory, roles=[Role.AGENT])


class AgentSkillFactory(DjangoModelFactory[AgentSkill]):
    class Meta:
        model = AgentSkill

    agent = factory.SubFactory(AgentFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 5


class TrunkFactory(DjangoModelFactory[Trunk]):
    class Meta:
        model = Trunk

    name = factory.Sequence(lambda n: f"Trunk {n}")


class PhoneNumberFactory(DjangoModelFactory[PhoneNumber]):
    class Meta:
        model = PhoneNumber

    number = factory.Sequence(lambda n: f"400{n:07d}")
    trunk = factory.SubFactory(TrunkFactory)


class DispositionFactory(DjangoModelFactory[Disposition]):
    class Meta:
        model = Disposition
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"disposition-{n}")
    name = factory.LazyAttribute(lambda disposition: disposition.code.replace("-", " ").title())


class CallFactory(DjangoModelFactory[Call]):
    """A CDR row written directly, for tests that need exact stored values (the engine and the
    CDR service are what write calls in production)."""

    class Meta:
        model = Call

    uid = factory.Sequence(lambda n: f"factory-call-{n}")
    caller = "13800000000"
    callee = "4001234567"
    arrived_at = factory.LazyFunction(timezone.now)
