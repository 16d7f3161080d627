"""The demo's outbound campaign (``make run``): ready to start, and set up once however often it runs."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.telephony.choices import CampaignStatus, ContactListStatus
from apps.telephony.models import Agent, AgentSkill, Campaign, CampaignRetryRule, Contact, ContactList
from apps.telephony.selectors.campaigns.dialing import campaign_settings
from apps.telephony.services.campaigns.demo import CAMPAIGN_NAME, demo_campaign_setup
from apps.telephony.services.campaigns.lifecycle import campaign_start, script_render
from apps.telephony.services.demo import demo_traffic_setup


def test_the_demo_campaign_is_a_predictive_draft_with_an_imported_list(acme):
    with tenant_context(acme.tenant):
        User.objects.create_user("agent@demo.local", "x-Pass-1234", name="Demo", roles=["agent"])

    result = demo_traffic_setup(acme.tenant)  # make run's setup prepares the campaign too

    assert result["campaign_contacts_created"] == 30
    with tenant_context(acme.tenant):
        campaign = Campaign.objects.select_related("queue").get(name=CAMPAIGN_NAME)
        contact_list = ContactList.objects.get(campaign=campaign)
        contact = Contact.objects.filter(campaign=campaign).order_by("id").first()
        follow_up = CampaignRetryRule.objects.get(campaign=campaign, disposition__code="follow_up")
        human = Agent.objects.get(user__email="agent@demo.local")
        assert AgentSkill.objects.get(agent=human, skill__code="outbound").level == 10
        assert (campaign.status, campaign.dial_mode, campaign.queue.code) == (
            CampaignStatus.DRAFT,
            "predictive",
            "outbound",
        )
        assert contact_list.status == ContactListStatus.DONE and contact_list.rows_imported == 30
        assert set(contact.data) == {"product", "renewal_date"}
        assert (follow_up.retry, follow_up.min_gap_minutes) == (True, 1440)
        rendered = script_render(campaign.script, contact)
        assert contact.name in rendered and contact.data["product"] in rendered and "{{" not in rendered

        campaign_start(campaign=campaign)
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.RUNNING
        assert campaign_settings(campaign).mode == "predictive"


def test_the_demo_campaign_setup_is_idempotent(acme):
    demo_traffic_setup(acme.tenant)
    demo_campaign_setup(acme.tenant)

    again = demo_campaign_setup(acme.tenant)

    assert again["campaign_created"] == 0 and again["contacts_created"] == 0
    with tenant_context(acme.tenant):
        assert Campaign.objects.filter(name=CAMPAIGN_NAME).count() == 1
        assert Contact.objects.count() == 30
        outbound = [f"vagent{n:02d}@demo.local" for n in (9, 10, 11, 12)]
        assert Agent.objects.filter(user__email__in=outbound, is_virtual=True).count() == 4
