from django.urls import path

from apps.crm.views import customers as views

app_name = "crm"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_new, name="new"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/delete/", views.customer_delete_view, name="delete"),
]
