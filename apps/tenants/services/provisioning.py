"""Sign-up: from a company's form to a working, isolated contact center in one transaction.

One function, :func:`tenant_provision`, serves the API, the web form and the demo. Every
row and the schema itself are created inside one transaction (PostgreSQL DDL is
transactional), so a failure at any step leaves nothing behind.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.telephony.services.plant import plant_seed
from apps.tenants.choices import Language, UsageKind
from apps.tenants.domains import tenant_domain
from apps.tenants.models import Domain, Plan, Tenant
from apps.tenants.services.schema import schema_create
from apps.tenants.services.spares import spare_schema_take, spare_schemas_refill_soon
from apps.tenants.services.usage import pool_number_take, usage_record

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")


@dataclass(frozen=True)
class ProvisionResult:
    tenant: Tenant
    domain: str
    admin: User
    seats: int
    number: str | None
    provisioned_ms: int


def schema_name_for(slug: str) -> str:
    # Slugs never contain "_", so this mapping cannot make two slugs collide.
    return "t_" + slug.replace("-", "_")


def signup_validate(
    *, company: str, slug: str, admin_email: str, admin_password: str, seats: int, plan: str
) -> dict[str, list[str]]:
    """Every reason a sign-up would be refused, by field. Empty means it may proceed."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not company.strip():
        add("company", _("Enter the company name."))
    elif len(company) > 200:
        add("company", _("At most 200 characters."))

    if not SLUG_RE.match(slug or ""):
        add(
            "slug",
            _(
                "3–32 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
            ),
        )
    elif slug in settings.RESERVED_SLUGS or "--" in slug:
        add("slug", _("This address is reserved."))
    elif Tenant.objects.filter(slug=slug).exists() or Domain.objects.filter(domain=tenant_domain(slug)).exists():
        add("slug", _("This address is already taken."))

    try:
        validate_email(admin_email)
    except ValidationError:
        add("admin_email", _("Enter a valid email address."))

    try:
        validate_password(admin_password, user=User(email=admin_email or "", name=company))
    except ValidationError as exc:
        for message in exc.messages:
            add("admin_password", message)

    plan_obj = Plan.objects.filter(code=plan, is_active=True).first()
    if plan_obj is None:
        add("plan", _("Unknown plan."))
    if seats < 1:
        add("seats", _("At least one seat."))
    elif plan_obj is not None and seats > plan_obj.max_seats:
        add(
            "seats",
            _("The %(plan)s plan allows at most %(max)d seats.")
            % {"plan": plan_obj.display_name, "max": plan_obj.max_seats},
        )
    return errors


def _tenant_seeders() -> list[Callable[[Tenant], None]]:
    """Apps add their default rows for a new tenant (settings.TENANT_SEEDERS)."""
    return [import_string(path) for path in getattr(settings, "TENANT_SEEDERS", [])]


def tenant_provision(
    *,
    company: str,
    slug: str,
    admin_email: str,
    admin_password: str,
    seats: int,
    plan: str,
    language: str | None = None,
    admin_name: str = "",
) -> ProvisionResult:
    """Create a tenant with its schema, domain, first admin, seats, trunk and number."""
    started = time.perf_counter()
    # Not lowercased: a slug is an identifier the client chose; "Acme" is refused, not renamed.
    slug = (slug or "").strip()
    admin_email = (admin_email or "").strip().lower()
    errors = signup_validate(
        company=company, slug=slug, admin_email=admin_email, admin_password=admin_password, seats=seats, plan=plan
    )
    if errors:
        raise ApplicationError("invalid", _("The sign-up has invalid fields."), fields=errors)
    if language not in Language.values:
        # The platform's language (zh-hans in production) unless the company chose one.
        language = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in Language.values else Language.ZH_HANS

    try:
        with transaction.atomic():
            plan_obj = Plan.objects.get(code=plan)
            tenant = Tenant(
                schema_name=schema_name_for(slug),
                slug=slug,
                name=company.strip(),
                plan=plan_obj,
                default_language=language,
            )
            tenant.save()
            domain = Domain.objects.create(domain=tenant_domain(slug), tenant=tenant, is_primary=True)
            if not spare_schema_take(schema_name=tenant.schema_name):
                schema_create(tenant.schema_name)
            transaction.on_commit(spare_schemas_refill_soon)
            pool_number = pool_number_take(tenant=tenant)
            if pool_number is None:
                tenant.number_pending = True
                tenant.save(update_fields=["number_pending"])
            with tenant_context(tenant):
                admin = User.objects.create_user(
                    admin_email,
                    admin_password,
                    name=admin_name,
                    roles=[Role.TENANT_ADMIN, Role.SUPERVISOR],
                    language="",
                )
                plant_seed(tenant=tenant, seats=seats, number=pool_number.number if pool_number else None)
                for seeder in _tenant_seeders():
                    seeder(tenant)
            usage_record(
                tenant=tenant,
                kind=UsageKind.TENANT_PROVISIONED,
                quantity=seats,
                detail={"plan": plan, "number": pool_number.number if pool_number else None},
            )
    except IntegrityError as exc:
        # Two sign-ups raced for the same slug: the loser gets the same answer as a late one.
        if not any(name in str(exc) for name in ("slug", "schema_name", "domain")):
            raise
        raise ApplicationError(
            "invalid", _("The sign-up has invalid fields."), fields={"slug": [_("This address is already taken.")]}
        ) from exc
    tenant.refresh_from_db()
    return ProvisionResult(
        tenant=tenant,
        domain=domain.domain,
        admin=admin,
        seats=seats,
        number=pool_number.number if pool_number else None,
        provisioned_ms=round((time.perf_counter() - started) * 1000),
    )
