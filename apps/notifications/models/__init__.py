"""The notifications app's tables; each module adds its names to ``__all__`` (kept sorted)."""

from .notifications import Notification

__all__: list[str] = ["Notification"]
