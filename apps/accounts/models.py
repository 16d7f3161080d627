"""Users and API tokens. The same tables exist in the public schema (platform staff) and in
every tenant schema (that tenant's people), so a login on one host can never reach another."""

from __future__ import annotations

import hashlib
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.choices import Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)  # None gives an unusable password (invited users)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address; ``roles`` decide what they may do."""

    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    roles = ArrayField(
        models.CharField(max_length=16, choices=Role.choices), verbose_name=_("roles"), default=list, blank=True
    )
    language = models.CharField(_("language"), max_length=8, blank=True, help_text=_("Empty: the company default."))
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email.split("@")[0]

    def has_role(self, *roles: str) -> bool:
        return bool(set(roles) & set(self.roles or []))

    @property
    def role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels.get(role, role)) for role in self.roles or []]


def token_digest(raw: str) -> str:
    """Tokens are 32 random bytes, so a plain SHA-256 is enough to keep them unreadable at rest."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """An API token. Only its SHA-256 digest is stored; the token is shown once, when made."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(
        _("expires"), null=True, blank=True, help_text=_("Empty: valid until revoked. Refused from this moment on.")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class SecurityPolicy(models.Model):
    """The account rules of one schema (a company, or the platform): one row, ``pk=1``.

    Platform staff always need two-factor authentication; a company's administrators need
    it when the company switches ``require_admin_two_factor`` on in the console.
    """

    require_admin_two_factor = models.BooleanField(
        _("require two-factor authentication for administrators"),
        default=False,
        help_text=_("Administrators must enrol an authenticator app before they can log in."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policies")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="securitypolicy_single_row")]

    def __str__(self) -> str:
        return str(_("security policy"))


class Team(models.Model):
    """A group of people with their supervisors (班组). Departments read it to decide what a
    supervisor may see (their teams' evaluations, rosters, attendance) and to report by team."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    supervisors = models.ManyToManyField(
        User, verbose_name=_("supervisors"), related_name="supervised_teams", blank=True
    )
    members = models.ManyToManyField(User, verbose_name=_("members"), related_name="teams", blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name
