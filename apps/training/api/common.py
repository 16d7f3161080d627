"""Small helpers the training API modules share."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.core.errors import ApplicationError, NotFoundError

# Who authors and grades (exams, banks, certifications, typing tests): trainers and administrators.
AUTHOR_ROLES = (Role.TRAINER, Role.TENANT_ADMIN)
# Who may take exams and typing tests and read their own certificates: any member of the company.
TAKER_ROLES = tuple(Role.values)
# Who reads other people's certificates (a supervisor follows their agents' expiries).
CERTIFICATE_READ_ROLES = (Role.TRAINER, Role.TENANT_ADMIN, Role.SUPERVISOR, Role.HR)


def body(request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ApplicationError("invalid", _("Send a JSON object."))
    return request.data


def get_or_404(queryset, pk: int, message: str):  # type: ignore[no-untyped-def]
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise NotFoundError("not_found", message)
    return row
