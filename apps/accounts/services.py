"""Users and API tokens of the current schema (a tenant's people, or platform staff)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.models import ApiToken, User, token_digest
from apps.audit.choices import AuditAction
from apps.audit.services import AuditTarget, audit_record
from apps.core.errors import ApplicationError


def _invalid(fields: dict[str, list[str]]) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields=fields)


def _check_roles(roles: list[str]) -> list[str]:
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        raise _invalid({"roles": [_("Unknown role: %(role)s") % {"role": role} for role in unknown]})
    return sorted(set(roles), key=Role.values.index)


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise _invalid({"password": list(exc.messages)}) from exc


@transaction.atomic
def user_create(
    *,
    email: str,
    name: str = "",
    roles: list[str],
    password: str | None = None,
    invited_by: User | None = None,
    base_url: str | None = None,
) -> User:
    """Create a user. Without a password the user is invited: an email with a set-password link."""
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid email address.")]
    else:
        if User.objects.filter(email=email).exists():
            errors["email"] = [_("A user with this email already exists.")]
    if errors:
        raise _invalid(errors)
    roles = _check_roles(roles)
    user = User(email=email, name=(name or "").strip(), roles=roles)
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        action=AuditAction.USER_CREATED,
        actor=invited_by,
        target=user,
        after={"email": user.email, "name": user.name, "roles": user.roles, "invited": not password},
    )
    if not password:
        transaction.on_commit(lambda: user_send_invite(user=user, base_url=base_url, invited_by=invited_by))
    return user


def user_send_invite(*, user: User, base_url: str | None, invited_by: User | None = None) -> None:
    """The invitation names the company and its address: a stranger's e-mail asking to "choose a
    password" for an unnamed "contact center" reads like phishing. Written in the company's language
    (the invitee has not chosen one yet)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    link = f"{base_url or ''}{path}"
    tenant = getattr(connection, "tenant", None)
    company = getattr(tenant, "name", "") or settings.PLATFORM_DOMAIN
    language = getattr(tenant, "default_language", "") or translation.get_language()
    with translation.override(language):
        inviter = invited_by.get_full_name() if invited_by else _("Your administrator")
        values = {"inviter": inviter, "company": company, "link": link, "address": base_url or settings.PLATFORM_DOMAIN}
        subject = _("%(company)s invites you to its contact center") % values
        message = "\n\n".join(
            [
                _("Hello,"),
                _("%(inviter)s invited you to the contact center of %(company)s (%(address)s).") % values,
                _("Please choose your password here:\n%(link)s") % values,
                _("The link works once. If it has expired, ask %(inviter)s for a new invitation.") % values,
                _("If you were not expecting this invitation, you may ignore this e-mail."),
            ]
        )
    send_mail(
        subject=subject,
        message=message + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


@transaction.atomic
def user_update(
    *,
    user: User,
    actor: User,
    name: str | None = None,
    roles: list[str] | None = None,
    is_active: bool | None = None,
    password: str | None = None,
    language: str | None = None,
) -> User:
    fields: list[str] = []
    before_roles, before_active = list(user.roles or []), user.is_active
    if name is not None:
        user.name = name.strip()
        fields.append("name")
    if roles is not None:
        roles = _check_roles(roles)
        if Role.TENANT_ADMIN in user.roles and Role.TENANT_ADMIN not in roles:
            _ensure_other_admin(user)
        user.roles = roles
        fields.append("roles")
    if is_active is not None:
        if not is_active and user.pk == actor.pk:
            raise _invalid({"is_active": [_("You cannot deactivate yourself.")]})
        if not is_active and Role.TENANT_ADMIN in user.roles:
            _ensure_other_admin(user)
        user.is_active = is_active
        fields.append("is_active")
    if language is not None:
        if language and language not in dict(settings.LANGUAGES):
            raise _invalid({"language": [_("Unknown language.")]})
        user.language = language
        fields.append("language")
    if password:
        _check_password(password, user)
        user.set_password(password)
        fields.append("password")
    if fields:
        user.save(update_fields=fields)
    if password:
        user_password_changed(user=user, actor=actor)
    _audit_user_update(user=user, actor=actor, before_roles=before_roles, before_active=before_active, fields=fields)
    return user


def _audit_user_update(*, user: User, actor: User, before_roles: list[str], before_active: bool, fields: list[str]):
    """One audit row per kind of change; a password is recorded as changed, never its value."""
    if "roles" in fields and list(user.roles) != before_roles:
        audit_record(
            action=AuditAction.USER_ROLE_CHANGED,
            actor=actor,
            target=user,
            before={"roles": before_roles},
            after={"roles": list(user.roles)},
        )
    if "is_active" in fields and user.is_active != before_active:
        audit_record(
            action=AuditAction.USER_ACTIVATED if user.is_active else AuditAction.USER_DEACTIVATED,
            actor=actor,
            target=user,
            before={"is_active": before_active},
            after={"is_active": user.is_active},
        )


def user_password_changed(*, user: User, actor: User | None = None) -> int:
    """After any password change or reset: every API token of the user stops working.

    A password change is what people do when they think a credential leaked; tokens minted
    with the old password (``POST /auth/token``) must not outlive it. Returns how many went.
    Audited once here for every path (``actor`` None: the user through a reset or invitation
    link), never with the password itself.
    """
    count, _deleted = ApiToken.objects.filter(user=user).delete()
    by = "reset_link" if actor is None else "self" if actor.pk == user.pk else "administrator"
    audit_record(
        action=AuditAction.USER_PASSWORD_CHANGED,
        actor=actor or user,
        target=user,
        extra={"by": by, "tokens_revoked": count},
    )
    return count


def _ensure_other_admin(user: User) -> None:
    others = User.objects.filter(is_active=True, roles__contains=[Role.TENANT_ADMIN]).exclude(pk=user.pk)
    if not others.select_for_update().exists():
        raise ApplicationError("last_admin", _("The company must keep at least one active administrator."))


@transaction.atomic
def user_delete(*, user: User, actor: User) -> None:
    if user.pk == actor.pk:
        raise ApplicationError("self_delete", _("You cannot delete yourself."))
    if Role.TENANT_ADMIN in user.roles:
        _ensure_other_admin(user)
    audit_record(
        action=AuditAction.USER_DELETED,
        actor=actor,
        target=AuditTarget("accounts.user", user.pk, user.email),
        before={"email": user.email, "name": user.name, "roles": list(user.roles or []), "is_active": user.is_active},
    )
    user.delete()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str


@transaction.atomic
def token_create(*, user: User, name: str = "", expires_at: datetime | None = None) -> IssuedToken:
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:8], digest=token_digest(raw), expires_at=expires_at
    )
    audit_record(
        action=AuditAction.TOKEN_CREATED,
        actor=user,
        target=token,
        after={"owner": user.email, "name": name, "prefix": token.prefix},
    )
    return IssuedToken(token=token, raw=raw)


MAX_TOKENS_PER_USER = 20
MAX_TOKEN_DAYS = 3650


def _check_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
    if timezone.is_naive(expires_at):
        raise _invalid({"expires_at": [_("Give a time zone, e.g. 2027-01-31T18:00:00+08:00.")]})
    now = timezone.now()
    if expires_at <= now:
        raise _invalid({"expires_at": [_("The expiry must be in the future.")]})
    if expires_at > now + timedelta(days=MAX_TOKEN_DAYS):
        raise _invalid({"expires_at": [_("At most ten years from now.")]})
    return expires_at


@transaction.atomic
def token_issue(*, user: User, name: str, expires_at: datetime | None = None) -> IssuedToken:
    """A token the user asks for by name (API, console or ``POST /auth/token``); shown once.

    Capped per user so a leaked password cannot mint tokens without bound; revoking old ones
    (or their expiry: expired tokens are dropped here) makes room. The user row is locked so
    two concurrent requests cannot both take the last place.
    """
    name = (name or "").strip()
    if not name:
        raise _invalid({"name": [_("Give the token a name, e.g. the script that will use it.")]})
    if len(name) > 100:
        raise _invalid({"name": [_("At most 100 characters.")]})
    expires_at = _check_expiry(expires_at)
    User.objects.select_for_update().filter(pk=user.pk).first()
    ApiToken.objects.filter(user=user, expires_at__lte=timezone.now()).delete()
    if ApiToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
        raise ApplicationError(
            "too_many_tokens",
            _("You already have %(n)d tokens; revoke one you no longer use first.") % {"n": MAX_TOKENS_PER_USER},
        )
    return token_create(user=user, name=name, expires_at=expires_at)


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User) -> None:
    """Revoke at once: the digest row goes, so the next request with it is anonymous.

    Users revoke their own tokens; tenant administrators may revoke anyone's (a leaving
    employee's script, a leaked token).
    """
    if token.user_id != actor.pk and not actor.has_role(Role.TENANT_ADMIN):
        raise ApplicationError("forbidden", _("You can only revoke your own tokens."), status=403)
    audit_record(
        action=AuditAction.TOKEN_REVOKED,
        actor=actor,
        target=AuditTarget("accounts.apitoken", token.pk, str(token)),
        before={"owner": token.user.email, "name": token.name, "prefix": token.prefix},
    )
    token.delete()


def token_user(raw: str) -> User | None:
    """The active user a raw token belongs to, in the current schema only."""
    if not raw or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(raw)).first()
    if token is None or not token.user.is_active or token.is_expired:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def login_url(request) -> str:
    return request.build_absolute_uri(reverse("accounts:login"))
