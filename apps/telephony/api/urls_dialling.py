"""``/api/v1/dialling-policy`` (apps/telephony/api/dialling.py)."""

from django.urls import path

from apps.telephony.api import dialling

urlpatterns = [path("dialling-policy", dialling.dialling_policy, name="dialling-policy")]
