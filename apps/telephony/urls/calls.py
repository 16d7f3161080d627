from django.urls import path

from apps.telephony.views import calls as views_calls
from apps.telephony.views import voicemail as views_voicemail

app_name = "calls"

urlpatterns = [
    path("", views_calls.call_list, name="list"),
    path("voicemails/", views_voicemail.inbox, name="voicemails"),
    path("voicemails/<int:pk>/file", views_voicemail.voicemail_file, name="voicemail_file"),
    path("voicemails/<int:pk>/heard/", views_voicemail.voicemail_heard, name="voicemail_heard"),
    path("voicemails/<int:pk>/assign/", views_voicemail.voicemail_assign_view, name="voicemail_assign"),
    path("callbacks/", views_voicemail.callbacks, name="callbacks"),
    path("callbacks/<int:pk>/cancel/", views_voicemail.callback_cancel, name="callback_cancel"),
    path("recordings/<int:pk>/file", views_calls.recording_file, name="recording_file"),
    path("<str:uid>/", views_calls.call_detail, name="detail"),
]
