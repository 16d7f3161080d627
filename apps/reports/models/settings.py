"""The tenant's KPI definition settings and targets (DOMAIN.md §2): one row per tenant schema.

A singleton (``id`` 1) created with the defaults the first time it is read
(:func:`apps.reports.selectors.kpis.kpi_settings`), so no tenant needs a data migration.
The figures' *definitions* live in apps/telephony/kpis.py and apps/reports/kpi_math.py; this row
only holds the knobs a tenant may turn, and every KPI response prints them
(:func:`apps.reports.definitions.settings_lines`).

Per-queue knobs (service-level threshold T, short-abandon limit) stay on the queue
(``telephony.Queue``) and are fixed on each CDR when it closes, so changing them never rewrites
history. Changing ``fcr_window_hours`` or ``fcr_resolved_counts`` is read at query time where it can
be (the resolved rule) and needs ``manage.py rebuild_rollups`` where it cannot (the window, which
is computed when the rollups are built; the rollup state records the window used).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class KpiSettings(models.Model):
    """How the tenant's KPIs are counted, and the targets the dashboard compares them with."""

    SINGLETON_ID = 1

    fcr_window_hours = models.PositiveIntegerField(
        _("first-call resolution window (hours)"),
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text=_(
            "A handled call is resolved first time when the caller does not call the same queue again within this time."
        ),
    )
    fcr_resolved_counts = models.BooleanField(
        _("a resolving disposition counts as resolved"),
        default=True,
        help_text=_(
            "A handled call whose disposition resolves the contact counts as resolved even if the caller calls again."
        ),
    )
    short_abandons_excluded = models.BooleanField(
        _("leave short abandons out"),
        default=True,
        help_text=_(
            "Callers who hang up within the queue's short-abandon limit are left out of service level and abandon rate."
        ),
    )
    abandon_rate_target_percent = models.DecimalField(
        _("abandon rate target (%)"), max_digits=5, decimal_places=2, default=2
    )
    asa_target_seconds = models.PositiveIntegerField(_("average speed of answer target (s)"), default=15)
    fcr_target_percent = models.DecimalField(
        _("first-call resolution target (%)"), max_digits=5, decimal_places=2, default=90
    )
    occupancy_target_percent = models.DecimalField(
        _("occupancy target (%)"), max_digits=5, decimal_places=2, default=80
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("KPI settings")
        verbose_name_plural = _("KPI settings")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="kpi_settings_singleton")]

    def __str__(self) -> str:
        return str(_("KPI settings"))
