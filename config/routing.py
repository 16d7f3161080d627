from django.urls import path

from apps.notifications.consumers import NotificationConsumer
from apps.telephony.consumers import AgentConsumer, WallboardConsumer, WallboardScreenConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentConsumer.as_asgi()),
    path("ws/wallboard/", WallboardConsumer.as_asgi()),
    path("ws/wallboard/tv/", WallboardScreenConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
