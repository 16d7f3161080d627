from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.crm.api import views

router = SimpleRouter(trailing_slash=False)
router.register("customers", views.CustomerViewSet, basename="customer")

urlpatterns = [path("", include(router.urls))]
