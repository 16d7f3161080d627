"""Template helpers for the audit page."""

from __future__ import annotations

import json

from django import template

register = template.Library()


@register.filter
def audit_json(value) -> str:
    """``before``/``after``/``details`` as compact JSON (Chinese shown as is), for a <code> cell;
    autoescaping still applies to the result."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
