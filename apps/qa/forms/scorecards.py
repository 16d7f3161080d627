"""The scorecard editor's form: a name and description, then sections and questions as rows.

The rows are plain POST fields named by position — ``s-0-title``, ``s-0-weight``,
``s-0-q-1-text``, ``s-0-q-1-kind`` … — read back in the order of their numbers. The page's
script (static/js/qa-scorecard.js) adds, removes and reorders rows in the browser and renumbers
the names; without it, the same buttons post an ``op`` (``add_question:0``, ``up_section:1`` …)
that the view applies to the rows and shows again, unsaved. Validation is the service's
(apps/qa/services/scorecards.py ``clean_spec``): its dotted field names
(``sections.0.questions.1.points``) are put back on the row and field they name.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.qa.choices import Critical, QuestionKind, ScorecardStatus

SECTION_FIELDS = ("title", "weight")
QUESTION_FIELDS = ("text", "kind", "points", "weight", "critical", "guidance")
_SECTION_NAME = re.compile(r"^s-(\d{1,3})-(title|weight)$")
_QUESTION_NAME = re.compile(r"^s-(\d{1,3})-q-(\d{1,3})-(text|kind|points|weight|critical|guidance|allow_na)$")
_OP = re.compile(
    r"^(add_section|add_question|remove_section|remove_question|up_section|down_section|"
    r"up_question|down_question)(?::(\d{1,3}))?(?::(\d{1,3}))?$"
)


class ScorecardForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What calls this form is for; evaluators see it when they pick a form."),
    )


class NewScorecardForm(ScorecardForm):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (ScorecardStatus.PUBLISHED, _("Published: evaluators can score on it")),
            (ScorecardStatus.DRAFT, _("Draft: kept from evaluators until you publish it")),
        ],
        initial=ScorecardStatus.PUBLISHED,
    )


def blank_question() -> dict[str, Any]:
    return {
        "text": "",
        "kind": QuestionKind.YES_NO,
        "points": "1",
        "weight": "1",
        "critical": Critical.NONE,
        "allow_na": False,
        "guidance": "",
    }


def blank_section() -> dict[str, Any]:
    return {"title": "", "weight": "1", "questions": [blank_question()]}


def rows_from_spec(spec: dict) -> list[dict[str, Any]]:
    """A stored scorecard's sections (``scorecard_spec``) as editor rows (text values)."""
    return [
        {
            "title": section["title"],
            "weight": _plain(section["weight"]),
            "questions": [
                {
                    **question,
                    "points": str(question["points"]),
                    "weight": _plain(question["weight"]),
                }
                for question in section["questions"]
            ],
        }
        for section in spec["sections"]
    ]


def _plain(value: Any) -> str:
    """1.00 → "1", 1.50 → "1.5": a weight as a person would type it."""
    text = str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def rows_from_post(data) -> list[dict[str, Any]]:
    """The editor's rows from the POST, in the order of their numbers."""
    sections: dict[int, dict[str, Any]] = {}
    for key in data:
        if match := _SECTION_NAME.match(key):
            index, field = int(match.group(1)), match.group(2)
            sections.setdefault(index, {"questions": {}})[field] = data.get(key, "")
        elif match := _QUESTION_NAME.match(key):
            s_index, q_index, field = int(match.group(1)), int(match.group(2)), match.group(3)
            section = sections.setdefault(s_index, {"questions": {}})
            question = section["questions"].setdefault(q_index, {})
            question[field] = data.get(key, "") if field != "allow_na" else True
    rows = []
    for s_index in sorted(sections):
        section = sections[s_index]
        questions = []
        for q_index in sorted(section["questions"]):
            question = {**blank_question(), "allow_na": False, **section["questions"][q_index]}
            question["allow_na"] = bool(question.get("allow_na"))
            questions.append(question)
        rows.append({"title": section.get("title", ""), "weight": section.get("weight", ""), "questions": questions})
    return rows


def rows_to_spec(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as the service's ``sections`` (it parses the numbers and reports bad ones)."""
    return [
        {
            "title": row["title"],
            "weight": row["weight"],
            "questions": [
                {
                    "text": q["text"],
                    "kind": q["kind"],
                    "points": q["points"],
                    "weight": q["weight"],
                    "critical": q["critical"],
                    "allow_na": bool(q["allow_na"]),
                    "guidance": q["guidance"],
                }
                for q in row["questions"]
            ],
        }
        for row in rows
    ]


def apply_op(rows: list[dict[str, Any]], op: str) -> bool:
    """Apply one editor button to the rows; False for an op that names no row."""
    match = _OP.match(op or "")
    if not match:
        return False
    name = match.group(1)
    i = int(match.group(2)) if match.group(2) is not None else None
    j = int(match.group(3)) if match.group(3) is not None else None
    if name == "add_section":
        rows.append(blank_section())
        return True
    if i is None or not 0 <= i < len(rows):
        return False
    questions = rows[i]["questions"]
    if name == "add_question":
        questions.append(blank_question())
    elif name == "remove_section":
        del rows[i]
    elif name in ("up_section", "down_section"):
        k = i - 1 if name == "up_section" else i + 1
        if not 0 <= k < len(rows):
            return False
        rows[i], rows[k] = rows[k], rows[i]
    else:
        if j is None or not 0 <= j < len(questions):
            return False
        if name == "remove_question":
            del questions[j]
        else:
            k = j - 1 if name == "up_question" else j + 1
            if not 0 <= k < len(questions):
                return False
            questions[j], questions[k] = questions[k], questions[j]
    return True


def attach_errors(rows: list[dict[str, Any]], fields: dict[str, list[str]]) -> list[str]:
    """Put the service's ``sections.<i>[.questions.<j>].<field>`` messages on the rows (as
    ``errors`` dicts); returns the messages that fit no row (shown above the rows)."""
    rest: list[str] = []
    for key, messages in fields.items():
        parts = key.split(".")
        if parts[0] != "sections":
            continue
        target: dict[str, Any] | None = None
        field = "row"
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(rows):
            target = rows[int(parts[1])]
            if len(parts) >= 4 and parts[2] == "questions" and parts[3].isdigit():
                questions = target["questions"]
                if int(parts[3]) < len(questions):
                    target = questions[int(parts[3])]
                    field = parts[4] if len(parts) > 4 else "row"
                else:
                    field = "questions"
            elif len(parts) >= 3:
                field = parts[2]
        if target is None:
            rest.extend(messages)
            continue
        target.setdefault("errors", {}).setdefault(field, []).extend(messages)
    return rest


KIND_CHOICES = QuestionKind.choices
CRITICAL_CHOICES = Critical.choices
