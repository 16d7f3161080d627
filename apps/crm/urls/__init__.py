"""CRM page URLs: ``apps.crm.urls`` are the customer pages (/customers/, namespace ``crm``);
``apps.crm.urls.tickets`` the ticket pages (/tickets/, namespace ``tickets``)."""

from .customers import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
