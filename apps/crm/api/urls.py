from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.crm.api import ticket_settings, tickets, views

router = SimpleRouter(trailing_slash=False)
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("tickets", tickets.TicketViewSet, basename="ticket")
router.register("ticket-categories", ticket_settings.TicketCategoryViewSet, basename="ticket-category")
router.register("ticket-departments", ticket_settings.DepartmentViewSet, basename="ticket-department")

urlpatterns = [path("", include(router.urls))]
