from django.urls import path

from apps.telephony.consumers import WallboardConsumer

websocket_urlpatterns = [
    path("ws/wallboard/", WallboardConsumer.as_asgi()),
]
