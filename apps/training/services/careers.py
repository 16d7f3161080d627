"""The career ladder (CSR → senior CSR → team leader → supervisor): levels, their requirements,
and who meets them.

A level's requirements are all of: every required certification held and valid today, a QA
average (the mean score of the person's regular evaluations submitted in the last
``QA_WINDOW_DAYS`` days, read through QA's selectors) at least ``min_qa_average``, and a tenure
(months since the account was created) at least ``min_tenure_months``. Someone "is at" the highest
level whose requirements they meet *and* whose lower levels they meet too (a ladder is climbed in
order); the next level is the one above, with what is still missing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.qa.selectors.reports import regular_evaluations
from apps.training.models import CareerLevel, Certificate, Certification

QA_WINDOW_DAYS = 90


@transaction.atomic
def career_level_save(*, actor: User, data: Any, level: CareerLevel | None = None) -> CareerLevel:
    """``{"name", "rank", "description", "min_qa_average", "min_tenure_months", "certifications": [ids]}``."""
    if not isinstance(data, dict):
        raise ApplicationError("invalid", _("Send a JSON object."))
    errors: dict[str, list[str]] = {}
    name = data.get("name", level.name if level else "")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100 or "\x00" in name:
        errors["name"] = [_("Enter a name of at most 100 characters.")]
    elif CareerLevel.objects.filter(name__iexact=name.strip()).exclude(pk=(level.pk or 0) if level else 0).exists():
        errors["name"] = [_("A level with this name exists.")]
    rank = data.get("rank", level.rank if level else None)
    if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank <= 1000:
        errors["rank"] = [_("Enter a whole number from 0 to 1000.")]
    elif CareerLevel.objects.filter(rank=rank).exclude(pk=(level.pk or 0) if level else 0).exists():
        errors["rank"] = [_("Another level has this rank.")]
    qa_raw = data.get("min_qa_average", level.min_qa_average if level else None)
    qa: Decimal | None = None
    if qa_raw not in (None, ""):
        try:
            qa = Decimal(str(qa_raw)).quantize(Decimal("0.01"))
        except ArithmeticError:
            qa = None
        if qa is None or not Decimal(0) <= qa <= Decimal(100) or isinstance(qa_raw, bool):
            errors["min_qa_average"] = [_("Enter a percentage from 0 to 100, or nothing.")]
    tenure = data.get("min_tenure_months", level.min_tenure_months if level else 0)
    if isinstance(tenure, bool) or not isinstance(tenure, int) or not 0 <= tenure <= 600:
        errors["min_tenure_months"] = [_("Enter a number of months from 0 to 600.")]
    certifications = None
    if "certifications" in data:
        raw = data.get("certifications")
        raw_list = raw if isinstance(raw, list) else []
        ids = [v for v in raw_list if isinstance(v, int) and not isinstance(v, bool)]
        certifications = list(Certification.objects.filter(pk__in=ids))
        if not isinstance(raw, list) or len(ids) != len(raw_list) or len(certifications) != len(set(ids)):
            errors["certifications"] = [_("Choose existing certifications.")]
    description = data.get("description", level.description if level else "")
    if not isinstance(description, str) or len(description) > 5000 or "\x00" in description:
        errors["description"] = [_("Enter text of at most 5000 characters.")]
    if errors:
        raise ApplicationError("invalid", next(iter(errors.values()))[0], fields=errors)
    creating = level is None
    if level is None:
        level = CareerLevel()
    level.name, level.rank, level.description = name.strip(), int(rank or 0), description.strip()
    level.min_qa_average, level.min_tenure_months = qa, tenure
    level.save()
    if certifications is not None:
        level.required_certifications.set(certifications)
    audit_record(
        action=AuditAction.TRAINING_CAREER_CHANGED,
        actor=actor,
        target=level,
        after={
            "created": creating,
            "name": level.name,
            "rank": level.rank,
            "min_qa_average": str(qa) if qa is not None else None,
            "min_tenure_months": tenure,
            "certifications": sorted(level.required_certifications.values_list("name", flat=True)),
        },
    )
    return level


# --- reading -----------------------------------------------------------------------------------


def tenure_months(user: User, today: dt.date | None = None) -> int:
    """Whole months since the account was created (the company's record of the hire)."""
    day = today or timezone.localdate()
    joined = timezone.localtime(user.date_joined).date()
    delta = relativedelta(day, joined)
    return max(0, delta.years * 12 + delta.months)


def qa_average(user: User, now: dt.datetime | None = None) -> tuple[Decimal | None, int]:
    """The mean QA score of ``user``'s regular evaluations of the last QA_WINDOW_DAYS days, and how many."""
    moment = now or timezone.now()
    rows = regular_evaluations(since=moment - dt.timedelta(days=QA_WINDOW_DAYS), until=moment).filter(
        agent=user, score__isnull=False
    )
    figures = rows.aggregate(mean=Avg("score"), count=Count("id"))
    mean = figures["mean"]
    return (Decimal(mean).quantize(Decimal("0.01")) if mean is not None else None), figures["count"] or 0


def valid_certifications(user: User, now: dt.datetime | None = None) -> set[int]:
    moment = now or timezone.now()
    return set(
        Certificate.objects.filter(user=user, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=moment))
        .values_list("certification_id", flat=True)
    )


def level_check(level: CareerLevel, *, certified: set[int], qa: Decimal | None, tenure: int) -> list[str]:
    """What ``level`` requires that is missing (empty: met). Plain: the facts are passed in."""
    missing: list[str] = []
    for certification in level.required_certifications.all():
        if certification.pk not in certified:
            missing.append(_("Certificate: %(name)s") % {"name": certification.name})
    if level.min_qa_average is not None and (qa is None or qa < level.min_qa_average):
        missing.append(
            _("QA average %(need)s%% (now %(have)s)")
            % {"need": level.min_qa_average, "have": f"{qa}%" if qa is not None else "—"}
        )
    if tenure < level.min_tenure_months:
        missing.append(_("Tenure %(need)d months (now %(have)d)") % {"need": level.min_tenure_months, "have": tenure})
    return missing


def career_standing(user: User, now: dt.datetime | None = None) -> dict[str, Any]:
    """The person's level, the next one and what it still needs, with the facts used."""
    certified = valid_certifications(user, now)
    qa, qa_count = qa_average(user, now)
    tenure = tenure_months(user)
    current = None
    next_level = None
    missing: list[str] = []
    for level in CareerLevel.objects.prefetch_related("required_certifications").order_by("rank"):
        gaps = level_check(level, certified=certified, qa=qa, tenure=tenure)
        if gaps:
            next_level, missing = level, gaps
            break
        current = level
    return {
        "level": current,
        "next_level": next_level,
        "missing": missing,
        "qa_average": qa,
        "qa_evaluations": qa_count,
        "tenure_months": tenure,
    }


def people_meeting(level: CareerLevel, users) -> list[User]:  # type: ignore[no-untyped-def]
    """Those of ``users`` who meet ``level``'s own requirements today."""
    out = []
    for user in users:
        qa, _count_unused = qa_average(user)
        if not level_check(level, certified=valid_certifications(user), qa=qa, tenure=tenure_months(user)):
            out.append(user)
    return out
