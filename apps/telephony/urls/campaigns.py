"""The campaign pages of the console, mounted at /console/campaigns/ (namespace "campaigns")."""

from django.urls import path

from apps.telephony.views import campaigns as views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("script-preview/", views.script_preview_view, name="script_preview"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/delete/", views.campaign_delete, name="delete"),
    path("<int:pk>/monitor/", views.campaign_monitor, name="monitor"),
    path("<int:pk>/monitor/figures/", views.campaign_monitor_figures, name="monitor_figures"),
    path("<int:pk>/export/<str:file_format>/", views.campaign_export, name="export"),
    path("<int:pk>/lists/upload/", views.contact_list_upload, name="contact_list_upload"),
    path("<int:pk>/<str:action>/", views.campaign_action, name="action"),
    path("lists/<int:pk>/", views.contact_list_detail, name="contact_list"),
    path("lists/<int:pk>/progress/", views.contact_list_progress, name="contact_list_progress"),
    path("lists/<int:pk>/retry/", views.contact_list_retry, name="contact_list_retry"),
    path("lists/<int:pk>/cancel/", views.contact_list_cancel, name="contact_list_cancel"),
    path("lists/<int:pk>/errors/", views.contact_list_errors, name="contact_list_errors"),
    path("lists/<int:pk>/delete/", views.contact_list_delete, name="contact_list_delete"),
    path("dnc/", views.dnc_list, name="dnc"),
    path("dnc/import/", views.dnc_import, name="dnc_import"),
    path("dnc/imports/", views.dnc_imports, name="dnc_imports"),
    path("dnc/imports/<int:pk>/errors/", views.dnc_import_errors, name="dnc_import_errors"),
    path("dnc/imports/<int:pk>/retry/", views.dnc_import_retry, name="dnc_import_retry"),
    path("dnc/imports/<int:pk>/cancel/", views.dnc_import_cancel, name="dnc_import_cancel"),
    path("dnc/<int:pk>/delete/", views.dnc_delete, name="dnc_delete"),
    path("consents/", views.consents, name="consents"),
    path("consents/policy/", views.consent_policy, name="consent_policy"),
    path("consents/<int:pk>/revoke/", views.consent_revoke, name="consent_revoke"),
    path("callbacks/", views.callbacks, name="callbacks"),
    path("callbacks/<int:pk>/cancel/", views.callback_cancel, name="callback_cancel"),
]
