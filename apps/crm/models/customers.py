"""Customers: a name, several phone numbers and e-mail addresses, tags, a VIP level, an owner and
the administrator's custom fields — what the screen pop, VIP routing and the timeline read.

Phone numbers and e-mails are arrays on the row, not child tables: the engine, the CDR writer and
the calls export read ``phones`` by the caller number through a GIN index (``phones && …``), and
one row per customer keeps a 100,000-row import a bulk insert. The first element of each array is
the primary one (docs/decisions/0030-customer-contact-arrays.md). Custom values live in
``custom`` as ``{field key: value}`` (JSON, GIN-indexed for the unique check and the search).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.crm.choices import VIP_LEVEL_MAX, CustomFieldType


class Customer(models.Model):
    """A person or company that calls in; found by any of its phone numbers (ANI)."""

    name = models.CharField(_("name"), max_length=200)
    phones = ArrayField(models.CharField(max_length=32), verbose_name=_("phone numbers"), default=list, blank=True)
    emails = ArrayField(models.CharField(max_length=254), verbose_name=_("e-mail addresses"), default=list, blank=True)
    tags = ArrayField(models.CharField(max_length=50), verbose_name=_("tags"), default=list, blank=True)
    is_vip = models.BooleanField(_("VIP"), default=False)
    vip_level = models.PositiveSmallIntegerField(
        _("VIP level"), default=0, help_text=_("0: not a VIP; 1–5: the VIP level (1 is the highest).")
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner (person)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    owner_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("owner (team)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            # No pending list (fastupdate off) on the lookup indexes: every call looks its caller
            # up here, and a lookup scans the whole pending list, which an import fills with
            # thousands of entries (0.9 ms per number at 50,000 customers, docs/decisions/0030).
            GinIndex(fields=["phones"], name="customer_phones_gin", fastupdate=False),
            GinIndex(fields=["emails"], name="customer_emails_gin", fastupdate=False),
            GinIndex(fields=["tags"], name="customer_tags_gin"),
            GinIndex(fields=["custom"], name="customer_custom_gin"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(vip_level__lte=VIP_LEVEL_MAX), name="customer_vip_level_range"),
            models.CheckConstraint(
                condition=models.Q(owner_user__isnull=True) | models.Q(owner_team__isnull=True),
                name="customer_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def primary_phone(self) -> str:
        return self.phones[0] if self.phones else ""

    @property
    def primary_email(self) -> str:
        return self.emails[0] if self.emails else ""


class CustomField(models.Model):
    """A field the administrator adds to every customer of the tenant (会员等级, 身份证号 …).

    ``visible_roles`` empty means every role sees the field; ``sensitive`` values are masked
    (``1101**********1234``) in lists, screen pops, the API and exports for every role not in
    ``unmasked_roles`` (apps/crm/masking.py)."""

    key = models.SlugField(_("key"), max_length=50, help_text=_("Letters, digits and _; used by the API and imports."))
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=16, choices=CustomFieldType.choices)
    choices = ArrayField(models.CharField(max_length=100), verbose_name=_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    unique = models.BooleanField(_("unique"), default=False)
    sensitive = models.BooleanField(_("sensitive (masked)"), default=False)
    visible_roles = ArrayField(
        models.CharField(max_length=16), verbose_name=_("shown to roles"), default=list, blank=True
    )
    unmasked_roles = ArrayField(
        models.CharField(max_length=16), verbose_name=_("roles that see the whole value"), default=list, blank=True
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [models.UniqueConstraint(fields=["key"], name="customfield_key_unique")]

    def __str__(self) -> str:
        return self.label


class CustomerNote(models.Model):
    """A note on the customer's timeline (what the agent learnt on a call, a visit, a letter)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="notes_set"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer note")
        verbose_name_plural = _("customer notes")
        indexes = [models.Index(fields=["customer", "-created_at"], name="customernote_customer_idx")]

    def __str__(self) -> str:
        return self.body[:50]
