from django.db import models
from django.utils.translation import gettext_lazy as _


class TenantStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    # Scheduled for deletion: suspended until ``delete_after``, then its schema and files go.
    DELETING = "deleting", _("Scheduled for deletion")
    # The schema and files are gone; the row stays for billing history (usage, seat-days).
    DELETED = "deleted", _("Deleted")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class PoolNumberStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    ASSIGNED = "assigned", _("Assigned")


class UsageKind(models.TextChoices):
    TENANT_PROVISIONED = "tenant_provisioned", _("Tenant provisioned")
    SEATS_ADDED = "seats_added", _("Seats added")
    SEATS_REMOVED = "seats_removed", _("Seats removed")
    NUMBER_ASSIGNED = "number_assigned", _("Number assigned")
    TENANT_SUSPENDED = "tenant_suspended", _("Tenant suspended")
    TENANT_RESUMED = "tenant_resumed", _("Tenant resumed")
    TENANT_DELETION_SCHEDULED = "tenant_deletion_scheduled", _("Tenant scheduled for deletion")
    TENANT_DELETED = "tenant_deleted", _("Tenant deleted")
