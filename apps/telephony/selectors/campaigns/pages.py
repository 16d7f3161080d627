"""Reads behind the campaign pages and the outbound side of the agent desk.

What a disposition *means* for a campaign is a ``CampaignRetryRule`` keyed by it (models/campaigns.py);
the pages and the desk show it as one of three kinds — the contact is closed (``final``), dialled
again after a gap (``retry``), or its number goes on do-not-call (``dnc``) — so that an agent picks
a disposition knowing what it will do.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from apps.core.errors import NotFoundError
from apps.telephony import kpis
from apps.telephony.choices import CampaignStatus, ContactStatus, DialOutcome, RetryOutcome
from apps.telephony.dialer.retry import DEFAULT_OUTCOME_RULES
from apps.telephony.models import Agent, Call, CallEvent, Campaign, CampaignRetryRule, Contact, ContactList, Disposition
from apps.telephony.models.campaigns import OPEN_CONTACT_STATUSES
from apps.telephony.selectors.campaigns.dialing import (
    DIALLED_OUTCOMES,
    LIVE_OUTCOMES,
    abandon_history,
    contact_dialled,
)
from apps.telephony.selectors.campaigns.monitor import CAMPAIGN_DIAL_EVENT
from apps.telephony.services.campaigns.contact_import import CUSTOM_PREFIX
from apps.telephony.services.campaigns.lifecycle import (
    DO_NOT_CALL_DISPOSITION,
    STANDARD_CONTACT_FIELDS,
    contact_card,
    script_render,
)

KIND_FINAL = "final"
KIND_RETRY = "retry"
KIND_DNC = "dnc"
DISPOSITION_KINDS = (KIND_FINAL, KIND_RETRY, KIND_DNC)
#: Shown in the script preview of a campaign that has no contacts yet.
SAMPLE_CONTACT = {
    "name": "张伟",
    "phone": "+8613800138000",
    "time_zone": "Asia/Shanghai",
    "email": "zhang.wei@example.com",
    "external_id": "C-1001",
}


def outcome_rules(campaign: Campaign | None) -> list[dict[str, Any]]:
    """Each dial outcome's rule: the campaign's own, else the retry table's (dialer/retry.py)."""
    own = {}
    if campaign is not None and campaign.pk:
        own = {rule.outcome: rule for rule in CampaignRetryRule.objects.filter(campaign=campaign).exclude(outcome="")}
    rows = []
    for outcome, label in RetryOutcome.choices:
        rule = own.get(outcome)
        default = DEFAULT_OUTCOME_RULES[outcome]
        rows.append(
            {
                "outcome": outcome,
                "label": label,
                "retry": rule.retry if rule else default.retry,
                "min_gap_minutes": rule.min_gap_minutes if rule else default.min_gap_minutes,
                "max_attempts": rule.max_attempts if rule else default.max_attempts,
            }
        )
    return rows


def disposition_rules(campaign: Campaign | None) -> list[dict[str, Any]]:
    """Every active disposition with what it does in ``campaign`` (``kind``: final, retry or dnc).
    Without a rule a disposition is final; "do not call me" is always dnc (the callee asked)."""
    own = {}
    if campaign is not None and campaign.pk:
        own = {
            rule.disposition_id: rule
            for rule in CampaignRetryRule.objects.filter(campaign=campaign, disposition__isnull=False)
        }
    rows = []
    for disposition in Disposition.objects.filter(is_active=True).order_by("name", "id"):
        rule = own.get(disposition.pk)
        if disposition.code == DO_NOT_CALL_DISPOSITION or (rule is not None and rule.do_not_call):
            kind = KIND_DNC
        elif rule is not None and rule.retry:
            kind = KIND_RETRY
        else:
            kind = KIND_FINAL
        rows.append(
            {
                "id": disposition.pk,
                "code": disposition.code,
                "name": disposition.name,
                "kind": kind,
                "locked": disposition.code == DO_NOT_CALL_DISPOSITION,
                "min_gap_minutes": rule.min_gap_minutes if rule is not None and rule.retry else 60,
                "max_attempts": rule.max_attempts if rule is not None and rule.retry else 3,
            }
        )
    return rows


def campaign_variables(campaign: Campaign | None) -> list[str]:
    """The ``{{contact.…}}`` names a script may use: the standard fields, then the custom fields
    the campaign's lists map columns to."""
    names = list(STANDARD_CONTACT_FIELDS)
    if campaign is not None and campaign.pk:
        for mapping in ContactList.objects.filter(campaign=campaign).values_list("mapping", flat=True):
            for target in (mapping or {}).values():
                if isinstance(target, str) and target.startswith(CUSTOM_PREFIX):
                    key = target[len(CUSTOM_PREFIX) :]
                    if key not in names:
                        names.append(key)
    return names


def sample_contact(campaign: Campaign | None) -> tuple[dict[str, Any], bool]:
    """The card the script preview is rendered against: the campaign's first contact, or a made-up
    one whose custom fields show their own names. The flag says whether the contact is real."""
    if campaign is not None and campaign.pk:
        contact = Contact.objects.filter(campaign=campaign).order_by("id").first()
        if contact is not None:
            return contact_card(contact), True
    card: dict[str, Any] = dict(SAMPLE_CONTACT)
    for name in campaign_variables(campaign):
        card.setdefault(name, f"‹{name}›")
    return card, False


def script_preview(script: str, campaign: Campaign | None) -> dict[str, Any]:
    card, real = sample_contact(campaign)
    return {"text": script_render(script, card), "card": card, "real": real}


def campaign_rows() -> list[dict[str, Any]]:
    """The campaign list: every campaign with its contacts and its abandon rate over its window."""
    campaigns = list(Campaign.objects.select_related("queue").order_by("-created_at", "-id"))
    contact_figures = {
        row["campaign_id"]: row
        for row in Contact.objects.values("campaign_id")
        .annotate(
            total=Count("id"),
            remaining=Count("id", filter=Q(status__in=(*OPEN_CONTACT_STATUSES, ContactStatus.DIALING))),
            attempted=Count("id", filter=contact_dialled()),
            finished=Count("id", filter=Q(status__in=(ContactStatus.DONE, ContactStatus.DNC, ContactStatus.INVALID))),
        )
        .order_by()
    }
    rows = []
    for campaign in campaigns:
        live, abandoned = abandon_history(campaign)
        rate = kpis.outbound_abandon_rate(abandoned, live)
        figures: dict[str, Any] = dict(contact_figures.get(campaign.pk) or {})
        rows.append(
            {
                "campaign": campaign,
                "total": figures.get("total", 0),
                "remaining": figures.get("remaining", 0),
                "attempted": figures.get("attempted", 0),
                "finished": figures.get("finished", 0),
                "live_answers": live,
                "abandon_rate": kpis.rounded(rate, 4),
                "over_cap": rate is not None and rate > float(campaign.max_abandon_rate),
            }
        )
    return rows


def campaign_attempt_figures(campaign: Campaign) -> dict[str, int]:
    """Attempts by outcome, for the campaign's page. ``total`` is the *dial attempts* figure of
    selectors/campaigns/monitor.py FIGURES (dialled and ended); contacts handed back undialled
    are shown apart (``returned``), never in the total."""
    rows = dict(campaign.dial_attempts.exclude(outcome="").values_list("outcome").annotate(n=Count("id")).order_by())
    figures = {outcome: rows.get(outcome, 0) for outcome in DialOutcome.values}
    figures["live"] = sum(rows.get(outcome, 0) for outcome in LIVE_OUTCOMES)
    figures["total"] = sum(rows.get(outcome, 0) for outcome in DIALLED_OUTCOMES)
    return figures


def campaigns_open() -> list[Campaign]:
    """Campaigns that still take work (contacts, DNC entries, callbacks)."""
    return list(Campaign.objects.exclude(status=CampaignStatus.FINISHED).order_by("name"))


# --- the agent desk -------------------------------------------------------------------------------------


def contact_field_labels(contact: Contact) -> dict[str, str]:
    """The custom fields' names as the list's file called them (its column headers, from the
    mapping): the desk shows "套餐", not the key "plan" the administrator typed when importing."""
    mapping = contact.contact_list.mapping if contact.contact_list_id is not None and contact.contact_list else {}
    return {
        str(target)[len(CUSTOM_PREFIX) :]: str(column)
        for column, target in (mapping or {}).items()
        if isinstance(target, str) and target.startswith(CUSTOM_PREFIX) and str(column).strip()
    }


def preview_contact_labels(*, contact_id: int) -> dict[str, str]:
    """The custom fields' names for a contact shown on the desk's preview card. The engine's
    ``campaign.preview`` message carries the fields by key only (its shape is fixed,
    docs/realtime.md), so the desk asks for the list's column headers here, as the campaign-call
    panel gets them from ``campaign_call_context``. Only the headers: no contact data."""
    contact = Contact.objects.select_related("contact_list").filter(pk=contact_id).first()
    if contact is None:
        raise NotFoundError("not_found", _("There is no such contact."))
    return contact_field_labels(contact)


def campaign_call_context(*, agent: Agent, call_uid: str) -> dict[str, Any]:
    """The campaign side of an agent's current (or just ended) call: the contact's card, the script
    rendered for them and the campaign's dispositions. The desk asks for it when an outbound offer
    arrives and after a reload, when the socket's snapshot does not carry the campaign part."""
    call = Call.objects.filter(uid=call_uid).first()
    if call is None or (call.agent_id != agent.pk and agent.current_call_id != call.pk):
        raise NotFoundError("not_found", _("There is no such call."))
    event = CallEvent.objects.filter(call=call, kind=CAMPAIGN_DIAL_EVENT).order_by("id").first()
    dialled: dict[str, Any] = (event.data or {}) if event is not None else {}
    contact_id = dialled.get("contact_id")
    contact = (
        Contact.objects.select_related("campaign", "contact_list").filter(pk=contact_id).first() if contact_id else None
    )
    if contact is None:
        raise NotFoundError("not_campaign_call", _("This call was not dialled by a campaign."))
    campaign = contact.campaign
    card = contact_card(contact)
    return {
        "call_uid": call.uid,
        "campaign_id": campaign.pk,
        "campaign_name": campaign.name,
        "contact": {
            "contact_id": contact.pk,
            "name": contact.name,
            "number": contact.phone,
            "attempt": dialled.get("attempt") or contact.attempts,
            "fields": card,
            "labels": contact_field_labels(contact),
        },
        "script": script_render(campaign.script, contact),
        "dispositions": [
            {key: row[key] for key in ("code", "name", "kind", "min_gap_minutes", "max_attempts")}
            for row in disposition_rules(campaign)
        ],
    }
