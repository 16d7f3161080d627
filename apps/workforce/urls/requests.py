"""Requests and approvals (see apps/workforce/urls/__init__.py)."""

from django.urls import path

from apps.workforce.views import requests

urlpatterns: list = [
    path("requests/", requests.my_requests, name="requests"),
    path("requests/leave/new/", requests.leave_new, name="leave_new"),
    path("requests/swap/new/", requests.swap_new, name="swap_new"),
    path("requests/overtime/new/", requests.overtime_new, name="overtime_new"),
    path("requests/leave/<int:pk>/cancel/", requests.leave_cancel_view, name="leave_cancel"),
    path("requests/leave/<int:pk>/certificate/", requests.leave_certificate_view, name="leave_certificate"),
    path(
        "requests/leave/<int:pk>/certificate/file/", requests.leave_certificate_download, name="leave_certificate_file"
    ),
    path("requests/overtime/<int:pk>/cancel/", requests.overtime_cancel_view, name="overtime_cancel"),
    path("requests/swap/<int:pk>/cancel/", requests.swap_cancel_view, name="swap_cancel"),
    path("requests/swap/<int:pk>/answer/", requests.swap_answer_view, name="swap_answer"),
    path("approvals/", requests.approvals, name="approvals"),
    path("approvals/leave/<int:pk>/", requests.leave_decide, name="leave_decide"),
    path("approvals/overtime/<int:pk>/", requests.overtime_decide, name="overtime_decide"),
    path("approvals/swap/<int:pk>/", requests.swap_decide_view, name="swap_decide"),
]
