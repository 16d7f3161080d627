"""The administrator console of a tenant host (/console/...)."""

from django.urls import path

from apps.accounts.views import teams as account_team_views
from apps.accounts.views import two_factor as account_two_factor_views
from apps.accounts.views import users as account_views
from apps.audit import views as audit_views
from apps.calendar import views as calendar_views
from apps.retention import views as retention_views
from apps.telephony.views import dialling as dialling_views
from apps.telephony.views import plant as telephony_views

app_name = "console"

urlpatterns = [
    path("users/", account_views.users, name="users"),
    path("users/<int:pk>/", account_views.user_edit, name="user_edit"),
    path("tokens/", account_views.tokens, name="tokens"),
    path("teams/", account_team_views.teams, name="teams"),
    path("teams/<int:pk>/", account_team_views.team_edit, name="team_edit"),
    path("security/", account_two_factor_views.security, name="security"),
    path("seats/", telephony_views.seats, name="seats"),
    path("seats/<int:pk>/reset-secret/", telephony_views.seat_reset_secret_view, name="seat_reset_secret"),
    path("seats/<int:pk>/delete/", telephony_views.seat_delete_view, name="seat_delete"),
    path("telephony/", telephony_views.telephony, name="telephony"),
    path("telephony/trunks/<int:pk>/", telephony_views.trunk_edit, name="trunk_edit"),
    path("telephony/numbers/<int:pk>/", telephony_views.number_edit, name="number_edit"),
    path("dialling/", dialling_views.dialling_policy, name="dialling"),
    path("calendar/", calendar_views.tenant_calendar, name="calendar"),
    path("calendar/<int:pk>/remove/", calendar_views.tenant_day_delete, name="calendar_delete"),
    path("retention/", retention_views.retention, name="retention"),
    path("audit/", audit_views.audit_log, name="audit"),
    path("audit/export/<str:file_format>/", audit_views.audit_export, name="audit_export"),
    path("audit/settings/", audit_views.audit_settings, name="audit_settings"),
]
