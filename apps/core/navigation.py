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

A, S, G, Q, T, H, B, L = (
    Role.TENANT_ADMIN,
    Role.SUPERVISOR,
    Role.AGENT,
    Role.QA,
    Role.TRAINER,
    Role.HR,
    Role.BILLING,
    Role.QA_LEAD,
)
EVERYONE = (A, S, G, Q, T, H, B, L)


# The menus of the top bar, in order. An entry's group is a menu; a menu that holds one entry for
# a user is drawn as a plain link (an agent sees "Quality ▾" only when it has more than one page).
OPERATIONS = _("Operations")
QUALITY = _("Quality")
CUSTOMERS = _("Customers")
WORKFORCE = _("Workforce")
TRAINING = _("Training")
REPORTS = _("Reports")
ADMINISTRATION = _("Administration")


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: tuple[str, ...]
    # Shown on the plain home of roles whose own department is not built yet.
    description: str | Promise = ""
    group: str | Promise | None = None  # None: a link of its own in the top bar


TENANT_NAVIGATION: list[NavItem] = [
    NavItem(_("Home"), "home", (A, T, H, B)),
    NavItem(_("Desk"), "agents:desk", (G,)),
    NavItem(_("Wallboard"), "agents:wallboard", (S, A)),
    NavItem(
        _("Calls"),
        "calls:list",
        (A, S, Q, G, L),
        _("Find calls by date, queue or agent, read their timeline and listen to the recordings."),
        group=OPERATIONS,
    ),
    NavItem(_("Voicemail"), "calls:voicemails", (A, S, G), group=OPERATIONS),
    NavItem(_("Callback requests"), "calls:callbacks", (A, S, G), group=OPERATIONS),
    NavItem(_("Campaigns"), "campaigns:list", (A, S), group=OPERATIONS),
    NavItem(_("Queues & skills"), "agents:queues", (A, S), group=OPERATIONS),
    NavItem(_("What-if simulation"), "agents:whatif", (A, S), group=OPERATIONS),
    NavItem(_("IVR"), "ivr:flows", (A,), group=OPERATIONS),
    NavItem(_("Prompts"), "ivr:prompts", (A,), group=OPERATIONS),
    NavItem(_("Trunks & numbers"), "console:telephony", (A, S), group=OPERATIONS),
    NavItem(_("Dialling policy"), "console:dialling", (A,), group=OPERATIONS),
    NavItem(_("Seats"), "console:seats", (A,), group=OPERATIONS),
    NavItem(
        _("QA workspace"),
        "qa:home",
        (A, S, Q, L),
        _("Your assigned calls to score, your drafts, and any call to evaluate on its recording."),
        group=QUALITY,
    ),
    NavItem(
        _("My evaluations"),
        "qa:mine",
        (G,),
        _("How your calls were scored; acknowledge an evaluation or dispute a question."),
        group=QUALITY,
    ),
    NavItem(_("Scorecards"), "qa:scorecards", (A, S, Q, L), group=QUALITY),
    NavItem(_("Sampling"), "qa:sampling_rules", (A, L), group=QUALITY),
    NavItem(_("Calibration"), "qa:calibration_list", (A, Q, L), group=QUALITY),
    NavItem(_("Disputes"), "qa:disputes", (A, S, Q, L), group=QUALITY),
    NavItem(
        _("Coaching"),
        "qa:coaching",
        (A, S, G, Q, L),
        _("Coaching sessions planned after an evaluation, with their notes and follow-up dates."),
        group=QUALITY,
    ),
    NavItem(
        _("Customers"),
        "crm:list",
        EVERYONE,
        _("Look up a customer and the history of their calls."),
        group=CUSTOMERS,
    ),
    NavItem(
        _("Tickets"),
        "tickets:list",
        (A, S, G, Q, L),
        _("Work orders from received to visited: who has them, what is due and what breached."),
        group=CUSTOMERS,
    ),
    NavItem(
        _("Knowledge base"),
        "kb:search",
        EVERYONE,
        _("Search the answers and standard phrases agents use on calls, in Chinese or English."),
        group=CUSTOMERS,
    ),
    NavItem(_("Manage articles"), "kb:manage", (A, S, T), group=CUSTOMERS),
    NavItem(_("Standard phrases"), "kb:phrases", (A, S, T), group=CUSTOMERS),
    NavItem(
        _("What agents look up"),
        "kb:insights",
        (A, S, T, L),
        _("The articles and phrases agents open and insert, and the searches that found nothing."),
        group=CUSTOMERS,
    ),
    NavItem(
        _("Survey responses"),
        "surveys:list",
        (A, S, G, Q, L),
        _("What callers scored after their calls, and the low scores to follow up."),
        group=CUSTOMERS,
    ),
    NavItem(_("Callback visits"), "surveys:visits", (A, S, G, Q, L), group=CUSTOMERS),
    NavItem(_("Import customers"), "crm:imports", (A, S), group=CUSTOMERS),
    NavItem(
        _("Workforce"),
        "workforce:home",
        EVERYONE,
        _("Your shifts, clocking in and out, handovers, and leave, swap and overtime requests."),
        group=WORKFORCE,
    ),
    NavItem(_("My schedule"), "workforce:schedule", EVERYONE, group=WORKFORCE),
    NavItem(_("Clock in/out"), "workforce:clock", EVERYONE, group=WORKFORCE),
    NavItem(_("Handover"), "workforce:handover", EVERYONE, group=WORKFORCE),
    NavItem(_("My requests"), "workforce:requests", EVERYONE, group=WORKFORCE),
    NavItem(
        _("Roster"),
        "workforce:roster",
        (A, S, H),
        _("Plan shifts by week or month against the staff each half-hour needs, then publish them."),
        group=WORKFORCE,
    ),
    NavItem(_("Approvals"), "workforce:approvals", (A, S, H), group=WORKFORCE),
    NavItem(_("Clock corrections"), "workforce:corrections", (A, S, H), group=WORKFORCE),
    NavItem(_("Shift types"), "workforce:shift_types", (A, H), group=WORKFORCE),
    NavItem(_("Discipline"), "workforce:discipline", (A, H), group=WORKFORCE),
    NavItem(_("Attendance policy"), "workforce:policy", (A, H), group=WORKFORCE),
    NavItem(_("Staffing"), "workforce_staffing:day", (A, S, H), group=WORKFORCE),
    NavItem(_("Adherence"), "workforce_staffing:adherence", (A, S, H), group=WORKFORCE),
    NavItem(_("Staffing calculator"), "workforce_staffing:calculator", (A, S, H), group=WORKFORCE),
    NavItem(_("Roster what-if"), "workforce_staffing:whatif", (A, S, H), group=WORKFORCE),
    NavItem(
        _("My training"),
        "training:my_training",
        EVERYONE,
        _("Your courses, exams, certificates and the next step of your career path."),
        group=TRAINING,
    ),
    NavItem(_("Courses"), "training:courses", EVERYONE, group=TRAINING),
    NavItem(_("Exams"), "training:exams", EVERYONE, group=TRAINING),
    NavItem(_("Typing tests"), "training:typing_tests", EVERYONE, group=TRAINING),
    NavItem(_("My certificates"), "training:my_certificates", EVERYONE, group=TRAINING),
    NavItem(_("Certifications"), "training:certifications", EVERYONE, group=TRAINING),
    NavItem(_("Career paths"), "training:careers", EVERYONE, group=TRAINING),
    NavItem(_("Programmes"), "training:programmes", (A, S, T), group=TRAINING),
    NavItem(_("Trainees"), "training:people", (A, S, T, H), group=TRAINING),
    NavItem(_("Question banks"), "training:banks", (A, T), group=TRAINING),
    NavItem(_("Grading"), "training:grading", (A, T), group=TRAINING),
    NavItem(_("Effectiveness"), "training:effectiveness", (A, T), group=TRAINING),
    NavItem(_("QA → training rules"), "training:qa_rules", (A, T), group=TRAINING),
    NavItem(
        _("Dashboard"),
        "reports:dashboard",
        (A, S),
        _("Today's service level, abandons and handle time against your targets, and the last 30 days."),
        group=REPORTS,
    ),
    NavItem(
        _("Reports"),
        "reports:list",
        (A, S, Q, L, T, H),
        _(
            "Queue, interval, agent, abandon, campaign, IVR, satisfaction, quality, attendance and training"
            " reports, with exports."
        ),
        group=REPORTS,
    ),
    NavItem(
        _("Billing"),
        "billing:usage",
        (A, B),
        _("This month's usage and charges so far, and the company's invoices to download."),
        group=REPORTS,
    ),
    NavItem(_("Users"), "console:users", (A,), group=ADMINISTRATION),
    NavItem(_("Teams"), "console:teams", (A,), group=ADMINISTRATION),
    NavItem(_("Customer fields"), "crm:fields", (A,), group=ADMINISTRATION),
    NavItem(_("Webhooks"), "webhooks:list", (A,), group=ADMINISTRATION),
    NavItem(_("Security"), "console:security", (A,), group=ADMINISTRATION),
    NavItem(_("Ticket categories & SLAs"), "tickets:categories", (A,), group=ADMINISTRATION),
    NavItem(_("Departments"), "tickets:departments", (A,), group=ADMINISTRATION),
    NavItem(_("Holiday calendar"), "console:calendar", (A,), group=ADMINISTRATION),
    NavItem(_("Audit log"), "console:audit", (A,), group=ADMINISTRATION),
    NavItem(_("Data retention"), "console:retention", (A,), group=ADMINISTRATION),
]


@dataclass(frozen=True)
class NavMenu:
    """One place in the top bar: a link (``label`` and ``url_name``) or a menu of ``items``."""

    label: str | Promise
    url_name: str = ""
    items: tuple[tuple[str | Promise, str], ...] = ()


# The page a role lands on, most senior role first: a user holding several gets the first that applies.
ROLE_HOMES: list[tuple[str, str]] = [
    (A, "home"),
    (S, "agents:wallboard"),
    (G, "agents:desk"),
    (L, "qa:home"),
    (Q, "qa:home"),
]


def navigation_for(user) -> list[tuple[str | Promise, str]]:
    """(label, url name) of every entry the user may open, in the table's order."""
    if user is None or not user.is_authenticated:
        return []
    return [(item.label, item.url_name) for item in TENANT_NAVIGATION if has_role(user, *item.roles)]


def menus_for(user) -> list[NavMenu]:
    """The top bar for ``user``: the entries they may open, grouped into menus in the table's order;
    a menu with a single entry for them becomes that entry's plain link."""
    menus: list[NavMenu] = []
    grouped: dict[str, list[tuple[str | Promise, str]]] = {}
    order: list[tuple[str | Promise | None, NavItem]] = []
    for item in TENANT_NAVIGATION:
        if not (user is not None and user.is_authenticated and has_role(user, *item.roles)):
            continue
        if item.group is None:
            order.append((None, item))
            continue
        key = str(item.group)
        if key not in grouped:
            grouped[key] = []
            order.append((item.group, item))
        grouped[key].append((item.label, item.url_name))
    for group, item in order:
        if group is None:
            menus.append(NavMenu(label=item.label, url_name=item.url_name))
            continue
        entries = grouped[str(group)]
        if len(entries) == 1:
            menus.append(NavMenu(label=entries[0][0], url_name=entries[0][1]))
        else:
            menus.append(NavMenu(label=group, items=tuple(entries)))
    return menus


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
