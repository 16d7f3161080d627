from .entries import AppendOnlyError, AuditEntry, AuditEntryQuerySet, AuditSettings

__all__ = ["AppendOnlyError", "AuditEntry", "AuditEntryQuerySet", "AuditSettings"]
