from django.urls import path

from apps.telephony.views import calls as views_calls

app_name = "calls"

urlpatterns = [
    path("", views_calls.call_list, name="list"),
    path("voicemails/", views_calls.voicemails, name="voicemails"),
    path("recordings/<int:pk>/file", views_calls.recording_file, name="recording_file"),
    path("<str:uid>/", views_calls.call_detail, name="detail"),
]
