"""Who sees which page in the navigation, and where each role lands after logging in.

One table serves both: the navigation lists the entries a user's roles may open, and a user's
home is the first workspace their most senior role has (an agent works at the desk, a supervisor
watches the wallboard). The roles of each entry follow the pages' own checks; the contract is
tests/core/test_isolation_pages.py ROLE_MATRIX, and tests/core/test_homes.py keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.accounts.choices import Role
from apps.core.api.permissions import has_role

A, S, G, Q, T, H, B = (
    Role.TENANT_ADMIN,
    Role.SUPERVISOR,
    Role.AGENT,
    Role.QA,
    Role.TRAINER,
    Role.HR,
    Role.BILLING,
)
EVERYONE = (A, S, G, Q, T, H, B)


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: tuple[str, ...]
    # Shown on the plain home of roles whose own department is not built yet.
    description: str | Promise = ""


TENANT_NAVIGATION: list[NavItem] = [
    NavItem(_("Home"), "home", (A, Q, T, H, B)),
    NavItem(_("Desk"), "agents:desk", (G,)),
    NavItem(_("Wallboard"), "agents:wallboard", (S, A)),
    NavItem(_("Users"), "console:users", (A,)),
    NavItem(_("Security"), "console:security", (A,)),
    NavItem(_("Seats"), "console:seats", (A,)),
    NavItem(_("Trunks & numbers"), "console:telephony", (A, S)),
    NavItem(_("Dialling policy"), "console:dialling", (A,)),
    NavItem(_("Queues & skills"), "agents:queues", (A, S)),
    NavItem(_("IVR"), "ivr:flows", (A,)),
    NavItem(_("Prompts"), "ivr:prompts", (A,)),
    NavItem(_("Campaigns"), "campaigns:list", (A, S)),
    NavItem(
        _("Calls"),
        "calls:list",
        (A, S, Q, G),
        _("Find calls by date, queue or agent, read their timeline and listen to the recordings."),
    ),
    NavItem(
        _("Dashboard"),
        "reports:dashboard",
        (A, S),
        _("Today's service level, abandons and handle time against your targets, and the last 30 days."),
    ),
    NavItem(
        _("Reports"),
        "reports:list",
        (A, S),
        _("Queue, interval, agent, abandon, campaign, IVR and satisfaction reports, with charts and exports."),
    ),
    NavItem(_("Holiday calendar"), "console:calendar", (A,)),
    NavItem(
        _("Customers"),
        "crm:list",
        EVERYONE,
        _("Look up a customer and the history of their calls."),
    ),
    NavItem(_("Audit log"), "console:audit", (A,)),
    NavItem(_("Data retention"), "console:retention", (A,)),
    NavItem(
        _("Billing"),
        "billing:usage",
        (A, B),
        _("This month's usage and charges so far, and the company's invoices to download."),
    ),
]

# The page a role lands on, most senior role first: a user holding several gets the first that applies.
ROLE_HOMES: list[tuple[str, str]] = [
    (A, "home"),
    (S, "agents:wallboard"),
    (G, "agents:desk"),
]


def navigation_for(user) -> list[tuple[str | Promise, str]]:
    """(label, url name) of every entry the user may open, in the table's order."""
    if user is None or not user.is_authenticated:
        return []
    return [(item.label, item.url_name) for item in TENANT_NAVIGATION if has_role(user, *item.roles)]


def home_url_name(user) -> str:
    """Where the user lands: their workspace, or the plain home (administrators' dashboard, and the
    roles whose department is not built yet)."""
    for role, url_name in ROLE_HOMES:
        if has_role(user, role):
            return url_name
    return "home"


def home_redirect(user) -> str | None:
    """The URL to send the user to from ``/``, or None when ``/`` is their home."""
    name = home_url_name(user)
    return None if name == "home" else reverse(name)


def tools_for(user) -> list[NavItem]:
    """What the plain home offers a user who is not an administrator: the pages they can open,
    each with a sentence on what it is for. Nothing they cannot open is mentioned."""
    return [item for item in TENANT_NAVIGATION if item.description and has_role(user, *item.roles)]
