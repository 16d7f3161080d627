"""/api/v1/notifications… (included from config/api_tenant.py)."""

from django.urls import path

from apps.notifications.api import notifications

urlpatterns = [
    path("notifications", notifications.NotificationListView.as_view(), name="notification-list"),
    path("notifications/read-all", notifications.notifications_read_all, name="notification-read-all"),
    path("notifications/<int:pk>/read", notifications.notification_read, name="notification-read"),
]
