"""Agent desktop, wallboard and the routing pages of the console (namespace "agents")."""

from django.urls import path

from apps.telephony.views import agents as views
from apps.telephony.views.plant import seat_mode_view

app_name = "agents"

urlpatterns = [
    path("desk/", views.desk, name="desk"),
    path("wallboard/", views.wallboard, name="wallboard"),
    path("console/queues/", views.queues, name="queues"),
    path("console/queues/<int:pk>/", views.queue_edit, name="queues_edit"),
    path("console/queues/<int:pk>/delete/", views.queue_delete, name="queues_delete"),
    path("console/skills/", views.skills, name="skills"),
    path("console/skills/<int:pk>/", views.skill_edit, name="skills_edit"),
    path("console/skills/<int:pk>/delete/", views.skill_delete, name="skills_delete"),
    path("console/agents/", views.agents, name="agents"),
    path("console/agents/<int:pk>/", views.agent_skills, name="agents_edit"),
    path("console/agents/<int:pk>/seats/", views.agent_seats, name="agents_seats"),
    # The seats page itself is the console's (config/urls_console.py); its per-seat mode form posts here.
    path("console/seats/<int:pk>/mode/", seat_mode_view, name="seat_mode"),
    path("console/pause-reasons/", views.pause_reasons, name="pause-reasons"),
    path("console/pause-reasons/<int:pk>/", views.pause_reason_edit, name="pause-reasons_edit"),
    path("console/pause-reasons/<int:pk>/delete/", views.pause_reason_delete, name="pause-reasons_delete"),
    path("console/dispositions/", views.dispositions, name="dispositions"),
    path("console/dispositions/<int:pk>/", views.disposition_edit, name="dispositions_edit"),
    path("console/dispositions/<int:pk>/delete/", views.disposition_delete, name="dispositions_delete"),
]
