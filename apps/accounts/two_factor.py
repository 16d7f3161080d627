"""Two-factor authentication (TOTP authenticator apps, one-time recovery codes) with django-otp.

Who needs it: every platform staff account (users of the public schema), and a company's
administrators once the company turns ``SecurityPolicy.require_admin_two_factor`` on. Anyone
else may enrol voluntarily; once enrolled, every password login asks for a code too.

How the login works (apps/accounts/views/two_factor.py): the password step never creates an
authenticated session for such a user. It parks the user id in the session ("pending") and
the second step logs in only after a valid code, so no page, API call or websocket ever sees
a half-logged-in session. ``POST /api/v1/auth/token`` asks for the code in the same request.
API tokens, once issued, are not asked again: they are the second factor's product.

Devices live in the schema of their user (django-otp is a shared *and* tenant app), so a
company's devices are as separate as its users. django-otp throttles wrong codes per device
(exponential back-off) and refuses a TOTP code already used.
"""

from __future__ import annotations

import io
from base64 import b32encode
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.choices import Role
from apps.accounts.models import SecurityPolicy, User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.core.tenancy import current_schema

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery"


def security_policy_get() -> SecurityPolicy:
    policy, _created = SecurityPolicy.objects.get_or_create(pk=1)
    return policy


@transaction.atomic
def security_policy_update(*, actor: User, require_admin_two_factor: bool) -> SecurityPolicy:
    """Switch the administrators' 2FA requirement (tenant administrators only).

    Turning it on does not lock the actor out: an administrator who has not enrolled yet is
    asked to enrol at their next login, and can enrol right away from the same page.
    """
    if not actor.has_role(Role.TENANT_ADMIN):
        raise ApplicationError("forbidden", _("Only administrators can change the security policy."), status=403)
    policy, _created = SecurityPolicy.objects.select_for_update().get_or_create(pk=1)
    before = policy.require_admin_two_factor
    policy.require_admin_two_factor = bool(require_admin_two_factor)
    policy.save(update_fields=["require_admin_two_factor", "updated_at"])
    if before != policy.require_admin_two_factor:
        audit_record(
            action=AuditAction.SECURITY_POLICY_CHANGED,
            actor=actor,
            target=policy,
            before={"require_admin_two_factor": before},
            after={"require_admin_two_factor": policy.require_admin_two_factor},
        )
    return policy


def two_factor_required(user: User) -> bool:
    """Must this user have a second factor to log in (in the current schema)?"""
    if current_schema() == "public":
        return True  # platform staff: they can reach every tenant
    return user.has_role(Role.TENANT_ADMIN) and security_policy_get().require_admin_two_factor


def _authenticator(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def two_factor_enabled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the otpauth URI as a QR code and the key to type by hand."""

    device: TOTPDevice
    uri: str
    manual_key: str
    qr_svg: str


def _manual_key(device: TOTPDevice) -> str:
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]  # drop the XML declaration: the SVG goes inline into the page


def two_factor_enrolment_start(*, user: User) -> Enrolment:
    """A fresh secret for the user's authenticator app, unconfirmed until a code proves it.

    An unconfirmed device from an abandoned enrolment is reused (the page can be reloaded);
    the confirmed one, if any, keeps working until the new one is confirmed.
    """
    device = _authenticator(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    uri = device.config_url
    return Enrolment(device=device, uri=uri, manual_key=_manual_key(device), qr_svg=_qr_svg(uri))


def _clean_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


@transaction.atomic
def two_factor_enrolment_confirm(*, user: User, code: str) -> list[str]:
    """Confirm the new authenticator with a code from it; returns fresh recovery codes (shown once)."""
    device = _authenticator(user, confirmed=False)
    if device is None:
        raise ApplicationError("no_enrolment", _("Start the enrolment again: no new authenticator is waiting."))
    if not device.verify_token(_clean_code(code)):
        raise ApplicationError(
            "invalid_otp",
            _("The request has invalid fields."),
            fields={"code": [_("That code is not right. Check the time on your phone and try the newest code.")]},
        )
    replaced = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()[0] > 0
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(action=AuditAction.USER_TWO_FACTOR_ENABLED, actor=user, target=user, extra={"replaced": replaced})
    return _recovery_codes_new(user)


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Ten new one-time recovery codes; the old ones stop working. Shown once, never again."""
    if not two_factor_enabled(user):
        raise ApplicationError("two_factor_off", _("Two-factor authentication is not enabled."))
    audit_record(action=AuditAction.USER_RECOVERY_CODES_RENEWED, actor=user, target=user)
    return _recovery_codes_new(user)


def _recovery_codes_new(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def two_factor_disable(*, user: User, actor: User) -> None:
    """Remove the authenticator and the recovery codes.

    Users may switch their own off unless it is required of them; a tenant administrator
    may reset another user's (a lost phone): that user enrols again at the next login if
    it is required.
    """
    if actor.pk == user.pk and two_factor_required(user):
        raise ApplicationError(
            "two_factor_required", _("Two-factor authentication is required for your account; it cannot be disabled.")
        )
    if actor.pk != user.pk and not actor.has_role(Role.TENANT_ADMIN):
        raise ApplicationError("forbidden", _("You can only change your own two-factor authentication."), status=403)
    had = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    if had:
        audit_record(
            action=AuditAction.USER_TWO_FACTOR_DISABLED,
            actor=actor,
            target=user,
            extra={"by": "self" if actor.pk == user.pk else "administrator"},
        )


def two_factor_verify(*, user: User, code: str):
    """The device that accepts ``code`` (a TOTP code or an unused recovery code), or ``None``.

    Six digits go to the authenticator only and anything else to the recovery codes only,
    so a recovery code never counts as a wrong TOTP guess (django-otp throttles per device).
    """
    code = _clean_code(code)
    if not code:
        return None
    with transaction.atomic():
        if code.isdigit() and len(code) == 6:
            device = _authenticator(user)
            return device if device is not None and device.verify_token(code) else None
        for device in StaticDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(code):
                return device
    return None
