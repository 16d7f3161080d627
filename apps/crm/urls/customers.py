from django.urls import path

from apps.crm.views import customer_fields, customer_imports
from apps.crm.views import customers as views

app_name = "crm"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_new, name="new"),
    path("export.csv", views.customer_export, {"file_format": "csv"}, name="export_csv"),
    path("export.xlsx", views.customer_export, {"file_format": "xlsx"}, name="export_xlsx"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/delete/", views.customer_delete_view, name="delete"),
    path("<int:pk>/notes/", views.customer_note_view, name="note"),
    path("<int:pk>/merge/", views.customer_merge_view, name="merge"),
    path("fields/", customer_fields.custom_field_list_view, name="fields"),
    path("fields/new/", customer_fields.custom_field_new, name="field_new"),
    path("fields/<int:pk>/", customer_fields.custom_field_edit, name="field_edit"),
    path("fields/<int:pk>/delete/", customer_fields.custom_field_delete_view, name="field_delete"),
    path("imports/", customer_imports.customer_import_list, name="imports"),
    path("imports/<int:pk>/", customer_imports.customer_import_detail, name="import"),
    path("imports/<int:pk>/errors.csv", customer_imports.customer_import_errors, name="import_errors"),
    path("imports/<int:pk>/<str:verb>/", customer_imports.customer_import_action, name="import_action"),
]
