"""Certifications and certificates: define, issue (on a passed exam, or by hand), revoke, expire, warn.

A certificate of a certification that grants a skill gives the agent that skill at the
certification's level (through telephony's own service ``agent_skills_set``: a higher level the
agent already has is kept) — and the skill routes only while a certificate is valid
(apps/training/gating.py). Every change that alters what the gate answers calls
``skill_gates.gates_changed(agent_id)``, so the engine reloads the agent's settings on commit.

Expiry and warnings run from the beat task (apps/training/tasks.py): each certificate is warned
once, ``renewal_notice_days`` before it expires, and its expiry applied once (the agent and their
team supervisors told); the engine's own periodic reload has already stopped the skill by then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.notifications.services import notify
from apps.telephony import skill_gates
from apps.telephony.models import Agent, AgentSkill, Skill
from apps.telephony.services.agent_state import agent_ensure
from apps.telephony.services.routing import agent_skills_set
from apps.training.models import Attempt, Certificate, Certification, Course, Exam

KIND_ISSUED = "training.certificate_issued"
KIND_EXPIRING = "training.certificate_expiring"
KIND_EXPIRED = "training.certificate_expired"
KIND_REVOKED = "training.certificate_revoked"
NAME_MAX = 150
REASON_MAX = 300


def _int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _row(model, value: Any, name: str, message: str, errors: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    if value is None:
        return None
    pk = _int(value, 1, 2**31 - 1)
    row = model.objects.filter(pk=pk).first() if pk else None
    if row is None:
        errors[name] = [message]
    return row


@transaction.atomic
def certification_create(*, actor: User, data: Any) -> Certification:
    """``{"name", "exam", "course", "valid_months", "renewal_notice_days", "skill", "level", "description"}``."""
    if not isinstance(data, dict):
        raise ApplicationError("invalid", _("Send an object."))
    errors: dict[str, list[str]] = {}
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX:
        errors["name"] = [_("Name the certification (at most %(max)s characters).") % {"max": NAME_MAX}]
    elif Certification.objects.filter(name=name.strip()).exists():
        errors["name"] = [_("A certification of that name exists.")]
    exam = _row(Exam, data.get("exam"), "exam", _("No such exam."), errors)
    course = _row(Course, data.get("course"), "course", _("No such course."), errors)
    skill = _row(Skill, data.get("skill"), "skill", _("No such skill."), errors)
    valid_months = data.get("valid_months", 12)
    if valid_months is not None and _int(valid_months, 1, 240) is None:
        errors["valid_months"] = [_("Validity is from 1 to 240 months, or null for no expiry.")]
    notice = _int(data.get("renewal_notice_days", 30), 0, 365)
    if notice is None:
        errors["renewal_notice_days"] = [_("The renewal notice is from 0 to 365 days.")]
    level = data.get("level")
    if skill is not None and level is None:
        level = 5
    if level is not None and _int(level, 1, 10) is None:
        errors["level"] = [_("The skill level is from 1 to 10.")]
    if level is not None and data.get("skill") is None:
        errors["skill"] = [_("Name the skill this level is for.")]
    if "exam" not in errors and "course" not in errors and exam is None and course is None:
        errors["exam"] = [_("A certification is earned by an exam or a course.")]
    if errors:
        raise ApplicationError("invalid", _("The certification is not valid."), fields=errors)
    description = data.get("description")
    certification = Certification.objects.create(
        name=str(name).strip(),
        description=description if isinstance(description, str) else "",
        exam=exam,
        course=course,
        valid_months=valid_months,
        renewal_notice_days=int(notice or 0),
        skill=skill,
        level=level if skill is not None else None,
    )
    audit_record(
        action=AuditAction.TRAINING_CERTIFICATION_CREATED,
        actor=actor,
        target=certification,
        after={"name": certification.name, "exam": exam and exam.pk, "skill": skill and skill.pk, "level": level},
    )
    # A new skill-granting certification gates agents who have the skill without a certificate.
    if skill is not None:
        skill_gates.gates_changed(None)
    return certification


def _agent_of(user: User) -> Agent | None:
    agent = Agent.objects.filter(user=user).first()
    if agent is None and user.has_role(Role.AGENT):
        agent = agent_ensure(user=user)
    return agent


def _grant_skill(user: User, certification: Certification) -> Agent | None:
    """Give the certification's skill (keeping a higher level the agent already has)."""
    agent = _agent_of(user)
    if agent is None or certification.skill_id is None:
        return agent
    levels = dict(AgentSkill.objects.filter(agent=agent).values_list("skill_id", "level"))
    wanted = certification.level or 1
    if levels.get(certification.skill_id, 0) < wanted:
        levels[certification.skill_id] = wanted
        agent_skills_set(agent=agent, skills=levels)
    return agent


def expiry_for(certification: Certification, issued_at: datetime) -> datetime | None:
    if certification.valid_months is None:
        return None
    return issued_at + relativedelta(months=certification.valid_months)


@transaction.atomic
def certificate_issue(
    *,
    user: User,
    certification: Certification,
    actor: User | None = None,
    attempt: Attempt | None = None,
    issued_at: datetime | None = None,
) -> Certificate:
    """Issue a certificate (a renewal is a new certificate; the old one simply runs out)."""
    if not certification.is_active:
        raise ApplicationError("certification_inactive", _("This certification is no longer awarded."))
    moment = issued_at or timezone.now()
    certificate = Certificate.objects.create(
        user=user,
        certification=certification,
        issued_at=moment,
        expires_at=expiry_for(certification, moment),
        issued_by=actor,
        source_attempt=attempt,
    )
    agent = _grant_skill(user, certification)
    if certification.skill_id is not None:
        skill_gates.gates_changed(agent.pk if agent else None)
    audit_record(
        action=AuditAction.TRAINING_CERTIFICATE_ISSUED,
        actor=actor if actor is not None else user,
        target=certificate,
        after={
            "user": user.pk,
            "certification": certification.name,
            "expires_at": certificate.expires_at.isoformat() if certificate.expires_at else None,
            "attempt": attempt and attempt.pk,
        },
    )
    notify(
        users=[user],
        kind=KIND_ISSUED,
        title=gettext_lazy("Certificate earned: %(name)s"),
        body=gettext_lazy("Valid until %(until)s."),
        params={"name": certification.name, "until": _day(certificate.expires_at)},
        url=reverse("training:my_certificates"),
    )
    return certificate


def certificates_issue_for_attempt(*, attempt: Attempt) -> list[Certificate]:
    """The certificates a passed attempt earns (each active certification of its exam)."""
    return [
        certificate_issue(user=attempt.user, certification=certification, attempt=attempt)
        for certification in Certification.objects.filter(exam_id=attempt.exam_id, is_active=True).select_related(
            "skill"
        )
    ]


@transaction.atomic
def certificate_revoke(*, actor: User, certificate: Certificate, reason: Any) -> Certificate:
    if not isinstance(reason, str) or not reason.strip() or len(reason) > REASON_MAX:
        message = _("Say why (at most %(max)s characters).") % {"max": REASON_MAX}
        raise ApplicationError("invalid", message, fields={"reason": [message]})
    locked = Certificate.objects.select_for_update().select_related("certification", "user").get(pk=certificate.pk)
    if locked.revoked_at is not None:
        raise ApplicationError("already_revoked", _("This certificate was revoked already."))
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor
    locked.revoke_reason = reason.strip()
    locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    _gate_changed_for(locked)
    audit_record(
        action=AuditAction.TRAINING_CERTIFICATE_REVOKED,
        actor=actor,
        target=locked,
        after={"user": locked.user_id, "certification": locked.certification.name, "reason": locked.revoke_reason},
    )
    notify(
        users=[locked.user, *supervisors_of(locked.user)],
        kind=KIND_REVOKED,
        title=gettext_lazy("Certificate revoked: %(name)s (%(holder)s)"),
        body=gettext_lazy("Reason: %(reason)s"),
        params={"name": locked.certification.name, "holder": _name(locked.user), "reason": locked.revoke_reason},
        url=reverse("training:my_certificates"),
    )
    return locked


def _gate_changed_for(certificate: Certificate) -> None:
    if certificate.certification.skill_id is not None:
        agent_id = Agent.objects.filter(user_id=certificate.user_id).values_list("pk", flat=True).first()
        skill_gates.gates_changed(agent_id)


def supervisors_of(user: User) -> list[User]:
    """The supervisors of the teams ``user`` belongs to (with none, nobody else is told)."""
    return list(
        User.objects.filter(supervised_teams__in=Team.objects.filter(members=user), is_active=True)
        .exclude(pk=user.pk)
        .distinct()
    )


def _name(user: User) -> str:
    return user.get_full_name() or user.email


def _day(moment: datetime | None) -> str:
    return "—" if moment is None else f"{timezone.localtime(moment):%Y-%m-%d}"


def _renewed(certificate: Certificate) -> bool:
    """Whether the holder has a later certificate of the same certification that outlasts this one."""
    return (
        Certificate.objects.filter(
            user_id=certificate.user_id, certification_id=certificate.certification_id, revoked_at__isnull=True
        )
        .exclude(pk=certificate.pk)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=certificate.expires_at))
        .exists()
    )


def certificates_warn_due(*, now: datetime | None = None) -> int:
    """Warn holders (and their supervisors) of certificates entering their renewal notice period."""
    moment = now or timezone.now()
    count = 0
    rows = Certificate.objects.filter(
        revoked_at__isnull=True, expiry_warned_at__isnull=True, expires_at__gt=moment
    ).select_related("certification", "user")
    for certificate in rows:
        if (
            certificate.expires_at is None
            or certificate.expires_at - relativedelta(days=certificate.certification.renewal_notice_days) > moment
        ):
            continue
        with transaction.atomic():
            updated = Certificate.objects.filter(pk=certificate.pk, expiry_warned_at__isnull=True).update(
                expiry_warned_at=moment
            )
            if not updated or _renewed(certificate):
                continue
            notify(
                users=[certificate.user, *supervisors_of(certificate.user)],
                kind=KIND_EXPIRING,
                title=gettext_lazy("Certificate expiring on %(until)s: %(name)s (%(holder)s)"),
                body=gettext_lazy("Renew it before then; a skill it grants stops routing calls when it expires."),
                params={
                    "name": certificate.certification.name,
                    "holder": _name(certificate.user),
                    "until": _day(certificate.expires_at),
                },
                url=reverse("training:my_certificates"),
            )
            count += 1
    return count


def certificates_expire_due(*, now: datetime | None = None) -> int:
    """Apply the expiry of certificates past their date: tell the engine, the holder and supervisors."""
    moment = now or timezone.now()
    count = 0
    rows = Certificate.objects.filter(
        revoked_at__isnull=True, expiry_applied_at__isnull=True, expires_at__lte=moment
    ).select_related("certification", "user")
    for certificate in rows:
        with transaction.atomic():
            updated = Certificate.objects.filter(pk=certificate.pk, expiry_applied_at__isnull=True).update(
                expiry_applied_at=moment
            )
            if not updated:
                continue
            _gate_changed_for(certificate)
            audit_record(
                action=AuditAction.TRAINING_CERTIFICATE_EXPIRED,
                actor=certificate.user,
                target=certificate,
                after={"user": certificate.user_id, "certification": certificate.certification.name},
            )
            if not _renewed(certificate):
                notify(
                    users=[certificate.user, *supervisors_of(certificate.user)],
                    kind=KIND_EXPIRED,
                    title=gettext_lazy("Certificate expired: %(name)s (%(holder)s)"),
                    body=gettext_lazy("A skill it granted no longer routes calls until it is renewed."),
                    params={"name": certificate.certification.name, "holder": _name(certificate.user)},
                    url=reverse("training:my_certificates"),
                )
            count += 1
    return count
