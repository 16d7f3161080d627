"""Default rows for a new tenant: pause reasons, dispositions, a skill and a queue.

Runs inside the provisioning transaction, in the new tenant's schema (settings.TENANT_SEEDERS),
so it only bulk-creates. Names are stored in the company's default language; administrators
rename them in the console. The codes are fixed: "break" and the system reasons "login" (set
on seat login) and "missed" (set by RONA) are relied on by the product and the API contract.
"""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.telephony import agent_states
from apps.telephony.choices import IvrFlowStatus
from apps.telephony.ivr.defaults import default_flow_name, default_graph, default_hours_name
from apps.telephony.models import (
    BusinessHours,
    Disposition,
    IvrFlow,
    IvrFlowVersion,
    PauseReason,
    PhoneNumber,
    Queue,
    QueueSkill,
    Skill,
)

DEFAULT_QUEUE = "general"
DEFAULT_SKILL = "general"
# The level a new agent gets in the default skill (services/agent_state.agent_ensure): enough for
# the default queue (min_level 1); supervisors raise it for their best people.
DEFAULT_SKILL_LEVEL = 1

# (code, name, is_system, counts_as_productive)
PAUSE_REASONS = [
    ("break", gettext_noop("Break"), False, False),  # 小休
    ("lunch", gettext_noop("Lunch"), False, False),  # 用餐
    ("training", gettext_noop("Training"), False, True),  # 培训
    ("meeting", gettext_noop("Meeting"), False, True),  # 会议
    (agent_states.REASON_LOGIN, gettext_noop("Logged in"), True, False),
    (agent_states.REASON_MISSED, gettext_noop("Missed call"), True, False),
]

# (code, name, is_resolved)
DISPOSITIONS = [
    ("resolved", gettext_noop("Resolved"), True),
    ("follow_up", gettext_noop("Needs follow-up"), False),
    ("wrong_number", gettext_noop("Wrong number"), False),
    ("complaint", gettext_noop("Complaint"), False),
    # Campaigns put the number on the do-not-call list at once (CampaignRetryRule.do_not_call).
    ("do_not_call", gettext_noop("Do not call me"), False),
]


def seed_tenant_defaults(tenant) -> None:
    with translation.override(tenant.default_language or "zh-hans"):
        PauseReason.objects.bulk_create(
            [
                PauseReason(code=code, name=_(name), is_system=is_system, counts_as_productive=productive)
                for code, name, is_system, productive in PAUSE_REASONS
            ]
        )
        Disposition.objects.bulk_create(
            [Disposition(code=code, name=_(name), is_resolved=resolved) for code, name, resolved in DISPOSITIONS]
        )
        skill = Skill.objects.create(code=DEFAULT_SKILL, name=_("General"))
        queue = Queue.objects.create(code=DEFAULT_QUEUE, name=_("General"))
    QueueSkill.objects.create(queue=queue, skill=skill, min_level=1)
    # Until an IVR flow is published, the service number goes straight to the default queue.
    PhoneNumber.objects.filter(queue__isnull=True).update(queue=queue)


def seed_default_ivr(tenant) -> None:
    """The default IVR (apps/telephony/ivr/defaults.py). Runs inside the provisioning transaction
    with the tenant's schema active, after :func:`seed_tenant_defaults` created the queue "general".

    Business hours "Default hours", the published flow "Main menu" (named, and worded, in the
    company's language), and every number routed to it.

    Does nothing when the queue "general" is missing or the flow exists already.
    """
    language = getattr(tenant, "default_language", "") or "zh-hans"
    flow_name, hours_name = default_flow_name(language), default_hours_name(language)
    queue = Queue.objects.filter(code="general").first()
    if queue is None or IvrFlow.objects.filter(name=flow_name).exists():
        return
    hours = BusinessHours.objects.filter(name=hours_name).first()
    if hours is None:
        workday = [["09:00", "18:00"]]
        hours = BusinessHours.objects.create(
            name=hours_name,
            time_zone=getattr(tenant, "time_zone", "") or "Asia/Shanghai",
            weekly={
                "mon": workday,
                "tue": workday,
                "wed": workday,
                "thu": workday,
                "fri": workday,
                "sat": [],
                "sun": [],
            },
            follow_chinese_holidays=True,
        )
    with translation.override(language):
        description = _("The default flow: opening hours, a menu, the general queue.")
    flow = IvrFlow.objects.create(name=flow_name, description=description)
    # Known valid (tests/telephony/test_ivr_services.py validates it), so it is published
    # directly: provisioning must stay fast.
    IvrFlowVersion.objects.create(
        flow=flow,
        number=1,
        status=IvrFlowStatus.PUBLISHED,
        published_at=timezone.now(),
        graph=default_graph(company=tenant.name, queue_id=queue.pk, hours_id=hours.pk, language=language),
    )
    PhoneNumber.objects.update(ivr_flow=flow, queue=None)
