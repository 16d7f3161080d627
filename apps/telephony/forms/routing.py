"""Forms of the routing console (apps/telephony/views/routing.py): queues, skills, agents' skills
and seats, pause reasons, dispositions. Uniqueness and ranges are the routing services' to check
(one set of rules and messages), so the model forms skip Django's own unique checks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.telephony.models import Agent, AgentSkill, Disposition, PauseReason, Queue, QueueSkill, Seat, Skill


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
]


class QueueForm(forms.ModelForm):
    """Queue settings plus one "minimum level" field per skill (empty: not required)."""

    class Meta:
        model = Queue
        fields = QUEUE_FORM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["overflow_queue"].queryset = Queue.objects.filter(is_scratch=False).exclude(pk=self.instance.pk)
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
