from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    """What the State Council's schedule says about a date (only special dates are stored)."""

    HOLIDAY = "holiday", _("Statutory holiday")
    IN_LIEU = "in_lieu", _("Rest day moved (调休)")
    MAKEUP = "makeup", _("Make-up workday")
    # An ordinary Monday–Friday stored on purpose: it cancels a provisional holiday the official
    # schedule turned out not to have.
    WORKDAY = "workday", _("Working day (no holiday)")


class DaySource(models.TextChoices):
    OFFICIAL = "official", _("Official")
    PROVISIONAL = "provisional", _("Provisional")
    MANUAL = "manual", _("Entered by the operator")


class TenantDayKind(models.TextChoices):
    CLOSED = "closed", _("Closed (extra day off)")
    WORKED = "worked", _("Worked (open on a holiday)")
