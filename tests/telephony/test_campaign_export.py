"""The campaign results export as a service (rows, file name, the export log) with the HTTP
download left to the page and the API (apps/core/exports.py export_response)."""

from __future__ import annotations

import pytest
from django.http import HttpResponseBase
from django_tenants.utils import tenant_context

from apps.telephony.models import CampaignExport
from apps.telephony.services.campaigns import results_export
from tests.telephony.campaign_factories import make_campaign, make_contact


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


def test_the_export_service_logs_and_answers_rows_not_a_response(tenant):
    campaign = make_campaign()
    make_contact(campaign, phone="+8613800000001", name="王伟")
    admin = tenant.admin()

    export = results_export.campaign_export(campaign=campaign, file_format="csv", user=admin, ip_address="203.0.113.9")

    assert not isinstance(export, HttpResponseBase)
    assert export.filename == f"campaign-{campaign.pk}-results.csv"
    rows = list(export.rows)
    assert rows[0][:2] == ["phone", "name"]
    assert rows[1][:2] == ["+8613800000001", "王伟"]
    logged = CampaignExport.objects.get(campaign=campaign)
    assert (logged.user_id, logged.file_format, logged.ip_address) == (admin.pk, "csv", "203.0.113.9")
