"""Every /api/v1/ route of telephony, one block per concern (the modules of apps/telephony/api/).

Call actions are plain paths under ``calls/<uid>/…``: ``calls/<uid>`` matches one path segment
only, so the call reads (GET /calls, /calls/<uid>) and the agent's call actions live side by side.
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.telephony.api import (
    agents,
    analysis,
    calls,
    calls_export,
    campaign_desk,
    campaigns,
    contacts,
    dialling,
    dnc,
    ivr,
    plant,
    prompts,
    softphone,
    voicemail,
)

router = SimpleRouter(trailing_slash=False)
# plant
router.register("seats", plant.SeatViewSet, basename="seat")
router.register("trunks", plant.TrunkViewSet, basename="trunk")
router.register("numbers", plant.PhoneNumberViewSet, basename="phone-number")
# prompts
router.register("prompts", prompts.PromptViewSet, basename="prompt")
# agents and routing
router.register("agents", agents.AgentViewSet, basename="agent")
router.register("skills", agents.SkillViewSet, basename="skill")
router.register("queues", agents.QueueViewSet, basename="queue")
router.register("pause-reasons", agents.PauseReasonViewSet, basename="pause-reason")
router.register("dispositions", agents.DispositionViewSet, basename="disposition")
# ivr
router.register("ivr-flows", ivr.IvrFlowViewSet, basename="ivr-flow")
router.register("business-hours", ivr.BusinessHoursViewSet, basename="business-hours")
# campaigns, their contacts, do-not-call and consent
router.register("campaigns", campaigns.CampaignViewSet, basename="campaign")
router.register("contact-lists", contacts.ContactListViewSet, basename="contact-list")
router.register("contacts", contacts.ContactViewSet, basename="contact")
router.register("dnc", dnc.DoNotCallViewSet, basename="dnc")
router.register("dnc-imports", dnc.DoNotCallImportViewSet, basename="dnc-import")
router.register("consents", dnc.ConsentViewSet, basename="consent")
router.register("scheduled-callbacks", campaigns.ScheduledCallbackViewSet, basename="scheduled-callback")
router.register("dial-attempts", campaigns.DialAttemptViewSet, basename="dial-attempt")

agent_desk = [
    path("agents/me/login", agents.me_login, name="agent-me-login"),
    path("agents/me/logout", agents.me_logout, name="agent-me-logout"),
    path("agents/me/state", agents.me_state, name="agent-me-state"),
    path("agents/me/dial", agents.me_dial, name="agent-me-dial"),
    path("agents/me/sip", softphone.me_sip, name="agent-me-sip"),
    path("agents/me/preview/next", campaign_desk.preview_next, name="agent-me-preview-next"),
    path("agents/me/preview/dial", campaign_desk.preview_dial, name="agent-me-preview-dial"),
    path("agents/me/preview/skip", campaign_desk.preview_skip, name="agent-me-preview-skip"),
    path("agents/me/preview/labels", campaign_desk.preview_labels, name="agent-me-preview-labels"),
]

call_actions = [
    path("calls/<str:uid>/answer", agents.call_answer, name="call-answer"),
    path("calls/<str:uid>/reject", agents.call_reject, name="call-reject"),
    path("calls/<str:uid>/hangup", agents.call_hangup, name="call-hangup"),
    path("calls/<str:uid>/hold", agents.call_hold, name="call-hold"),
    path("calls/<str:uid>/resume", agents.call_resume, name="call-resume"),
    path("calls/<str:uid>/transfer", agents.call_transfer, name="call-transfer"),
    path("calls/<str:uid>/consult", agents.call_consult, name="call-consult"),
    path("calls/<str:uid>/consult/complete", agents.call_consult_complete, name="call-consult-complete"),
    path("calls/<str:uid>/consult/cancel", agents.call_consult_cancel, name="call-consult-cancel"),
    path("calls/<str:uid>/conference", agents.call_conference, name="call-conference"),
    path("calls/<str:uid>/conference/leave", agents.call_conference_leave, name="call-conference-leave"),
    path("calls/<str:uid>/conference/drop", agents.call_conference_drop, name="call-conference-drop"),
    path("calls/<str:uid>/conference/end", agents.call_conference_end, name="call-conference-end"),
    path("calls/<str:uid>/wrapup", agents.call_wrapup, name="call-wrapup"),
    path("calls/<str:uid>/monitor", agents.call_monitor, name="call-monitor"),
    path("calls/<str:uid>/release", agents.call_release, name="call-release"),
    path("calls/<str:uid>/campaign", campaign_desk.campaign_call, name="call-campaign"),
]

call_reads = [
    path("calls", calls.CallListView.as_view(), name="call-list"),
    path("calls/export", calls_export.CallExportView.as_view(), name="call-export"),  # before calls/<uid>
    path("calls/<str:uid>", calls.CallDetailView.as_view(), name="call-detail"),
    path("calls/<str:uid>/analysis", analysis.CallAnalysisView.as_view(), name="call-analysis"),
    path("recordings/<int:pk>/link", calls.RecordingLinkView.as_view(), name="recording-link"),
    path("voicemails", voicemail.VoicemailListView.as_view(), name="voicemail-list"),
    path("voicemails/<int:pk>", voicemail.VoicemailDetailView.as_view(), name="voicemail-detail"),
    path("voicemails/<int:pk>/link", voicemail.VoicemailLinkView.as_view(), name="voicemail-link"),
    path("voicemails/<int:pk>/heard", voicemail.VoicemailHeardView.as_view(), name="voicemail-heard"),
    path("voicemails/<int:pk>/assign", voicemail.VoicemailAssignView.as_view(), name="voicemail-assign"),
    path("callbacks", voicemail.CallbackListView.as_view(), name="callback-list"),
    path("callbacks/<int:pk>/cancel", voicemail.CallbackCancelView.as_view(), name="callback-cancel"),
    path("kpis/queues", calls.QueueKpiView.as_view(), name="kpi-queues"),
]

settings = [
    path("ivr-routes", ivr.ivr_routes, name="ivr-routes"),
    path("dialling-policy", dialling.dialling_policy, name="dialling-policy"),
    path("campaign-policy", campaigns.campaign_policy, name="campaign-policy"),
    path("campaigns/<int:pk>/retry-rules", campaigns.CampaignRetryRulesView.as_view(), name="campaign-retry-rules"),
]

urlpatterns = [*agent_desk, *call_actions, *call_reads, *settings, path("", include(router.urls))]
