"""Routing configuration: skills, queues (with required skills), agents' skills, pause reasons
and dispositions. Each write tells the engine on commit ({"type": "config.changed"}) so it can
reload what it routes with."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.events import publish_on_commit
from apps.telephony.choices import RoutingStrategy
from apps.telephony.models import (
    Agent,
    AgentSkill,
    AgentStateEvent,
    Call,
    Disposition,
    PauseReason,
    PhoneNumber,
    Queue,
    QueueSkill,
    Skill,
)
from apps.telephony.queue_scripts import script_errors as script_errors
from apps.telephony.services.dialling import transfer_number_check

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
NUMBER_RE = re.compile(r"^\+?[0-9]{3,20}$")
LEVELS = range(1, 11)

# Editable queue settings and their allowed ranges (inclusive).
QUEUE_NUMBERS: dict[str, tuple[int, int]] = {
    "priority": (0, 100),
    "sl_threshold_seconds": (1, 3600),
    "sl_target_percent": (1, 100),
    "max_wait_seconds": (10, 86400),
    "announce_interval_seconds": (10, 3600),
    "callback_offer_after_seconds": (0, 3600),
    "wrapup_seconds": (0, 3600),
    "short_abandon_seconds": (0, 60),
    "ring_timeout_seconds": (5, 120),
    "expand_after_seconds": (0, 3600),
    "expand_step": (1, 9),
    "sticky_days": (0, 365),
    "sticky_wait_seconds": (0, 600),
}
QUEUE_FLAGS = ("announce_position", "announce_expected_wait", "callback_offer")
MAX_RINGS = 6
RING_AFTER_MAX_SECONDS = 3600


def _invalid(fields: dict[str, list[str]]) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields=fields)


def _config_changed(kind: str, object_id: int | None) -> None:
    publish_on_commit("engine", {"type": "config.changed", "kind": kind, "id": object_id})


def _check_code(model, code: Any, errors: dict[str, list[str]], *, exclude_pk: int | None = None) -> str:
    code = str(code or "").strip()
    max_length = model._meta.get_field("code").max_length
    if not code or len(code) > max_length or not CODE_RE.match(code):
        errors["code"] = [_("Use lowercase letters, digits, - and _ (at most %(n)d characters).") % {"n": max_length}]
    elif model.objects.filter(code=code).exclude(pk=exclude_pk).exists():
        errors["code"] = [_("This code is already used.")]
    return code


def _check_name(name: Any, errors: dict[str, list[str]]) -> str:
    name = str(name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = [_("Enter a name of at most 100 characters.")]
    return name


# --- skills --------------------------------------------------------------------------------


@transaction.atomic
def skill_create(*, code: str, name: str) -> Skill:
    errors: dict[str, list[str]] = {}
    code = _check_code(Skill, code, errors)
    name = _check_name(name, errors)
    if errors:
        raise _invalid(errors)
    skill = Skill.objects.create(code=code, name=name)
    _config_changed("skill", skill.pk)
    return skill


@transaction.atomic
def skill_update(*, skill: Skill, code: str | None = None, name: str | None = None) -> Skill:
    errors: dict[str, list[str]] = {}
    if code is not None:
        skill.code = _check_code(Skill, code, errors, exclude_pk=skill.pk)
    if name is not None:
        skill.name = _check_name(name, errors)
    if errors:
        raise _invalid(errors)
    skill.save(update_fields=["code", "name"])
    _config_changed("skill", skill.pk)
    return skill


@transaction.atomic
def skill_delete(*, skill: Skill) -> None:
    queues = list(Queue.objects.filter(queue_skills__skill=skill).values_list("name", flat=True))
    if queues:
        raise ApplicationError(
            "in_use",
            _("Queues require this skill: %(queues)s. Remove it from them first.") % {"queues": ", ".join(queues)},
        )
    skill_id = skill.pk
    skill.delete()
    _config_changed("skill", skill_id)


def _check_levels(raw: Mapping[Any, Any] | Iterable[tuple[Any, Any]], field: str) -> dict[int, int]:
    """``{skill_id: level}`` from a mapping or pairs; every skill must exist, levels 1–10."""
    pairs = raw.items() if isinstance(raw, Mapping) else raw
    levels: dict[int, int] = {}
    problems: list[str] = []
    for skill, level in pairs:
        skill_id = skill.pk if isinstance(skill, Skill) else skill
        try:
            skill_id, level = int(skill_id), int(level)
        except (TypeError, ValueError):
            problems.append(_("Skills and levels must be numbers."))
            continue
        if level not in LEVELS:
            problems.append(_("Levels go from 1 to 10."))
        if skill_id in levels:
            problems.append(_("A skill is listed twice."))
        levels[skill_id] = level
    known = set(Skill.objects.filter(pk__in=levels).values_list("pk", flat=True))
    if set(levels) - known:
        problems.append(_("Unknown skill."))
    if problems:
        raise _invalid({field: sorted(set(problems))})
    return levels


@transaction.atomic
def agent_skills_set(*, agent: Agent, skills: Mapping[Any, Any] | Iterable[tuple[Any, Any]]) -> Agent:
    """Replace the agent's skills with ``{skill_id: level}`` (levels 1–10)."""
    levels = _check_levels(skills, "skills")
    Agent.objects.select_for_update().filter(pk=agent.pk).first()
    AgentSkill.objects.filter(agent=agent).exclude(skill_id__in=levels).delete()
    existing = {row.skill_id: row for row in AgentSkill.objects.filter(agent=agent)}
    for skill_id, level in levels.items():
        row = existing.get(skill_id)
        if row is None:
            AgentSkill.objects.create(agent=agent, skill_id=skill_id, level=level)
        elif row.level != level:
            row.level = level
            row.save(update_fields=["level"])
    _config_changed("agent", agent.pk)
    return agent


# --- queues --------------------------------------------------------------------------------


def _apply_queue_settings(queue: Queue, values: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    for field, value in values.items():
        if field in QUEUE_NUMBERS:
            low, high = QUEUE_NUMBERS[field]
            try:
                number = int(value)
            except (TypeError, ValueError):
                errors[field] = [_("Enter a whole number.")]
                continue
            if not low <= number <= high:
                errors[field] = [_("Between %(low)d and %(high)d.") % {"low": low, "high": high}]
                continue
            setattr(queue, field, number)
        elif field in QUEUE_FLAGS:
            setattr(queue, field, bool(value))
        elif field == "name":
            queue.name = _check_name(value, errors)
        elif field == "strategy":
            if value not in RoutingStrategy.values:
                errors["strategy"] = [_("Unknown routing strategy.")]
            else:
                queue.strategy = value
        elif field == "bullseye_rings":
            queue.bullseye_rings = check_rings(value, errors)
        elif field == "script":
            script = str(value or "").replace("\r\n", "\n")
            problems = script_errors(script)
            if problems:
                errors[field] = problems
            queue.script = script
        elif field == "overflow_number":
            overflow = str(value or "").strip()
            if overflow and not NUMBER_RE.match(overflow):
                errors[field] = [_("Digits only (3–20), optionally starting with +.")]
            queue.overflow_number = overflow
        elif field == "overflow_queue":
            target = value.pk if isinstance(value, Queue) else value
            if target in (None, ""):
                queue.overflow_queue = None
            elif queue.pk is not None and str(target) == str(queue.pk):
                errors[field] = [_("A queue cannot overflow into itself.")]
            else:
                found = Queue.objects.filter(pk=target).first() if str(target).isdigit() else None
                if found is None:
                    errors[field] = [_("Unknown queue.")]
                queue.overflow_queue = found
        else:
            errors[field] = [_("Unknown setting.")]


def check_rings(raw: Any, errors: dict[str, list[str]]) -> list[dict[str, int]]:
    """Bullseye rings ``[{"min_level", "after_seconds"}, ...]`` (or ``(level, seconds)`` pairs):
    at most six, the first from 0 s, times strictly ascending, levels 1–10 strictly descending."""
    field = "bullseye_rings"
    if raw in (None, ""):
        return []
    if not isinstance(raw, (list, tuple)):
        errors[field] = [_("A list of rings: minimum level and seconds of wait.")]
        return []
    rings: list[dict[str, int]] = []
    for item in raw:
        pair: Any = (item.get("min_level"), item.get("after_seconds")) if isinstance(item, Mapping) else item
        try:
            level, after = (int(part) for part in pair)
        except (TypeError, ValueError):
            errors[field] = [_("Each ring is a minimum level and a number of seconds (whole numbers).")]
            return []
        rings.append({"min_level": level, "after_seconds": after})
    problems = []
    if len(rings) > MAX_RINGS:
        problems.append(_("At most %(n)d rings.") % {"n": MAX_RINGS})
    if any(ring["min_level"] not in LEVELS for ring in rings):
        problems.append(_("Levels go from 1 to 10."))
    if any(not 0 <= ring["after_seconds"] <= RING_AFTER_MAX_SECONDS for ring in rings):
        problems.append(_("Seconds of wait go from 0 to %(n)d.") % {"n": RING_AFTER_MAX_SECONDS})
    if rings and rings[0]["after_seconds"] != 0:
        problems.append(_("The first ring starts at once (0 seconds)."))
    pairs = list(zip(rings, rings[1:], strict=False))
    if any(inner["after_seconds"] >= outer["after_seconds"] for inner, outer in pairs):
        problems.append(_("Each ring starts later than the one before (times ascending)."))
    if any(inner["min_level"] <= outer["min_level"] for inner, outer in pairs):
        problems.append(_("Each ring takes a lower level than the one before (levels descending)."))
    if problems:
        errors[field] = problems
    return rings


def _check_bullseye(queue: Queue, levels: dict[int, int], errors: dict[str, list[str]]) -> None:
    """A bullseye queue needs its rings and at least one required skill (the rings' levels apply to them)."""
    if queue.strategy != RoutingStrategy.BULLSEYE:
        return
    if not queue.bullseye_rings and "bullseye_rings" not in errors:
        errors["bullseye_rings"] = [_("A bullseye queue needs its rings, e.g. 9:0, 6:20, 3:45.")]
    if not levels:
        errors.setdefault("strategy", []).append(
            _("A bullseye queue needs at least one required skill: the rings' levels apply to it.")
        )


def _set_queue_skills(queue: Queue, levels: dict[int, int]) -> None:
    QueueSkill.objects.filter(queue=queue).exclude(skill_id__in=levels).delete()
    existing = {row.skill_id: row for row in QueueSkill.objects.filter(queue=queue)}
    for skill_id, level in levels.items():
        row = existing.get(skill_id)
        if row is None:
            QueueSkill.objects.create(queue=queue, skill_id=skill_id, min_level=level)
        elif row.min_level != level:
            row.min_level = level
            row.save(update_fields=["min_level"])


@transaction.atomic
def queue_create(
    *, code: str, name: str, skills: Mapping[Any, Any] | Iterable[tuple[Any, Any]] = (), **settings: Any
) -> Queue:
    """A queue; ``skills`` maps skill ids to minimum levels, ``settings`` are Queue fields."""
    errors: dict[str, list[str]] = {}
    queue = Queue()
    queue.code = _check_code(Queue, code, errors)
    _apply_queue_settings(queue, {"name": name, **settings}, errors)
    levels: dict[int, int] = {}
    try:
        levels = _check_levels(skills, "skills")
    except ApplicationError as error:
        errors.update(error.fields)
    if "skills" not in errors:
        _check_bullseye(queue, levels, errors)
    if errors:
        raise _invalid(errors)
    if queue.overflow_number:
        transfer_number_check(number=queue.overflow_number, field="overflow_number")
    queue.save()
    _set_queue_skills(queue, levels)
    _config_changed("queue", queue.pk)
    return queue


@transaction.atomic
def queue_update(
    *, queue: Queue, skills: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | None = None, **settings: Any
) -> Queue:
    errors: dict[str, list[str]] = {}
    queue = Queue.objects.select_for_update().get(pk=queue.pk)
    if "code" in settings:
        queue.code = _check_code(Queue, settings.pop("code"), errors, exclude_pk=queue.pk)
    _apply_queue_settings(queue, settings, errors)
    levels = None
    if skills is not None:
        try:
            levels = _check_levels(skills, "skills")
        except ApplicationError as error:
            errors.update(error.fields)
    if "skills" not in errors:
        current = levels if levels is not None else dict(queue.queue_skills.values_list("skill_id", "min_level"))
        _check_bullseye(queue, current, errors)
    if errors:
        raise _invalid(errors)
    if "overflow_number" in settings and queue.overflow_number:
        transfer_number_check(number=queue.overflow_number, field="overflow_number")
    queue.save()
    if levels is not None:
        _set_queue_skills(queue, levels)
    _config_changed("queue", queue.pk)
    return queue


@transaction.atomic
def queue_delete(*, queue: Queue) -> None:
    numbers = list(PhoneNumber.objects.filter(queue=queue).values_list("number", flat=True))
    if numbers:
        raise ApplicationError(
            "in_use",
            _("Numbers route to this queue: %(numbers)s. Route them elsewhere first.")
            % {"numbers": ", ".join(numbers)},
        )
    if Call.objects.filter(queue=queue).exclude(status="ended").exists():
        raise ApplicationError("in_use", _("Calls are in this queue now."))
    queue_id = queue.pk
    queue.delete()
    _config_changed("queue", queue_id)


# --- pause reasons and dispositions -------------------------------------------------------------


@transaction.atomic
def pause_reason_create(*, code: str, name: str, counts_as_productive: bool = False) -> PauseReason:
    errors: dict[str, list[str]] = {}
    code = _check_code(PauseReason, code, errors)
    name = _check_name(name, errors)
    if errors:
        raise _invalid(errors)
    reason = PauseReason.objects.create(code=code, name=name, counts_as_productive=bool(counts_as_productive))
    _config_changed("pause_reason", reason.pk)
    return reason


@transaction.atomic
def pause_reason_update(
    *,
    reason: PauseReason,
    name: str | None = None,
    is_active: bool | None = None,
    counts_as_productive: bool | None = None,
) -> PauseReason:
    """Codes never change (history and integrations refer to them); system reasons stay active."""
    errors: dict[str, list[str]] = {}
    if name is not None:
        reason.name = _check_name(name, errors)
    if is_active is not None:
        if reason.is_system and not is_active:
            errors["is_active"] = [_("System reasons cannot be turned off.")]
        reason.is_active = bool(is_active)
    if counts_as_productive is not None:
        reason.counts_as_productive = bool(counts_as_productive)
    if errors:
        raise _invalid(errors)
    reason.save(update_fields=["name", "is_active", "counts_as_productive"])
    _config_changed("pause_reason", reason.pk)
    return reason


@transaction.atomic
def pause_reason_delete(*, reason: PauseReason) -> None:
    if reason.is_system:
        raise ApplicationError("system_reason", _("System reasons cannot be deleted."))
    if Agent.objects.filter(reason=reason).exists() or AgentStateEvent.objects.filter(reason=reason).exists():
        raise ApplicationError("in_use", _("This reason has been used; turn it off instead of deleting it."))
    reason_id = reason.pk
    reason.delete()
    _config_changed("pause_reason", reason_id)


@transaction.atomic
def disposition_create(*, code: str, name: str, is_resolved: bool = False) -> Disposition:
    errors: dict[str, list[str]] = {}
    code = _check_code(Disposition, code, errors)
    name = _check_name(name, errors)
    if errors:
        raise _invalid(errors)
    disposition = Disposition.objects.create(code=code, name=name, is_resolved=bool(is_resolved))
    _config_changed("disposition", disposition.pk)
    return disposition


@transaction.atomic
def disposition_update(
    *,
    disposition: Disposition,
    name: str | None = None,
    is_resolved: bool | None = None,
    is_active: bool | None = None,
) -> Disposition:
    errors: dict[str, list[str]] = {}
    if name is not None:
        disposition.name = _check_name(name, errors)
    if errors:
        raise _invalid(errors)
    if is_resolved is not None:
        disposition.is_resolved = bool(is_resolved)
    if is_active is not None:
        disposition.is_active = bool(is_active)
    disposition.save(update_fields=["name", "is_resolved", "is_active"])
    _config_changed("disposition", disposition.pk)
    return disposition


@transaction.atomic
def disposition_delete(*, disposition: Disposition) -> None:
    if Call.objects.filter(disposition=disposition).exists():
        raise ApplicationError("in_use", _("Calls carry this disposition; turn it off instead of deleting it."))
    disposition_id = disposition.pk
    disposition.delete()
    _config_changed("disposition", disposition_id)
