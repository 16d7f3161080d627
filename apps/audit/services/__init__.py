"""Writing to the audit log: the one service every department calls.

``audit_record`` is the whole contract: an action code from ``apps.audit.choices.AuditAction``,
the actor, the object, before/after snapshots and free details. Callers pass what they know;
the actor, client address and user agent of the current web or API request are filled in from
the request (``apps.audit.context``) when not given. The row is written in the caller's
transaction, so a change that rolls back leaves no audit row, and an audit row that cannot be
written rolls the change back: nothing audited happens unlogged.

Never put secrets in ``before``/``after``/``extra`` (passwords, tokens, SIP secrets): say that
they changed, not what to.
"""

from .entries import (
    AuditTarget,
    audit_record,
    audit_record_platform,
)
from .retention import (
    audit_purge_expired,
    audit_retention_days,
    audit_retention_set,
)

__all__ = [
    "AuditTarget",
    "audit_purge_expired",
    "audit_record",
    "audit_record_platform",
    "audit_retention_days",
    "audit_retention_set",
]
