"""Form widgets whose every word is ours, not the browser's (decision 0021).

Chromium draws ``<input type="file">`` ("Choose File / No file chosen") and the date and time
inputs ("mm/dd/yyyy", "--:-- --") in *its own* UI language, so a Chinese page in an English
browser showed English. These widgets render text we translate:

* :class:`FileInput` — the native input kept (it is what uploads the file) but visually hidden
  behind a label-button and the chosen file's name; ``static/js/ui.js`` (``data-file-picker``)
  writes the name.
* :class:`DateInput`, :class:`DateTimeInput`, :class:`TimeInput` — text inputs in ISO order
  (``2026-12-07``, ``2026-12-07 09:30``, ``09:30``) with a translated format as placeholder
  ("年-月-日"); dates get a small calendar from ``ui.js`` (``data-date-input``), drawn with the
  page's language through ``Intl``. Django's date fields read these formats whatever the language.

Every form of every app uses them for file, date, time and date-time fields (CONTRIBUTING.md,
"Page components"); ``tests/core/test_widgets.py`` checks the project's forms do.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import pgettext_lazy

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
TIME_FORMAT = "%H:%M"


def _merged(attrs: dict[str, Any] | None, defaults: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in (attrs or {}).items():
        if key == "class" and merged.get("class"):
            merged["class"] = f"{merged['class']} {value}"
        else:
            merged[key] = value
    return merged


class _TextFormatInput:
    """A text input showing the expected format (translated) as placeholder."""

    placeholder: Any = ""
    picker = ""  # "date" / "datetime": ui.js adds its calendar; "" none

    def _format_attrs(self, attrs: dict[str, Any] | None, size: int) -> dict[str, Any]:
        defaults: dict[str, Any] = {
            "placeholder": self.placeholder,
            "autocomplete": "off",
            "inputmode": "numeric",
            "size": size,
            "class": "format-input",
        }
        if self.picker:
            defaults["data-date-input"] = self.picker
        return _merged(attrs, defaults)


class DateInput(_TextFormatInput, forms.DateInput):
    """``2026-12-07`` in a text box, "年-月-日" as its placeholder, with ui.js's calendar."""

    input_type = "text"
    template_name = "core/widgets/date.html"
    placeholder = pgettext_lazy("date format shown in an empty date field", "YYYY-MM-DD")
    picker = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=self._format_attrs(attrs, 10), format=DATE_FORMAT)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["picker"] = self.picker
        return context


class DateTimeInput(_TextFormatInput, forms.DateTimeInput):
    """``2026-12-07 09:30`` in a text box; the calendar fills the date and keeps the time."""

    input_type = "text"
    template_name = "core/widgets/date.html"
    placeholder = pgettext_lazy("date-time format shown in an empty field", "YYYY-MM-DD HH:MM")
    picker = "datetime"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=self._format_attrs(attrs, 16), format=DATETIME_FORMAT)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["picker"] = self.picker
        return context


class TimeInput(_TextFormatInput, forms.TimeInput):
    """``09:30`` in a text box, "时:分" as its placeholder (no AM/PM from an English browser)."""

    input_type = "text"
    placeholder = pgettext_lazy("time format shown in an empty time field", "HH:MM")

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=self._format_attrs(attrs, 5), format=TIME_FORMAT)


class FileInput(forms.FileInput):
    """The file picker: a translated "Choose a file" button and the chosen file's name.

    The browser's required-field bubble would be in its own language too, so the field's
    ``required`` is left to the form's (translated) validation."""

    template_name = "core/widgets/file.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=_merged(attrs, {"class": "file-picker-input"}))

    def use_required_attribute(self, initial: Any) -> bool:
        return False
