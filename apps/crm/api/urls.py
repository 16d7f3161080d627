from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.crm.api import customers, ticket_settings, tickets

router = SimpleRouter(trailing_slash=False)
router.register("customers", customers.CustomerViewSet, basename="customer")
router.register("customer-fields", customers.CustomFieldViewSet, basename="customer-field")
router.register("customer-imports", customers.CustomerImportViewSet, basename="customer-import")
router.register("tickets", tickets.TicketViewSet, basename="ticket")
router.register("ticket-categories", ticket_settings.TicketCategoryViewSet, basename="ticket-category")
router.register("ticket-departments", ticket_settings.DepartmentViewSet, basename="ticket-department")

urlpatterns = [path("", include(router.urls))]
