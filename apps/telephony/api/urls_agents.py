"""/api/v1/ routes for agents, routing configuration and call actions.

Call actions are plain paths under calls/<uid>/…; the calls router (urls_calls.py) owns
GET /calls and /calls/<uid>.
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.telephony.api import agents, softphone

router = SimpleRouter(trailing_slash=False)
router.register("agents", agents.AgentViewSet, basename="agent")
router.register("skills", agents.SkillViewSet, basename="skill")
router.register("queues", agents.QueueViewSet, basename="queue")
router.register("pause-reasons", agents.PauseReasonViewSet, basename="pause-reason")
router.register("dispositions", agents.DispositionViewSet, basename="disposition")

urlpatterns = [
    path("agents/me/login", agents.me_login, name="agent-me-login"),
    path("agents/me/logout", agents.me_logout, name="agent-me-logout"),
    path("agents/me/state", agents.me_state, name="agent-me-state"),
    path("agents/me/dial", agents.me_dial, name="agent-me-dial"),
    path("agents/me/sip", softphone.me_sip, name="agent-me-sip"),
    path("calls/<str:uid>/answer", agents.call_answer, name="call-answer"),
    path("calls/<str:uid>/reject", agents.call_reject, name="call-reject"),
    path("calls/<str:uid>/hangup", agents.call_hangup, name="call-hangup"),
    path("calls/<str:uid>/hold", agents.call_hold, name="call-hold"),
    path("calls/<str:uid>/resume", agents.call_resume, name="call-resume"),
    path("calls/<str:uid>/transfer", agents.call_transfer, name="call-transfer"),
    path("calls/<str:uid>/consult", agents.call_consult, name="call-consult"),
    path("calls/<str:uid>/consult/complete", agents.call_consult_complete, name="call-consult-complete"),
    path("calls/<str:uid>/consult/cancel", agents.call_consult_cancel, name="call-consult-cancel"),
    path("calls/<str:uid>/wrapup", agents.call_wrapup, name="call-wrapup"),
    path("calls/<str:uid>/monitor", agents.call_monitor, name="call-monitor"),
    path("calls/<str:uid>/release", agents.call_release, name="call-release"),
    path("", include(router.urls)),
]
