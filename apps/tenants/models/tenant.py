from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from apps.tenants.choices import Language, TenantStatus


# Plan.tenants: the plugin cannot build the reverse manager of a model whose base (TenantMixin,
# django-tenants) has no stubs.
class Plan(models.Model):  # type: ignore[django-manager-missing]
    """A price list entry: what a tenant buys, and the seat ceiling that comes with it."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name (English)"), max_length=64)
    name_zh = models.CharField(_("name (Chinese)"), max_length=64)
    max_seats = models.PositiveIntegerField(_("maximum seats"))
    price_per_seat_month = models.DecimalField(_("price per seat per month"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    is_active = models.BooleanField(_("on sale"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name


class Tenant(TenantMixin):
    """A customer company: one PostgreSQL schema, one host ``<slug>.<PLATFORM_DOMAIN>``.

    Schemas are created by ``tenant_provision`` (apps/tenants/services), never by ``save()``:
    that service builds the schema from cached DDL in the same transaction as every other
    row, so a failure leaves nothing behind (docs/decisions/0002-provisioning-from-cached-ddl.md).
    """

    # Django's default manager, declared because TenantMixin comes from django-tenants, which ships
    # no stubs: without it the type checker cannot see one, nor Plan.tenants.
    objects: ClassVar[models.Manager[Tenant]]

    slug = models.SlugField(_("slug"), max_length=32, unique=True)
    name = models.CharField(_("company name"), max_length=200)
    # Null only for the platform's own row (the public schema).
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="tenants", null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=16, choices=TenantStatus.choices, default=TenantStatus.ACTIVE)
    created = models.DateTimeField(_("created"), default=timezone.now)
    default_language = models.CharField(
        _("default language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    seat_count = models.PositiveIntegerField(_("seats"), default=0)
    # The Chinese rule for marketing calls; campaigns read it through
    # apps.telephony.services.campaigns.lifecycle.marketing_requires_consent().
    marketing_requires_consent = models.BooleanField(
        _("marketing campaigns dial only consented contacts"), default=True
    )
    # Platform staff only (platform console): the tenant may present any caller ID, not just
    # its own numbers (a carrier contract proves the other numbers are theirs). Read through
    # apps.telephony.services.dialling.caller_id_check().
    caller_id_unrestricted = models.BooleanField(
        _("any caller ID allowed"),
        default=False,
        help_text=_("Platform staff only: the tenant may present caller IDs that are not its own numbers."),
    )
    delete_after = models.DateTimeField(
        _("delete after"),
        null=True,
        blank=True,
        help_text=_("Set by platform staff: the schema and files are removed after this moment."),
    )
    number_pending = models.BooleanField(
        _("number pending"), default=False, help_text=_("The number pool was empty at sign-up.")
    )

    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.slug

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE


class Domain(DomainMixin):
    """A host name that resolves to a tenant (or to the public schema)."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
