"""Translatable literals in templates.

Django looks a template's ``_("…")`` literal up with every ``%`` doubled, while makemessages files
it as written: a label such as ``_("Pass mark (%)")`` is never translated and shows "(%%)" in
every language. ``{% trans "…" as label %}`` restores the percent signs, so templates use that.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.template import engines
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
LITERAL = re.compile(r"""_\((["'])([^"']*%[^"']*)\1\)""")


def test_no_template_underscore_literal_holds_a_percent_sign():
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("apps/*/templates/**/*.html")]
        for match in LITERAL.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_a_trans_label_with_a_percent_sign_renders_one_in_both_languages():
    source = '{% load i18n %}{% trans "Pass mark (%)" as label %}{{ label }}'

    template = engines["django"].from_string(source)
    with translation.override("en"):
        assert template.render({}) == "Pass mark (%)"
    with translation.override("zh-hans"):
        assert template.render({}) == "及格线（%）"
