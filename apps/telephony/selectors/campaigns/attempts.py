"""A person's campaign attempts, for a department that knows the person by phone number (the CRM's
customer timeline reads them here: the core never imports a department, and a department never
reads the dialer's tables or the engine directly).

Visibility follows the campaign pages: administrators and supervisors see every attempt; an agent
sees only the attempts they took (``DialAttempt.agent``); every other role sees none.
"""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.choices import Role
from apps.telephony.choices import DialOutcome
from apps.telephony.models import DialAttempt
from apps.telephony.selectors.campaigns.dialing import STAFF_ROLES


def attempts_visible_to(user) -> QuerySet[DialAttempt]:
    """Every attempt ``user`` may see; handed-back (undialled) rows are not attempts to a person."""
    attempts = DialAttempt.objects.exclude(outcome=DialOutcome.RETURNED).select_related(
        "campaign", "disposition", "agent__user"
    )
    if not (user and user.is_authenticated):
        return attempts.none()
    if user.has_role(*STAFF_ROLES):
        return attempts
    if user.has_role(Role.AGENT):
        return attempts.filter(agent__user=user)
    return attempts.none()


def attempts_to_numbers(user, numbers: list[str], *, limit: int) -> list[DialAttempt]:
    """The newest ``limit`` attempts ``user`` may see to contacts whose phone is one of ``numbers``
    (already normalised, with their national/international twins), newest first. A contact has
    no link to a customer: the number is the link."""
    if not numbers:
        return []
    return list(attempts_visible_to(user).filter(contact__phone__in=numbers).order_by("-started_at", "-id")[:limit])


def sees_campaign_pages(user) -> bool:
    """Whether a link to the campaign's page would open for ``user``."""
    return bool(user and user.is_authenticated and user.has_role(*STAFF_ROLES))
