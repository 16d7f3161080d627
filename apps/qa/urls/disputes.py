"""Pages of the QA disputes concern (see apps/qa/urls/__init__.py): the leads' queue and one dispute."""

from django.urls import path

from apps.qa.views import disputes

urlpatterns: list = [
    path("disputes/", disputes.disputes, name="disputes"),
    path("disputes/<int:pk>/", disputes.dispute_detail, name="dispute"),
    path("disputes/<int:pk>/accept/", disputes.dispute_accept_view, name="dispute_accept"),
    path("disputes/<int:pk>/reject/", disputes.dispute_reject_view, name="dispute_reject"),
]
