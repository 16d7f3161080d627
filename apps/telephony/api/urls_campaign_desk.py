"""/api/v1/ routes for the outbound side of the agent desk (apps/telephony/api/campaign_desk.py)."""

from django.urls import path

from apps.telephony.api import campaign_desk

urlpatterns = [
    path("calls/<str:uid>/campaign", campaign_desk.campaign_call, name="call-campaign"),
    path("agents/me/preview/next", campaign_desk.preview_next, name="agent-me-preview-next"),
    path("agents/me/preview/dial", campaign_desk.preview_dial, name="agent-me-preview-dial"),
    path("agents/me/preview/skip", campaign_desk.preview_skip, name="agent-me-preview-skip"),
]
