"""The IVR console, mounted at /console/ivr/ (namespace "ivr")."""

from django.urls import path

from apps.telephony.views import ivr as views
from apps.telephony.views import prompts as views_prompts

app_name = "ivr"

urlpatterns = [
    path("", views.flows, name="flows"),
    path("import/", views.flow_import_view, name="flow_import"),
    path("numbers/<int:pk>/route/", views.number_route, name="number_route"),
    path("flows/<int:pk>/", views.flow, name="flow"),
    path("flows/<int:pk>/meta/", views.flow_meta, name="flow_meta"),
    path("flows/<int:pk>/delete/", views.flow_delete, name="flow_delete"),
    path("flows/<int:pk>/publish/", views.flow_publish, name="flow_publish"),
    path("flows/<int:pk>/discard/", views.draft_discard, name="draft_discard"),
    path("flows/<int:pk>/json/", views.flow_json, name="flow_json"),
    path("flows/<int:pk>/start/", views.flow_start, name="flow_start"),
    path("flows/<int:pk>/export/", views.flow_export_view, name="flow_export"),
    path("flows/<int:pk>/test-call/", views.flow_test_call_view, name="flow_test_call"),
    path("flows/<int:pk>/nodes/add/", views.node_add, name="node_add"),
    path("flows/<int:pk>/nodes/<str:node_id>/", views.node_edit, name="node"),
    path("flows/<int:pk>/nodes/<str:node_id>/remove/", views.node_remove, name="node_remove"),
    path("flows/<int:pk>/versions/<int:number>/", views.version_view, name="version"),
    path("prompts/", views_prompts.prompts, name="prompts"),
    path("prompts/<int:pk>/", views_prompts.prompt_edit, name="prompt"),
    path("prompts/<int:pk>/audio/", views_prompts.prompt_audio, name="prompt_audio"),
    path("prompts/<int:pk>/delete/", views_prompts.prompt_delete, name="prompt_delete"),
    path("hours/", views.hours_list, name="hours_list"),
    path("hours/<int:pk>/", views.hours_edit, name="hours"),
    path("hours/<int:pk>/delete/", views.hours_delete, name="hours_delete"),
    path("hours/<int:pk>/overrides/", views.override_add, name="override_add"),
    path("hours/<int:pk>/overrides/<int:override_id>/delete/", views.override_delete, name="override_delete"),
]
