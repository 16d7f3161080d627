from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TENANT_ADMIN = "tenant_admin", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")
    QA = "qa", _("Quality analyst")
    QA_LEAD = "qa_lead", _("QA lead")
    TRAINER = "trainer", _("Trainer")
    HR = "hr", _("HR")
    BILLING = "billing", _("Billing")
