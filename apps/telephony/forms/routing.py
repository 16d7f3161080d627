"""Forms of the routing console (apps/telephony/views/routing.py): queues, skills, agents' skills
and seats, pause reasons, dispositions. Uniqueness and ranges are the routing services' to check
(one set of rules and messages), so the model forms skip Django's own unique checks."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.telephony.models import Agent, AgentSkill, Disposition, PauseReason, Queue, QueueSkill, Seat, Skill
from apps.telephony.queue_scripts import SCRIPT_MAX


def _level_field(label: str, initial: int | None) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=10,
        initial=initial,
        help_text=gettext_lazy("1–10; empty: none."),
    )


class SkillForm(forms.ModelForm):
    class Meta:
        model = Skill
        fields = ["code", "name"]


QUEUE_FORM_FIELDS = [
    "code",
    "name",
    "strategy",
    "priority",
    "sl_threshold_seconds",
    "sl_target_percent",
    "max_wait_seconds",
    "overflow_queue",
    "overflow_number",
    "ring_timeout_seconds",
    "wrapup_seconds",
    "short_abandon_seconds",
    "announce_position",
    "announce_expected_wait",
    "announce_interval_seconds",
    "callback_offer",
    "callback_offer_after_seconds",
    "expand_after_seconds",
    "expand_step",
    "sticky_days",
    "sticky_wait_seconds",
    "bullseye_rings",
]

VARIABLE_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RING_RE = re.compile(r"^\s*(\d{1,3})\s*[:：@]\s*(\d{1,6})\s*$")


def rings_text(rings: list[dict[str, int]] | None) -> str:
    """``[{"min_level": 9, "after_seconds": 0}, ...]`` as the form writes it: ``9:0, 6:20``."""
    return ", ".join(f"{ring.get('min_level')}:{ring.get('after_seconds')}" for ring in rings or [] if ring)


def parse_rings(text: str) -> list[tuple[int, int]]:
    """``9:0, 6:20, 3:45`` (commas, semicolons or new lines between rings) as (level, seconds) pairs;
    the ranges and order are the routing service's to check."""
    rings = []
    for part in re.split(r"[,，;；\n]+", text or ""):
        if not part.strip():
            continue
        match = RING_RE.match(part)
        if match is None:
            raise forms.ValidationError(
                _("Write each ring as level:seconds, e.g. 9:0, 6:20, 3:45 (not %(part)s).")
                % {"part": part.strip()[:20]}
            )
        rings.append((int(match.group(1)), int(match.group(2))))
    return rings


class QueueForm(forms.ModelForm):
    """Queue settings plus one "minimum level" field per skill (empty: not required)."""

    bullseye_rings = forms.CharField(
        label=gettext_lazy("Bullseye rings"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "Strategy bullseye: level:seconds per ring, e.g. 9:0, 6:20, 3:45 — first the agents at level 9 or "
            "more in the required skills, from 20 s of wait those at 6 or more, from 45 s at 3 or more. "
            "At most 6 rings; times ascending, levels descending."
        ),
    )

    class Meta:
        model = Queue
        fields = QUEUE_FORM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["overflow_queue"].queryset = Queue.objects.filter(is_scratch=False).exclude(pk=self.instance.pk)
        if self.instance.pk and not self.is_bound:
            self.initial["bullseye_rings"] = rings_text(self.instance.bullseye_rings)
        current = {}
        if self.instance.pk:
            current = dict(QueueSkill.objects.filter(queue=self.instance).values_list("skill_id", "min_level"))
        self.skill_fields = []
        for skill in Skill.objects.order_by("name"):
            name = f"skill_{skill.pk}"
            self.fields[name] = _level_field(
                _("%(skill)s: minimum level") % {"skill": skill.name}, current.get(skill.pk)
            )
            self.skill_fields.append((name, skill.pk))

    def clean_bullseye_rings(self) -> list[tuple[int, int]]:
        return parse_rings(self.cleaned_data.get("bullseye_rings") or "")

    def _post_clean(self):
        # Uniqueness and ranges are the service's to check (one set of rules and messages).
        pass

    def settings(self) -> tuple[dict[str, Any], dict[int, int]]:
        data = {name: self.cleaned_data[name] for name in QUEUE_FORM_FIELDS if name in self.cleaned_data}
        skills = {pk: self.cleaned_data[name] for name, pk in self.skill_fields if self.cleaned_data.get(name)}
        return data, skills


class AgentSkillsForm(forms.Form):
    def __init__(self, *args, agent: Agent, **kwargs):
        super().__init__(*args, **kwargs)
        current = dict(AgentSkill.objects.filter(agent=agent).values_list("skill_id", "level"))
        self.skill_fields = []
        for skill in Skill.objects.order_by("name"):
            name = f"skill_{skill.pk}"
            self.fields[name] = _level_field(skill.name, current.get(skill.pk))
            self.skill_fields.append((name, skill.pk))

    def levels(self) -> dict[int, int]:
        return {pk: self.cleaned_data[name] for name, pk in self.skill_fields if self.cleaned_data.get(name)}


class AgentSeatsForm(forms.Form):
    seats = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Allowed seats"),
        queryset=Seat.objects.order_by("extension"),
        to_field_name="extension",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Tick none to let the agent use any seat."),
    )


class PauseReasonForm(forms.ModelForm):
    class Meta:
        model = PauseReason
        fields = ["code", "name", "counts_as_productive", "is_active"]

    def _post_clean(self):
        pass


class DispositionForm(forms.ModelForm):
    class Meta:
        model = Disposition
        fields = ["code", "name", "is_resolved", "is_active"]

    def _post_clean(self):
        pass


class NoUniqueSkillForm(SkillForm):
    """The skills page's form: uniqueness is the service's to check."""

    def _post_clean(self):
        pass


class QueueScriptForm(forms.Form):
    """The queue's agent script page: the script, and what to preview it with."""

    script = forms.CharField(
        label=gettext_lazy("Agent script"),
        required=False,
        max_length=SCRIPT_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy(
            "Shown on the agent desk when a call from this queue rings, until wrap-up. Placeholders: "
            "{{customer.name}}, {{customer.vip_level}}, {{customer.tags}}, {{customer.<custom field key>}} "
            "(masked as the agent may see it), {{ivr.<variable>}}, {{call.caller}}, {{call.queue}}."
        ),
    )
    preview_phone = forms.CharField(
        label=gettext_lazy("Preview with the customer of number"),
        required=False,
        max_length=32,
        help_text=gettext_lazy("Empty: a sample customer whose fields show their names."),
    )
    preview_variables = forms.CharField(
        label=gettext_lazy("Preview with IVR variables"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One name=value per line, e.g. order_status=shipped."),
    )

    def clean_preview_variables(self) -> dict[str, str]:
        variables: dict[str, str] = {}
        for line in (self.cleaned_data.get("preview_variables") or "").splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep or not VARIABLE_NAME_RE.match(name.strip()):
                raise forms.ValidationError(_("Write one name=value per line (names: letters, digits and _)."))
            variables[name.strip()] = value.strip()
        return variables
