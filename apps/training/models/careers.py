"""Career ladder levels (CSR → senior CSR → team leader → supervisor) and what each requires."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CareerLevel(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True, help_text=_("Higher is more senior."))
    description = models.TextField(_("description"), blank=True)
    required_certifications = models.ManyToManyField(
        "training.Certification", verbose_name=_("required certifications"), blank=True, related_name="career_levels"
    )
    # None: no QA requirement. A percentage, like the QA scores it is compared with.
    min_qa_average = models.DecimalField(
        _("minimum QA average (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    min_tenure_months = models.PositiveSmallIntegerField(_("minimum tenure (months)"), default=0)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("career level")
        verbose_name_plural = _("career levels")

    def __str__(self) -> str:
        return self.name
