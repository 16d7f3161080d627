"""Pages of the notifications app under /notifications/ (config/urls_tenant.py)."""

from django.urls import path

from apps.notifications.views import notifications as views

app_name = "notifications"

urlpatterns = [
    path("", views.notifications, name="list"),
    path("read-all/", views.notifications_read_all, name="read_all"),
    path("<int:pk>/read/", views.notification_read, name="read"),
    path("<int:pk>/open/", views.notification_open, name="open"),
]
