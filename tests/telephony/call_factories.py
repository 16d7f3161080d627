"""Small builders for CDR, recording and KPI tests (call inside ``tenant_context``)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from apps.accounts.models import User
from apps.telephony.models import Agent, Call, Disposition, Queue

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
_serial = itertools.count(1)


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def make_queue(code: str | None = None, **fields) -> Queue:
    code = code or f"h8-queue-{next(_serial)}"
    fields.setdefault("name", code.title())
    return Queue.objects.create(code=code, **fields)


def make_agent(user: User) -> Agent:
    return Agent.objects.get_or_create(user=user)[0]


def make_disposition(code: str = "h8-solved", name: str = "Solved (H8)") -> Disposition:
    return Disposition.objects.get_or_create(code=code, defaults={"name": name, "is_resolved": True})[0]


def uid() -> str:
    return f"h8-call-{next(_serial)}"


def stored_call(**fields) -> Call:
    """A CDR row written directly, for tests that need exact stored values."""
    fields.setdefault("uid", uid())
    fields.setdefault("caller", "13800000000")
    fields.setdefault("callee", "4001234567")
    fields.setdefault("arrived_at", T0)
    return Call.objects.create(**fields)
