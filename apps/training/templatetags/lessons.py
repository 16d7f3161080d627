"""A lesson's HTML, made safe to show (issue 16 item 1: text and HTML lessons).

Trainers write lesson HTML; it is shown to every trainee, so it passes through nh3 (the Rust
``ammonia`` sanitiser) on the way out: a fixed set of formatting tags and attributes survives,
scripts, styles, event handlers and ``javascript:`` links never do. The page's Content-Security-
Policy would refuse inline scripts and styles anyway; this keeps the markup itself clean.
"""

from __future__ import annotations

import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "li", "ol", "p", "pre",
    "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"}}


def clean_lesson_html(html: str) -> str:
    """The lesson's HTML with only formatting left; links open as ordinary links (http, https, mailto)."""
    return nh3.clean(
        html or "",
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


@register.filter
def lesson_html(value: str) -> SafeString:
    return mark_safe(clean_lesson_html(value))  # noqa: S308 -- sanitised by nh3 just above
