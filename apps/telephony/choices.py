from django.db import models
from django.utils.translation import gettext_lazy as _


class TrunkKind(models.TextChoices):
    SIM = "sim", _("Simulated carrier")
    SIP = "sip", _("SIP trunk")
    E1 = "e1", _("E1 (30 channels)")
