"""Outbound campaigns: settings, life cycle, retry policy, outcomes, dispositions and callbacks.

Life cycle: ``draft`` → start → ``running`` ⇄ pause/resume ⇄ ``paused`` → stop → ``finished``
(a draft may be stopped too; finished is final). Every change tells the engine on commit
(``config.changed``, kind ``campaign``) so the pacing loop picks it up without polling.

How one attempt settles a contact (:func:`contact_settle`):

* a disposition the agent chose wins over the dial outcome: its campaign rule (or, without a
  rule, "final") decides; the ``do_not_call`` disposition, or any rule with ``do_not_call``,
  puts the number on the tenant-wide do-not-call list at once;
* otherwise the outcome's rule decides (the one retry table, apps/telephony/dialer/retry.py,
  when the campaign has none; simulations read the same table): retry after ``min_gap_minutes`` while the contact has had fewer than ``max_attempts``
  attempts, else the contact is done. An answered call with no disposition is done.

The agent's disposition may arrive before or after the engine's report of the same attempt
(the engine writes asynchronously); both orders end in the same state: the wrap-up service
stores it on the CDR and calls :func:`campaign_disposition_apply`, which settles the contact if
the attempt was already reported (the report links the call); otherwise the report finds the
disposition on the CDR and settles with it.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.domain_events import domain_event
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.events import publish_on_commit
from apps.core.tenancy import current_schema, current_tenant
from apps.telephony.choices import (
    CampaignStatus,
    CampaignType,
    ContactStatus,
    DialMode,
    DialOutcome,
    RetryOutcome,
    ScheduledCallbackStatus,
)
from apps.telephony.dialer.numbers import is_time_zone
from apps.telephony.dialer.retry import DEFAULT_OUTCOME_RULES, DO_NOT_CALL, FINAL, RetryPolicy, outcome_policy
from apps.telephony.models import (
    Agent,
    Call,
    Campaign,
    CampaignRetryRule,
    Contact,
    DialAttempt,
    Disposition,
    Queue,
    ScheduledCallback,
    Trunk,
)
from apps.telephony.models.campaigns import MIN_RING_TIMEOUT_SECONDS
from apps.telephony.services.campaigns.dnc import dnc_from_disposition
from apps.telephony.services.dialling import caller_id_check
from apps.tenants.models import Tenant

DO_NOT_CALL_DISPOSITION = "do_not_call"
CALLBACK_PRIORITY = 10
NAME_MAX = 100
TEXT_MAX = 20000
NOTE_MAX = 2000
CALLER_ID_RE = re.compile(r"^\+?[0-9]{3,20}$")
MAX_ABANDON_RATE_CAP = Decimal("0.05")
SCRIPT_PLACEHOLDER_RE = re.compile(r"{{(.*?)}}", re.DOTALL)
SCRIPT_VARIABLE_RE = re.compile(r"^\s*contact\.([A-Za-z_][A-Za-z0-9_]*)\s*$")
STANDARD_CONTACT_FIELDS = ("name", "phone", "time_zone", "email", "external_id")


def _invalid(fields: dict[str, list[Any]]) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields=fields)


def _engine_changed(campaign_id: int) -> None:
    publish_on_commit("engine", {"type": "config.changed", "kind": "campaign", "id": campaign_id})


def marketing_requires_consent() -> bool:
    """The tenant's policy (Tenant.marketing_requires_consent), read fresh: the engine is long-lived."""
    value = (
        Tenant.objects.filter(schema_name=current_schema()).values_list("marketing_requires_consent", flat=True).first()
    )
    return True if value is None else bool(value)


@transaction.atomic
def campaign_policy_set(*, marketing_requires_consent: bool) -> None:
    """Turn the tenant's consent rule for marketing campaigns on or off (a public-schema row)."""
    if not isinstance(marketing_requires_consent, bool):
        raise _invalid({"marketing_requires_consent": [_("Must be true or false.")]})
    Tenant.objects.filter(schema_name=current_schema()).update(marketing_requires_consent=marketing_requires_consent)
    publish_on_commit("engine", {"type": "config.changed", "kind": "campaign_policy", "id": None})


def access_campaign(campaign_id: Any) -> Campaign:
    try:
        return Campaign.objects.get(pk=int(campaign_id))
    except (Campaign.DoesNotExist, TypeError, ValueError):
        raise NotFoundError("not_found", _("There is no such campaign.")) from None


# --- settings ----------------------------------------------------------------------------------

CAMPAIGN_SETTINGS = (
    "name",
    "description",
    "type",
    "is_marketing",
    "dial_mode",
    "power_ratio",
    "queue",
    "trunk",
    "caller_id",
    "start_date",
    "end_date",
    "window_start",
    "window_end",
    "weekdays",
    "skip_holidays",
    "default_time_zone",
    "max_abandon_rate",
    "abandon_window_days",
    "ring_timeout_seconds",
    "amd_enabled",
    "abandon_message",
    "script",
    "record_calls",
)


def script_errors(script: str) -> list[str]:
    """Placeholders must read ``{{contact.<field>}}``; anything else between braces is a typo."""
    bad = [m.group(0) for m in SCRIPT_PLACEHOLDER_RE.finditer(script or "") if not SCRIPT_VARIABLE_RE.match(m.group(1))]
    if bad:
        return [_("Unknown placeholder %(p)s: write {{contact.field}}.") % {"p": bad[0]}]
    return []


def script_render(script: str, contact: Contact | dict[str, Any]) -> str:
    """The agent's script with ``{{contact.field}}`` filled from standard then custom fields; an
    unknown field renders empty (the list may simply not have that column)."""
    values = contact_card(contact) if isinstance(contact, Contact) else dict(contact)

    def replace(match: re.Match) -> str:
        variable = SCRIPT_VARIABLE_RE.match(match.group(1))
        if variable is None:
            return match.group(0)
        value = values.get(variable.group(1))
        return "" if value is None else str(value)

    return SCRIPT_PLACEHOLDER_RE.sub(replace, script or "")


def contact_card(contact: Contact) -> dict[str, Any]:
    """Standard and custom fields in one flat dict (custom fields never shadow standard ones)."""
    card = {key: value for key, value in (contact.data or {}).items()}
    card.update({name: getattr(contact, name) for name in STANDARD_CONTACT_FIELDS})
    return card


def _as_bool(value: Any, name: str, errors: dict) -> bool:
    if isinstance(value, bool):
        return value
    errors[name] = [_("Must be true or false.")]
    return False


def _as_int(value: Any, name: str, errors: dict, low: int, high: int) -> int:
    try:
        number = int(value)
        if isinstance(value, bool) or number != float(value):
            raise ValueError
    except (TypeError, ValueError):
        errors[name] = [_("Must be a whole number.")]
        return low
    if not low <= number <= high:
        errors[name] = [_("Must be between %(low)s and %(high)s.") % {"low": low, "high": high}]
    return number


def _as_time(value: Any, name: str, errors: dict) -> datetime.time | None:
    if isinstance(value, datetime.time):
        return value
    try:
        return datetime.time.fromisoformat(str(value))
    except ValueError:
        errors[name] = [_("Use HH:MM.")]
        return None


def _as_date(value: Any, name: str, errors: dict) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        errors[name] = [_("Use YYYY-MM-DD.")]
        return None


def _text(value: Any, name: str, errors: dict, limit: int, *, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        errors[name] = [_("This field is required.")]
    elif len(text) > limit:
        errors[name] = [_("At most %(n)d characters.") % {"n": limit}]
    return text


def _clean(campaign: Campaign, data: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply ``data`` to the unsaved ``campaign``; return field errors (nothing is saved here)."""
    errors: dict[str, list[Any]] = {}
    unknown = sorted(set(data) - set(CAMPAIGN_SETTINGS))
    for name in unknown:
        errors[name] = [_("Unknown field.")]
    for name, value in data.items():
        if name == "name":
            campaign.name = _text(value, name, errors, NAME_MAX, required=True)
        elif name in ("description", "abandon_message", "script"):
            setattr(campaign, name, _text(value, name, errors, TEXT_MAX))
        elif name == "type":
            if value not in CampaignType.values:
                errors[name] = [_("Unknown campaign type.")]
            else:
                campaign.type = value
        elif name == "dial_mode":
            if value not in DialMode.values:
                errors[name] = [_("Unknown dial mode.")]
            else:
                campaign.dial_mode = value
        elif name in ("is_marketing", "skip_holidays", "amd_enabled", "record_calls"):
            setattr(campaign, name, _as_bool(value, name, errors))
        elif name == "power_ratio":
            try:
                ratio = float(value)
            except (TypeError, ValueError):
                ratio = -1.0
            if not 1.0 <= ratio <= 5.0:
                errors[name] = [_("Must be between %(low)s and %(high)s.") % {"low": 1, "high": 5}]
            else:
                campaign.power_ratio = ratio
        elif name == "queue":
            queue_id = getattr(value, "pk", value)
            queue = Queue.objects.filter(pk=queue_id).first() if str(queue_id or "").isdigit() else None
            if queue is None:
                errors[name] = [_("Unknown queue.")]
            else:
                campaign.queue = queue
        elif name == "trunk":
            trunk_id = getattr(value, "pk", value)
            if trunk_id in (None, ""):
                campaign.trunk = None
            else:
                trunk = Trunk.objects.filter(pk=trunk_id).first() if str(trunk_id).isdigit() else None
                if trunk is None:
                    errors[name] = [_("Unknown trunk.")]
                else:
                    campaign.trunk = trunk
        elif name == "caller_id":
            caller_id = "" if value is None else str(value).strip().replace(" ", "").replace("-", "")
            if caller_id and not CALLER_ID_RE.match(caller_id):
                errors[name] = [_("Digits only (3–20), optionally starting with +.")]
            campaign.caller_id = caller_id
        elif name in ("start_date", "end_date"):
            setattr(campaign, name, _as_date(value, name, errors))
        elif name in ("window_start", "window_end"):
            parsed = _as_time(value, name, errors)
            if parsed is not None:
                setattr(campaign, name, parsed.replace(second=0, microsecond=0))
        elif name == "weekdays":
            days = value if isinstance(value, list | tuple) else None
            if (
                not days
                or any(isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7 for day in days)
                or len(set(days)) != len(days)
            ):
                errors[name] = [_("A list of distinct weekdays, 1 (Monday) to 7 (Sunday).")]
            else:
                campaign.weekdays = sorted(days)
        elif name == "default_time_zone":
            if not is_time_zone(value):
                errors[name] = [_("Unknown time zone.")]
            else:
                campaign.default_time_zone = value
        elif name == "max_abandon_rate":
            try:
                rate = Decimal(str(value))
            except (InvalidOperation, ValueError):
                rate = Decimal(-1)
            if not Decimal(0) < rate <= MAX_ABANDON_RATE_CAP:
                errors[name] = [_("Must be more than 0 and at most %(max)s.") % {"max": MAX_ABANDON_RATE_CAP}]
            else:
                campaign.max_abandon_rate = rate.quantize(Decimal("0.0001"))
        elif name == "abandon_window_days":
            campaign.abandon_window_days = _as_int(value, name, errors, 1, 365)
        elif name == "ring_timeout_seconds":
            campaign.ring_timeout_seconds = _as_int(value, name, errors, MIN_RING_TIMEOUT_SECONDS, 120)
    if "script" not in errors and (messages := script_errors(campaign.script)):
        errors["script"] = messages
    if "window_start" not in errors and "window_end" not in errors and campaign.window_start >= campaign.window_end:
        errors["window_end"] = [_("The window must end after it starts (same day).")]
    if campaign.start_date and campaign.end_date and campaign.start_date > campaign.end_date:
        errors["end_date"] = [_("The last day comes before the first.")]
    if "name" not in errors and campaign.name:
        clash = Campaign.objects.filter(name__iexact=campaign.name).exclude(pk=campaign.pk).exists()
        if clash:
            errors["name"] = [_("Another campaign has this name.")]
    return errors


def retry_rules_seed(campaign: Campaign) -> None:
    """A new campaign's rules: the retry table of apps/telephony/dialer/retry.py, as rows users edit."""
    rules = [
        CampaignRetryRule(
            campaign=campaign,
            outcome=outcome,
            retry=policy.retry,
            min_gap_minutes=policy.min_gap_minutes,
            max_attempts=policy.max_attempts,
        )
        for outcome, policy in DEFAULT_OUTCOME_RULES.items()
    ]
    do_not_call = Disposition.objects.filter(code=DO_NOT_CALL_DISPOSITION).first()
    if do_not_call is not None:
        rules.append(
            CampaignRetryRule(
                campaign=campaign,
                disposition=do_not_call,
                retry=False,
                min_gap_minutes=0,
                max_attempts=1,
                do_not_call=True,
            )
        )
    CampaignRetryRule.objects.bulk_create(rules)


@transaction.atomic
def campaign_create(*, user: Any = None, **data: Any) -> Campaign:
    """A draft campaign with the default retry rules. ``name`` and ``queue`` are required."""
    campaign = Campaign(created_by=user if getattr(user, "pk", None) else None)
    campaign.default_time_zone = getattr(current_tenant(), "time_zone", None) or settings.TIME_ZONE
    errors = _clean(campaign, data)
    if "queue" not in data and "queue" not in errors:
        errors["queue"] = [_("This field is required.")]
    if "name" not in data:
        errors["name"] = [_("This field is required.")]
    if errors:
        raise _invalid(errors)
    caller_id_check(value=campaign.caller_id)
    campaign.save()
    retry_rules_seed(campaign)
    _engine_changed(campaign.pk)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, **data: Any) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == CampaignStatus.FINISHED:
        raise ApplicationError("invalid_state", _("A finished campaign cannot be changed."))
    caller_id_before = campaign.caller_id
    errors = _clean(campaign, data)
    if errors:
        raise _invalid(errors)
    if "caller_id" in data:
        caller_id_check(value=campaign.caller_id)
    campaign.updated_at = timezone.now()
    campaign.save()
    if campaign.caller_id != caller_id_before:
        audit_record(
            action=AuditAction.CAMPAIGN_CALLER_ID_CHANGED,
            target=campaign,
            before={"caller_id": caller_id_before},
            after={"caller_id": campaign.caller_id},
        )
    _engine_changed(campaign.pk)
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> None:
    """Only drafts go: a campaign that dialled keeps its history (abandon rate, results, audit)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.DRAFT or DialAttempt.objects.filter(campaign=campaign).exists():
        raise ApplicationError("invalid_state", _("Only a draft campaign that never dialled can be deleted."))
    campaign_id = campaign.pk
    campaign.delete()
    _engine_changed(campaign_id)


# --- life cycle ----------------------------------------------------------------------------------


@transaction.atomic
def campaign_save(
    *, campaign: Campaign | None, data: dict[str, Any], rules: list[dict[str, Any]], user: Any = None
) -> Campaign:
    """Create (``campaign`` None) or update a campaign with its retry rules, all or nothing: the
    campaign form saves both together, so a bad rule leaves the settings unchanged too.

    Raises one ``invalid`` error whose fields hold the settings' errors by field name and the
    rules' errors as ``rules[i]`` (the position in ``rules``)."""
    errors: dict[str, list[Any]] = {}
    saved = None
    try:
        with transaction.atomic():
            if campaign is None:
                saved = campaign_create(user=user, **data)
            else:
                saved = campaign_update(campaign=campaign, **data)
    except ApplicationError as error:
        if error.code != "invalid":
            raise
        errors.update(error.fields)
    target = saved or campaign
    if target is not None:
        try:
            with transaction.atomic():
                retry_rules_set(campaign=target, rules=rules)
        except ApplicationError as error:
            if error.code != "invalid":
                raise
            errors.update(error.fields)
    if errors or saved is None:
        raise _invalid(errors)
    return saved


_TRANSITIONS = {
    "start": ((CampaignStatus.DRAFT,), CampaignStatus.RUNNING),
    "pause": ((CampaignStatus.RUNNING,), CampaignStatus.PAUSED),
    "resume": ((CampaignStatus.PAUSED,), CampaignStatus.RUNNING),
    "stop": ((CampaignStatus.DRAFT, CampaignStatus.RUNNING, CampaignStatus.PAUSED), CampaignStatus.FINISHED),
}


def _start_problems(campaign: Campaign) -> dict[str, list[Any]]:
    """What a campaign needs before it may dial (the legal ID message above all)."""
    errors: dict[str, list[Any]] = {}
    if campaign.dial_mode != DialMode.PREVIEW and not campaign.abandon_message.strip():
        errors["abandon_message"] = [_("Set the message played when no agent is free: the law requires it.")]
    today = timezone.localdate()
    if campaign.end_date and campaign.end_date < today:
        errors["end_date"] = [_("The campaign's last day has passed.")]
    return errors


def campaign_start_problems(campaign: Campaign) -> list[str]:
    """What would stop the campaign from starting now, in words: the form tells the administrator
    when saving, rather than only when Start is pressed."""
    return [str(message) for messages in _start_problems(campaign).values() for message in messages]


@transaction.atomic
def campaign_transition(*, campaign: Campaign, action: str, user: Any = None) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    sources, target = _TRANSITIONS[action]
    if campaign.status not in sources:
        raise ApplicationError("invalid_state", _refusal(action))
    now = timezone.now()
    if action == "start":
        if problems := _start_problems(campaign):
            raise ApplicationError("not_ready", _("The campaign cannot start yet."), fields=problems)
        campaign.started_at = now
    elif action == "pause":
        campaign.paused_at = now
    elif action == "resume":
        if problems := _start_problems(campaign):
            raise ApplicationError("not_ready", _("The campaign cannot resume yet."), fields=problems)
        campaign.resumed_at = now
    elif action == "stop":
        campaign.finished_at = now
    campaign.status = target
    campaign.updated_at = now
    campaign.save(update_fields=["status", "started_at", "paused_at", "resumed_at", "finished_at", "updated_at"])
    _engine_changed(campaign.pk)
    domain_event(_EVENTS[action], campaign)
    return campaign


# The business event each transition announces (apps/core/domain_events.py; webhooks listen).
_EVENTS = {
    "start": "campaign.started",
    "pause": "campaign.paused",
    "resume": "campaign.resumed",
    "stop": "campaign.completed",
}


def _refusal(action: str) -> str:
    return {
        "start": _("Only a draft campaign can be started."),
        "pause": _("Only a running campaign can be paused."),
        "resume": _("Only a paused campaign can be resumed."),
        "stop": _("This campaign has already finished."),
    }[action]


def campaign_start(*, campaign: Campaign, user: Any = None) -> Campaign:
    return campaign_transition(campaign=campaign, action="start", user=user)


def campaign_pause(*, campaign: Campaign, user: Any = None) -> Campaign:
    return campaign_transition(campaign=campaign, action="pause", user=user)


def campaign_resume(*, campaign: Campaign, user: Any = None) -> Campaign:
    return campaign_transition(campaign=campaign, action="resume", user=user)


def campaign_stop(*, campaign: Campaign, user: Any = None) -> Campaign:
    return campaign_transition(campaign=campaign, action="stop", user=user)


# --- retry rules ------------------------------------------------------------------------------------


@transaction.atomic
def retry_rules_set(*, campaign: Campaign, rules: list[dict[str, Any]]) -> list[CampaignRetryRule]:
    """Replace the campaign's rules. Each rule names an ``outcome`` or a ``disposition`` (id or
    code); outcomes left out fall back to the retry table (apps/telephony/dialer/retry.py)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == CampaignStatus.FINISHED:
        raise ApplicationError("invalid_state", _("A finished campaign cannot be changed."))
    errors: dict[str, list[Any]] = {}
    built: list[CampaignRetryRule] = []
    seen: set[str] = set()
    if not isinstance(rules, list):
        raise _invalid({"rules": [_("A list of rules.")]})
    for index, rule in enumerate(rules):
        prefix = f"rules[{index}]"
        problems: list[str] = []
        if not isinstance(rule, dict):
            errors[prefix] = [_("A rule is an object.")]
            continue
        outcome = rule.get("outcome") or ""
        disposition_ref = rule.get("disposition")
        disposition = None
        if bool(outcome) == (disposition_ref not in (None, "")):
            problems.append(_("Name exactly one of an outcome or a disposition."))
        elif outcome:
            if outcome not in RetryOutcome.values:
                problems.append(_("Unknown outcome %(o)s.") % {"o": outcome})
        else:
            lookup = {"pk": disposition_ref} if str(disposition_ref).isdigit() else {"code": disposition_ref}
            disposition = Disposition.objects.filter(**lookup).first()
            if disposition is None:
                problems.append(_("Unknown disposition %(d)s.") % {"d": disposition_ref})
        key = f"o:{outcome}" if outcome else f"d:{disposition.pk if disposition else disposition_ref}"
        if key in seen:
            problems.append(_("Two rules for the same outcome or disposition."))
        seen.add(key)
        retry = rule.get("retry", True)
        do_not_call = rule.get("do_not_call", False)
        if not isinstance(retry, bool) or not isinstance(do_not_call, bool):
            problems.append(_("retry and do_not_call are true or false."))
        elif do_not_call and (outcome or retry):
            problems.append(_("Only a final disposition can add the number to do-not-call."))
        local: dict[str, list[Any]] = {}
        gap = _as_int(rule.get("min_gap_minutes", 60), "min_gap_minutes", local, 0, 60 * 24 * 90)
        attempts = _as_int(rule.get("max_attempts", 3), "max_attempts", local, 1, 50)
        problems.extend(f"{name}: {msg}" for name, messages in local.items() for msg in messages)
        if problems:
            errors[prefix] = problems
            continue
        built.append(
            CampaignRetryRule(
                campaign=campaign,
                outcome=outcome,
                disposition=disposition,
                retry=retry,
                min_gap_minutes=gap,
                max_attempts=attempts,
                do_not_call=do_not_call,
            )
        )
    if errors:
        raise _invalid(errors)
    CampaignRetryRule.objects.filter(campaign=campaign).delete()
    CampaignRetryRule.objects.bulk_create(built)
    _engine_changed(campaign.pk)
    return list(CampaignRetryRule.objects.filter(campaign=campaign).select_related("disposition"))


class RetryRules:
    """A campaign's rules, loaded once per batch of settlements."""

    def __init__(self, campaign_id: int) -> None:
        self.by_outcome: dict[str, RetryPolicy] = {}
        self.by_disposition: dict[int, RetryPolicy] = {}
        for rule in CampaignRetryRule.objects.filter(campaign_id=campaign_id):
            policy = RetryPolicy(rule.retry, rule.min_gap_minutes, rule.max_attempts, rule.do_not_call)
            if rule.outcome:
                self.by_outcome[rule.outcome] = policy
            elif rule.disposition_id is not None:
                self.by_disposition[rule.disposition_id] = policy

    def for_outcome(self, outcome: str) -> RetryPolicy:
        return outcome_policy(outcome, self.by_outcome)

    def for_disposition(self, disposition: Disposition) -> RetryPolicy:
        if disposition.code == DO_NOT_CALL_DISPOSITION:
            return DO_NOT_CALL  # never configurable away: the callee asked
        return self.by_disposition.get(disposition.pk, FINAL)

    def limit_for(self, contact: Contact) -> int | None:
        """The attempt ceiling that applies to a contact waiting for a retry (rules may have been
        tightened since it was scheduled); None for callbacks, which a person promised."""
        if contact.priority >= CALLBACK_PRIORITY:
            return None
        if contact.last_disposition_id is not None:
            policy = self.by_disposition.get(contact.last_disposition_id)
            return policy.max_attempts if policy and policy.retry else None
        if contact.last_outcome:
            policy = self.for_outcome(contact.last_outcome)
            return policy.max_attempts if policy.retry else None
        return None


# --- settling attempts ---------------------------------------------------------------------------------


def contact_settle(
    contact: Contact,
    attempt: DialAttempt,
    *,
    rules: RetryRules,
    at: datetime.datetime,
    gap_from: datetime.datetime | None = None,
) -> list[str]:
    """Decide what happens to ``contact`` after ``attempt`` (closed). Changes the instance and
    returns the updated field names; the caller saves. ``gap_from`` (default ``at``) is when the
    retry gap starts counting."""
    fields = ["status", "next_attempt_at", "priority", "owner_agent", "last_outcome", "last_disposition"]
    contact.last_outcome = attempt.outcome
    contact.last_disposition_id = attempt.disposition_id
    disposition = attempt.disposition
    policy = rules.for_outcome(attempt.outcome) if disposition is None else rules.for_disposition(disposition)
    callback = _due_callback(contact, attempt)
    if policy.do_not_call:
        reason = _("Asked not to be called (%(name)s).") % {"name": disposition.name if disposition else ""}
        dnc_from_disposition(number=contact.phone, campaign=contact.campaign, reason=reason, at=at)
        contact.status = ContactStatus.DNC
    elif policy.retries_after(contact.attempts):
        contact.status = ContactStatus.RETRY
        contact.next_attempt_at = (gap_from or at) + datetime.timedelta(minutes=policy.min_gap_minutes)
    else:
        contact.status = ContactStatus.DONE
    reached = attempt.outcome == DialOutcome.ANSWERED
    if callback is not None and (reached or contact.status != ContactStatus.RETRY):
        callback.status = ScheduledCallbackStatus.DONE
        callback.attempt = attempt
        callback.completed_at = at
        callback.save(update_fields=["status", "attempt", "completed_at"])
        callback = None
    if callback is None and not _has_pending_callback(contact):
        contact.priority = 0
        contact.owner_agent = None
    return fields


def _due_callback(contact: Contact, attempt: DialAttempt) -> ScheduledCallback | None:
    return (
        ScheduledCallback.objects.filter(
            contact=contact, status=ScheduledCallbackStatus.PENDING, due_at__lte=attempt.started_at
        )
        .order_by("due_at", "id")
        .first()
    )


def _has_pending_callback(contact: Contact) -> bool:
    return ScheduledCallback.objects.filter(contact=contact, status=ScheduledCallbackStatus.PENDING).exists()


@transaction.atomic
def campaign_disposition_apply(
    *, call: Call, disposition: Disposition | None, at: datetime.datetime | None = None
) -> DialAttempt | None:
    """The agent's wrap-up disposition for a campaign call (no-op for other calls). Called by
    ``call_control.call_wrapup`` after it stores the disposition on the CDR."""
    if disposition is None or not call.uid:
        return None
    found = DialAttempt.objects.filter(call_uid=call.uid).order_by("-id").values_list("pk", "contact_id").first()
    if found is None:
        return None
    at = at or timezone.now()
    # Lock order everywhere: contact, then its attempts (as the engine's contact source does).
    contact = Contact.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=found[1])
    attempt = DialAttempt.objects.select_for_update().get(pk=found[0])
    attempt.disposition = disposition
    attempt.call = call
    if attempt.agent_id is None:
        attempt.agent_id = call.agent_id
    attempt.save(update_fields=["disposition", "call", "agent"])
    contact.last_disposition = disposition
    if attempt.outcome == "":
        # The engine has not reported the attempt yet; its report settles with this disposition.
        contact.save(update_fields=["last_disposition"])
        return attempt
    fields = contact_settle(contact, attempt, rules=RetryRules(contact.campaign_id), at=at)
    contact.save(update_fields=fields)
    return attempt


# --- scheduled callbacks ------------------------------------------------------------------------------


@transaction.atomic
def callback_schedule(
    *,
    contact: Contact,
    due_at: datetime.datetime,
    agent: Agent | None = None,
    note: str = "",
    user: Any = None,
    now: datetime.datetime | None = None,
) -> ScheduledCallback:
    """Promise to call ``contact`` at ``due_at`` — by ``agent`` only, or by anyone when None.
    The contact jumps the line when it is due, within the campaign's calling window."""
    errors: dict[str, list[Any]] = {}
    contact = Contact.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=contact.pk)
    now = now or timezone.now()
    if timezone.is_naive(due_at):
        errors["due_at"] = [_("Give a time zone.")]
    elif due_at < now - datetime.timedelta(minutes=1):
        errors["due_at"] = [_("Pick a time in the future.")]
    elif due_at > now + datetime.timedelta(days=366):
        errors["due_at"] = [_("At most a year ahead.")]
    note = _text(note, "note", errors, NOTE_MAX)
    if contact.status in (ContactStatus.DNC, ContactStatus.INVALID):
        errors["contact"] = [_("This contact may not be called.")]
    if contact.campaign.status == CampaignStatus.FINISHED:
        errors["contact"] = [_("The campaign has finished.")]
    if errors:
        raise _invalid(errors)
    ScheduledCallback.objects.filter(contact=contact, status=ScheduledCallbackStatus.PENDING).update(
        status=ScheduledCallbackStatus.CANCELLED, completed_at=now
    )
    callback = ScheduledCallback.objects.create(
        campaign=contact.campaign,
        contact=contact,
        due_at=due_at,
        agent=agent,
        note=note,
        created_by=user if getattr(user, "pk", None) else None,
    )
    update = ["priority", "owner_agent", "next_attempt_at"]
    contact.priority = CALLBACK_PRIORITY
    contact.owner_agent = agent
    contact.next_attempt_at = due_at
    if contact.status == ContactStatus.DONE:
        contact.status = ContactStatus.RETRY
        update.append("status")
    # A contact being dialled right now keeps ``dialing``; the report will see the callback.
    contact.save(update_fields=update)
    _engine_changed(contact.campaign_id)
    return callback


@transaction.atomic
def callback_cancel(*, callback: ScheduledCallback) -> ScheduledCallback:
    callback = ScheduledCallback.objects.select_for_update().get(pk=callback.pk)
    if callback.status != ScheduledCallbackStatus.PENDING:
        raise ApplicationError("invalid_state", _("Only a pending callback can be cancelled."))
    callback.status = ScheduledCallbackStatus.CANCELLED
    callback.completed_at = timezone.now()
    callback.save(update_fields=["status", "completed_at"])
    contact = Contact.objects.select_for_update().get(pk=callback.contact_id)
    if not _has_pending_callback(contact):
        contact.priority = 0
        contact.owner_agent = None
        contact.save(update_fields=["priority", "owner_agent"])
    return callback
