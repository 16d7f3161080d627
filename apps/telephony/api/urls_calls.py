"""Call routes are explicit GET paths: ``calls/<uid>`` matches one path segment only, so the agent
call-control routes (``calls/<uid>/answer`` …, apps/telephony/api/urls_agents.py) live beside them."""

from django.urls import path

from apps.telephony.api import calls

urlpatterns = [
    path("calls", calls.CallListView.as_view(), name="call-list"),
    path("calls/<str:uid>", calls.CallDetailView.as_view(), name="call-detail"),
    path("recordings/<int:pk>/link", calls.RecordingLinkView.as_view(), name="recording-link"),
    path("voicemails", calls.VoicemailListView.as_view(), name="voicemail-list"),
    path("callbacks", calls.CallbackListView.as_view(), name="callback-list"),
    path("kpis/queues", calls.QueueKpiView.as_view(), name="kpi-queues"),
]
