"""Business events for listeners outside the core: the seam the webhooks app hangs on.

The call core and the departments announce what happened ("call.ended", "ticket.created", …)
by calling :func:`domain_event` at the one service that makes it happen — inside that service's
transaction, with the changed object. They never import who listens: an app that wants the
events (today only ``apps.webhooks``) registers a listener from its ``AppConfig.ready()``.

Why a seam of its own rather than :func:`apps.core.events.publish_on_commit`: realtime messages
are display deltas for open pages (and the engine's batches send theirs another way), while a
listener here needs the committed business object and a transactional outbox — the webhooks
listener writes its delivery rows *in the same transaction*, so a rolled-back change sends
nothing and a committed one is never lost, then queues the sending after the commit.

A listener is called as ``listener(schema_name=…, event_type=…, subject=…, extra={…})``. It must
be cheap when nobody is subscribed (it is on the engine's write path: the seam itself adds no
query, not even a savepoint) and it must not break the caller: a listener that reads or writes
the database does so inside a savepoint of its own (``transaction.atomic()``), so its failure is
rolled back alone; the seam logs the error and never raises it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from django.db import DatabaseError

from apps.core.tenancy import current_schema

logger = logging.getLogger(__name__)


class DomainEventListener(Protocol):
    def __call__(self, *, schema_name: str, event_type: str, subject: Any, extra: dict[str, Any]) -> None: ...


_listeners: list[DomainEventListener] = []


def register_domain_event_listener(listener: DomainEventListener) -> None:
    """Listen to every domain event (idempotent: registering the same callable twice is one)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unregister_domain_event_listener(listener: Callable[..., None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def domain_event(event_type: str, subject: Any, **extra: Any) -> None:
    """Announce ``event_type`` (a dotted code: ``call.ended``) about ``subject`` (the row that
    changed) to the registered listeners, in the current tenant's schema. Call it inside the
    service's transaction, after the change is saved."""
    if not _listeners:
        return
    schema = current_schema()
    if not schema or schema == "public":
        return
    for listener in list(_listeners):
        try:
            listener(schema_name=schema, event_type=event_type, subject=subject, extra=extra)
        except (DatabaseError, LookupError, ValueError, TypeError, AttributeError):
            # The business change stands; its outside notice is lost, and said so.
            logger.exception("domain event %s: a listener failed", event_type)
