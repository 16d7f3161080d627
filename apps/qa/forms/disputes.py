"""Forms of the agent's evaluation page (dispute) and of the lead's dispute page (decide).

They only read what the page sent and put it in the shape of the API's bodies; the rules (the
window, which questions, value ranges, at least one change) are the service's
(apps/qa/services/disputes.py), whose field errors the views put back beside the inputs.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.qa.choices import DisputeStatus, QuestionKind
from apps.qa.models import Question

NA, YES, NO = "na", "yes", "no"


class DisputeFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *DisputeStatus.choices])


class MineFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All")),
            ("submitted", _("To acknowledge")),
            ("disputed", _("Disputed")),
            ("acknowledged", _("Acknowledged")),
            ("final", _("Final")),
        ],
    )


def dispute_body(data, questions: list[Question]) -> dict[str, Any]:
    """The dispute's body from the page: ``reason`` and, per ticked question ``q_<id>``, its
    reason ``reason_<id>`` (the API's ``{"reason", "items": [{"question", "reason"}]}``)."""
    items = [
        {"question": question.pk, "reason": data.get(f"reason_{question.pk}", "")}
        for question in questions
        if data.get(f"q_{question.pk}")
    ]
    return {"reason": data.get("reason", ""), "items": items}


def _value(question: Question, raw: str) -> Any:
    if question.kind == QuestionKind.YES_NO:
        return {YES: True, NO: False}.get(raw, raw)
    try:
        number = Decimal(raw.strip())
    except (InvalidOperation, AttributeError):
        return raw  # the service answers "give a number …" for it
    return int(number) if number == number.to_integral_value() else float(number)


def accept_body(data, questions: list[Question]) -> dict[str, Any]:
    """The lead's new answers of the disputed ``questions`` (``answer_<id>``: yes / no / na or a
    number; ``na_<id>`` ticked: N/A) and the note; a question left empty is not sent (its answer
    is kept)."""
    answers: list[dict[str, Any]] = []
    for question in questions:
        raw = (data.get(f"answer_{question.pk}") or "").strip()
        if data.get(f"na_{question.pk}"):
            raw = NA
        if not raw:
            continue
        if raw == NA:
            answers.append({"question": question.pk, "na": True})
        else:
            answers.append({"question": question.pk, "value": _value(question, raw)})
    return {"answers": answers, "note": data.get("note", "")}
