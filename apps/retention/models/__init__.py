from .retention import LegalHold, PurgeRun, RetentionPolicy

__all__ = ["LegalHold", "PurgeRun", "RetentionPolicy"]
