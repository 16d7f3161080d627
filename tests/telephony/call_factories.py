"""Small builders for CDR, recording and KPI tests (call inside ``tenant_context``)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from apps.accounts.models import User
from apps.telephony.models import Agent, Call, Disposition, Queue
from tests.factories import CallFactory, DispositionFactory, QueueFactory

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
_serial = itertools.count(1)


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def make_queue(code: str | None = None, **fields) -> Queue:
    code = code or f"h8-queue-{next(_serial)}"
    fields.setdefault("name", code.title())
    return QueueFactory(code=code, **fields)


def make_agent(user: User) -> Agent:
    return Agent.objects.get_or_create(user=user)[0]


def make_disposition(code: str = "h8-solved", name: str = "Solved (H8)") -> Disposition:
    return DispositionFactory(code=code, name=name, is_resolved=True)


def uid() -> str:
    return f"h8-call-{next(_serial)}"


def stored_call(**fields) -> Call:
    """A CDR row written directly, for tests that need exact stored values."""
    fields.setdefault("uid", uid())
    fields.setdefault("arrived_at", T0)
    return CallFactory(**fields)
