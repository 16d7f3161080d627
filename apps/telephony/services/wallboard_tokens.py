"""Wall-screen tokens: issue, revoke, and check (apps/telephony/models/wallboard.py says why they
are not API tokens).

A token grants reading the wallboard only: the TV page (``/wallboard/tv/?token=…``) and its
socket (``/ws/wallboard/tv/?token=…``). It authenticates nothing else: it is not an API token,
so the REST API, the supervisors' ``/ws/wallboard/`` and every other page treat it as no
credential at all. It lives in the company's schema, so another company's token is unknown
here. It always expires (at most :data:`MAX_DAYS`), is revoked at once, and stops working when
the supervisor who made it is deactivated or loses the supervisor and administrator roles;
open TV sockets find out at their next access re-check (docs/realtime.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.models import User, token_digest
from apps.audit.choices import AuditAction
from apps.audit.services import AuditTarget, audit_record
from apps.core.errors import ApplicationError
from apps.telephony.models import WallboardToken

# Raw tokens start with this, so a leaked one is recognisable (and never mistaken for an API token).
TOKEN_PREFIX = "wb_"  # noqa: S105 -- a public marker, not a secret
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_ACTIVE = 50
# last_used_at is written at most this often per token (each socket re-check would write it).
TOUCH_SECONDS = 300
ROLES = (Role.SUPERVISOR, Role.TENANT_ADMIN)


@dataclass(frozen=True)
class IssuedWallboardToken:
    token: WallboardToken
    raw: str


def _target(token: WallboardToken) -> AuditTarget:
    return AuditTarget("telephony.wallboardtoken", token.pk, str(token))


def _invalid(fields: dict[str, list[str]]) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields=fields)


@transaction.atomic
def wallboard_token_issue(*, actor: User, name: str, days: int = DEFAULT_DAYS) -> IssuedWallboardToken:
    """A token for one wall screen, shown once; audited as a token made with the wallboard scope."""
    if not actor.has_role(*ROLES):
        raise ApplicationError("forbidden", _("Only supervisors and administrators can add wall screens."), status=403)
    name = (name or "").strip()
    if not name:
        raise _invalid({"name": [_("Name the screen, e.g. the room it hangs in.")]})
    if len(name) > 100:
        raise _invalid({"name": [_("At most 100 characters.")]})
    if not 1 <= days <= MAX_DAYS:
        raise _invalid({"days": [_("Between 1 and %(max)d days.") % {"max": MAX_DAYS}]})
    now = timezone.now()
    if WallboardToken.objects.filter(revoked_at__isnull=True, expires_at__gt=now).count() >= MAX_ACTIVE:
        raise ApplicationError(
            "too_many_tokens", _("There are already %(n)d wall screens; revoke one first.") % {"n": MAX_ACTIVE}
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = WallboardToken.objects.create(
        name=name,
        prefix=raw[:10],
        digest=token_digest(raw),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    audit_record(
        action=AuditAction.TOKEN_CREATED,
        actor=actor,
        target=_target(token),
        after={"scope": "wallboard", "name": name, "prefix": token.prefix, "expires_at": token.expires_at},
    )
    return IssuedWallboardToken(token=token, raw=raw)


@transaction.atomic
def wallboard_token_revoke(*, token: WallboardToken, actor: User) -> None:
    """Revoke at once (the row stays, with ``revoked_at``, for the audit trail)."""
    if not actor.has_role(*ROLES):
        raise ApplicationError(
            "forbidden", _("Only supervisors and administrators can revoke wall screens."), status=403
        )
    token = WallboardToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        action=AuditAction.TOKEN_REVOKED,
        actor=actor,
        target=_target(token),
        before={"scope": "wallboard", "name": token.name, "prefix": token.prefix},
    )


def wallboard_token_check(raw: str | None, *, touch: bool = False) -> WallboardToken | None:
    """The live token ``raw`` stands for in the current schema, or None.

    ``touch``: note the use (sockets; a GET of the TV page never writes).
    """
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = WallboardToken.objects.select_related("created_by").filter(digest=token_digest(raw)).first()
    if token is None or not token.is_active:
        return None
    creator = token.created_by
    if not creator.is_active or not creator.has_role(*ROLES):
        return None
    now = timezone.now()
    if touch and (token.last_used_at is None or (now - token.last_used_at).total_seconds() > TOUCH_SECONDS):
        WallboardToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "IssuedWallboardToken",
    "wallboard_token_check",
    "wallboard_token_issue",
    "wallboard_token_revoke",
]
