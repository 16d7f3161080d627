"""Agent desktop (views/desk.py), wallboard (views/wallboard.py) and the routing pages of the console (views/routing.py),
namespace "agents"."""

from django.urls import path

from apps.telephony.views import desk, routing, wallboard, whatif
from apps.telephony.views.plant import seat_mode_view

app_name = "agents"

urlpatterns = [
    path("desk/", desk.desk, name="desk"),
    path("wallboard/", wallboard.wallboard, name="wallboard"),
    path("wallboard/tv/", wallboard.wallboard_tv, name="wallboard_tv"),
    path("wallboard/screens/", wallboard.wallboard_screens, name="wallboard_screens"),
    path("wallboard/what-if/", whatif.whatif, name="whatif"),
    path("console/queues/", routing.queues, name="queues"),
    path("console/queues/<int:pk>/", routing.queue_edit, name="queues_edit"),
    path("console/queues/<int:pk>/delete/", routing.queue_delete, name="queues_delete"),
    path("console/queues/<int:pk>/script/", routing.queue_script, name="queues_script"),
    path("console/skills/", routing.skills, name="skills"),
    path("console/skills/<int:pk>/", routing.skill_edit, name="skills_edit"),
    path("console/skills/<int:pk>/delete/", routing.skill_delete, name="skills_delete"),
    path("console/agents/", routing.agents, name="agents"),
    path("console/agents/<int:pk>/", routing.agent_skills, name="agents_edit"),
    path("console/agents/<int:pk>/seats/", routing.agent_seats, name="agents_seats"),
    # The seats page itself is the console's (config/urls_console.py); its per-seat mode form posts here.
    path("console/seats/<int:pk>/mode/", seat_mode_view, name="seat_mode"),
    path("console/pause-reasons/", routing.pause_reasons, name="pause-reasons"),
    path("console/pause-reasons/<int:pk>/", routing.pause_reason_edit, name="pause-reasons_edit"),
    path("console/pause-reasons/<int:pk>/delete/", routing.pause_reason_delete, name="pause-reasons_delete"),
    path("console/dispositions/", routing.dispositions, name="dispositions"),
    path("console/dispositions/<int:pk>/", routing.disposition_edit, name="dispositions_edit"),
    path("console/dispositions/<int:pk>/delete/", routing.disposition_delete, name="dispositions_delete"),
]
