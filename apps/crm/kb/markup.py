"""Article bodies: plain text with a small Markdown subset, rendered safely.

Bodies are not HTML: an editor's ``<script>`` shows as text. What is understood — blank-line
paragraphs, ``## `` headings, ``- `` and ``1. `` lists, ``**bold**`` — is enough for the step-by-step
answers agents read aloud, and everything is escaped before these few tags are added.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_BULLET_RE = re.compile(r"^\s*[-*•]\s+(.*)$")
_NUMBER_RE = re.compile(r"^\s*\d+[.、)]\s*(.*)$")
_HEADING_RE = re.compile(r"^\s*#{1,6}\s+(.*)$")
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*")


def _inline(line: str) -> str:
    return _BOLD_RE.sub(r"<strong>\1</strong>", escape(line))


def _block(lines: list[str]) -> list[str]:
    """One blank-line separated block: headings, list items and paragraph lines, in order."""
    html: list[str] = []
    paragraph: list[str] = []
    list_tag = ""
    for line in [*lines, ""]:  # the empty line at the end closes what is open
        heading = _HEADING_RE.match(line)
        item = _BULLET_RE.match(line) or _NUMBER_RE.match(line)
        tag = ("ul" if _BULLET_RE.match(line) else "ol") if item else ""
        if paragraph and (heading or item or not line):
            html.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph = []
        if list_tag and list_tag != tag:
            html.append(f"</{list_tag}>")
            list_tag = ""
        if heading:
            html.append(f"<h3>{_inline(heading.group(1))}</h3>")
        elif item:
            if not list_tag:
                html.append(f"<{tag}>")
                list_tag = tag
            html.append(f"<li>{_inline(item.group(1))}</li>")
        elif line:
            paragraph.append(_inline(line.strip()))
    return html


def render(body: str) -> SafeString:
    """The body as HTML: escaped text and a handful of block tags."""
    html: list[str] = []
    for block in re.split(r"\n\s*\n", (body or "").replace("\r\n", "\n").strip()):
        html.extend(_block([line for line in block.split("\n") if line.strip()]))
    return mark_safe("".join(html))  # noqa: S308 -- built from escaped text and fixed tags only


def plain(body: str) -> str:
    """The body's words without list markers, heading marks or bold stars (for snippets)."""
    lines = []
    for line in (body or "").replace("\r\n", "\n").split("\n"):
        for pattern in (_HEADING_RE, _BULLET_RE, _NUMBER_RE):
            match = pattern.match(line)
            if match:
                line = match.group(1)
                break
        lines.append(line.replace("**", "").strip())
    return " ".join(line for line in lines if line)
