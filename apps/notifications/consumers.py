"""``/ws/notifications/``: one person's own notifications, on every page (docs/realtime.md).

Any signed-in user of the company may hold it; the topic is their own (``notifications.<user
id>``), so nobody hears another person's notifications. The snapshot is the unread count and the
latest unread ones; deltas are ``notification.new`` and ``notification.read`` (read on another tab
or device: the bell follows).
"""

from __future__ import annotations

from typing import Any

from apps.core.consumers import TenantConsumer
from apps.notifications.selectors.notifications import SNAPSHOT_LATEST, notifications_of, unread_count
from apps.notifications.services.notifications import notification_payload, notifications_topic


class NotificationConsumer(TenantConsumer):
    roles = ()  # every signed-in user has notifications

    def topic_names(self) -> tuple[str, ...]:
        return (notifications_topic(self.scope["user"].pk),)

    def snapshot_sync(self) -> dict[str, Any]:
        user = self.scope["user"]
        latest = notifications_of(user, unread=True)[:SNAPSHOT_LATEST]
        return {"unread": unread_count(user.pk), "latest": [notification_payload(n) for n in latest]}
