"""The form widgets whose words are ours, not the browser's (apps/core/widgets.py, decision 0021):
date, date-time and time fields are text inputs with a translated format, dates get ui.js's
calendar, files get a translated picker; the project's forms use them."""

from __future__ import annotations

import datetime
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import django_filters
import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

import apps
from apps.core.widgets import DateInput, DateTimeInput, FileInput, TimeInput
from tests.pending_po import pending_translations

ROOT = Path(__file__).resolve().parents[2]


class SampleForm(forms.Form):
    day = forms.DateField(widget=DateInput())
    at = forms.DateTimeField(required=False, widget=DateTimeInput())
    start = forms.TimeField(required=False, widget=TimeInput())
    file = forms.FileField(widget=FileInput(attrs={"accept": ".csv"}))


def _render(field: str, data: dict | None = None, files: dict | None = None, initial: dict | None = None) -> str:
    form = SampleForm(data=data, files=files, initial=initial or {})
    return str(form[field])


def test_date_input_is_a_text_field_in_iso_order_with_a_calendar():
    html = _render("day", initial={"day": datetime.date(2026, 12, 7)})

    assert 'type="text"' in html and 'type="date"' not in html
    assert 'value="2026-12-07"' in html
    assert 'placeholder="YYYY-MM-DD"' in html
    assert 'data-date-input="date"' in html
    assert 'class="date-field"' in html
    assert 'data-date-picker="date"' in html and 'aria-label="Choose a date"' in html
    assert 'data-prev-label="Previous month"' in html and 'data-next-label="Next month"' in html


def test_date_time_and_time_inputs():
    at = _render("at", initial={"at": datetime.datetime(2026, 12, 7, 9, 30, tzinfo=timezone.get_current_timezone())})
    start = _render("start", initial={"start": datetime.time(8, 0)})

    assert 'type="text"' in at and "datetime-local" not in at
    assert 'value="2026-12-07 09:30"' in at and 'placeholder="YYYY-MM-DD HH:MM"' in at
    assert 'data-date-picker="datetime"' in at
    assert 'type="text"' in start and 'type="time"' not in start
    assert 'value="08:00"' in start and 'placeholder="HH:MM"' in start
    assert "data-date-picker" not in start  # no calendar for a time of day


@pytest.mark.parametrize(
    ("day", "at"),
    [
        ("2026-12-07", "2026-12-07 09:30"),
        ("2026-12-07", "2026-12-07T09:30"),  # bookmarked filters
    ],
)
def test_the_shown_formats_are_read_back(day, at):
    form = SampleForm(data={"day": day, "at": at, "start": "08:00"}, files={"file": SimpleUploadedFile("a.csv", b"x")})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == datetime.date(2026, 12, 7)
    assert timezone.localtime(form.cleaned_data["at"]).timetuple()[:5] == (2026, 12, 7, 9, 30)
    assert form.cleaned_data["start"] == datetime.time(8, 0)


def test_a_malformed_date_is_a_translated_form_error():
    with translation.override("zh-hans"):
        form = SampleForm(data={"day": "12/07/2026"}, files={"file": SimpleUploadedFile("a.csv", b"x")})
        assert not form.is_valid()
        assert form.errors["day"] == ["输入一个有效的日期。"]


def test_file_input_is_a_translated_picker():
    html = _render("file")

    assert 'type="file"' in html and 'class="file-picker-input"' in html and 'accept=".csv"' in html
    assert "data-file-picker" in html
    assert "Choose a file" in html and 'data-empty="No file chosen"' in html
    # The browser's "Please select a file" bubble would be in its own language: the form says it.
    assert "required" not in html


def test_a_missing_file_is_the_forms_error():
    form = SampleForm(data={"day": "2026-12-07"}, files={})

    assert not form.is_valid()
    assert form.errors["file"] == ["This field is required."]


def test_the_widgets_speak_chinese():
    with pending_translations("first-hour"), translation.override("zh-hans"):
        day = _render("day")
        at = _render("at")
        start = _render("start")
        file = _render("file")

    assert 'placeholder="年-月-日"' in day and 'aria-label="选择日期"' in day
    assert 'data-prev-label="上个月"' in day and 'data-next-label="下个月"' in day
    assert 'placeholder="年-月-日 时:分"' in at
    assert 'placeholder="时:分"' in start
    assert "选择文件" in file and 'data-empty="未选择文件"' in file
    for text in ("Choose", "No file", "YYYY", "mm/dd"):
        assert text not in day + at + start + file


# --- the project's forms use them ------------------------------------------------------------

NATIVE = re.compile(
    r"""type=["'](?:date|datetime-local|time|file)["']|["']type["']\s*:\s*["'](?:date|datetime-local|time|file)["']"""
)
# Built by other engineers in the same session as these widgets (issue 13): they are to switch to
# apps.core.widgets (CONTRIBUTING.md, "Page components"); the integrator empties this once they have.
WANTED = {
    forms.DateTimeField: DateTimeInput,
    forms.DateField: DateInput,
    forms.TimeField: TimeInput,
    forms.FileField: FileInput,
}


def _project_form_fields():
    """(where, field) for every declared field of every Form and FilterSet in apps/."""
    found = []
    for module_info in pkgutil.walk_packages(apps.__path__, "apps."):
        name = module_info.name
        if ".migrations" in name or not re.search(r"\.(forms|filtersets)(\.|$)", name):
            continue
        module = importlib.import_module(name)
        for _attr, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name:
                continue
            if issubclass(cls, forms.BaseForm):
                found += [(f"{name}.{cls.__name__}.{key}", field) for key, field in cls.base_fields.items()]
            elif issubclass(cls, django_filters.FilterSet):
                for key, spec in cls.base_filters.items():
                    field = spec.field_class(**{"required": False, **spec.extra})
                    found.append((f"{name}.{cls.__name__}.{key}", field))
    return found


def test_every_project_form_uses_our_date_time_and_file_widgets():
    fields = _project_form_fields()
    assert len(fields) > 50  # the walk found the forms

    wrong = []
    for where, field in fields:
        for field_class, widget_class in WANTED.items():
            if isinstance(field, field_class):
                if not isinstance(field.widget, widget_class):
                    wrong.append(
                        f"{where}: {type(field.widget).__name__}, use apps.core.widgets.{widget_class.__name__}"
                    )
                break
    assert wrong == []


def test_no_template_or_form_asks_the_browser_for_its_own_date_or_file_input():
    found = []
    for path in [
        *ROOT.glob("templates/**/*.html"),
        *ROOT.glob("apps/**/*.py"),
        *ROOT.glob("apps/**/templates/**/*.html"),
    ]:
        where = path.relative_to(ROOT)
        if path.name == "widgets.py" and path.parent.name == "core":
            continue
        text = path.read_text(encoding="utf-8")
        for match in NATIVE.finditer(text):
            found.append(f"{where}: {match.group(0)}")
    assert found == []
