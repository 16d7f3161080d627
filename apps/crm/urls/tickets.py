"""Ticket pages under /tickets/ (config/urls_tenant.py), namespace ``tickets``."""

from django.urls import path

from apps.crm.views import ticket_settings, tickets

app_name = "tickets"

urlpatterns = [
    path("", tickets.ticket_list_view, name="list"),
    path("new/", tickets.ticket_new, name="new"),
    path("categories/", ticket_settings.categories, name="categories"),
    path("categories/<int:pk>/", ticket_settings.category_edit, name="category"),
    path("departments/", ticket_settings.departments, name="departments"),
    path("departments/<int:pk>/", ticket_settings.department_edit, name="department"),
    path("<int:pk>/", tickets.ticket_detail_view, name="detail"),
    path("<int:pk>/files/<int:attachment>/", tickets.ticket_attachment, name="attachment"),
    path("<int:pk>/<slug:action>/", tickets.ticket_step, name="step"),
]
