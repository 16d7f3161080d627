"""Agent scripts of inbound queues: the text the desk shows for a call from a queue, with the
caller's data filled in (plain Python, no queries: the callers hand in the values).

The syntax is the campaign scripts' (``{{contact.field}}``, apps/telephony/services/campaigns/
lifecycle.py) with three namespaces:

* ``{{customer.name}}``, ``{{customer.vip_level}}``, ``{{customer.tags}}`` and
  ``{{customer.<custom field key>}}`` — the CRM customer the caller's number matches, **as the
  agent's roles see it**: the values come from the agent's screen pop, so a sensitive field is
  masked (``1101**********1234``) and a field the agent may not see renders empty;
* ``{{ivr.<variable>}}`` — a variable the IVR stored for the call (gathered digits, an HTTP
  lookup's result);
* ``{{call.caller}}``, ``{{call.queue}}`` — the number calling and the queue's name.

An unknown name renders empty (the caller may not be a customer, the IVR may have taken another
branch). The result is **plain text**: values are inserted in one pass (a value that looks like a
placeholder stays as it is), and whoever shows it escapes it — the desk sets ``textContent``, the
preview goes through the template's autoescape (:func:`render_html`). Nothing in a value can
become markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

SCRIPT_MAX = 5000
VALUE_MAX = 500  # one value's characters in a rendered script
NAMESPACES = ("customer", "ivr", "call")
CUSTOMER_STANDARD = ("name", "vip_level", "tags")
CALL_FIELDS = ("caller", "queue")

PLACEHOLDER_RE = re.compile(r"{{(.*?)}}", re.DOTALL)
VARIABLE_RE = re.compile(r"^\s*(customer|ivr|call)\.([A-Za-z_][A-Za-z0-9_]*)\s*$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Values = dict[str, dict[str, str]]


def script_errors(script: str) -> list[str]:
    """Messages for a script that cannot be saved: too long, or a placeholder that is not
    ``{{customer.x}}``, ``{{ivr.x}}`` or ``{{call.caller|queue}}``."""
    script = script or ""
    errors = []
    if len(script) > SCRIPT_MAX:
        errors.append(_("At most %(n)d characters.") % {"n": SCRIPT_MAX})
    for match in PLACEHOLDER_RE.finditer(script):
        variable = VARIABLE_RE.match(match.group(1))
        if variable is None or (variable.group(1) == "call" and variable.group(2) not in CALL_FIELDS):
            errors.append(
                _("Unknown placeholder %(p)s: write {{customer.field}}, {{ivr.variable}} or {{call.caller}}.")
                % {"p": match.group(0)[:60]}
            )
            break
    return errors


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(item) for item in value if item is not None)
    return _CONTROL_RE.sub("", str(value))[:VALUE_MAX]


def script_values(
    *,
    customer: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    caller: str = "",
    queue_name: str = "",
) -> Values:
    """The values a script may use. ``customer`` is a screen pop (apps/crm/selectors/customers.py
    ``screen_pop``: its ``custom_fields`` already masked or left out for the viewer's roles)."""
    customer_values: dict[str, str] = {}
    if customer:
        for item in customer.get("custom_fields") or ():
            customer_values[str(item.get("key"))] = _text(item.get("value"))
        for name in CUSTOMER_STANDARD:  # custom fields never shadow the standard ones
            customer_values[name] = _text(customer.get(name))
    return {
        "customer": customer_values,
        "ivr": {str(name): _text(value) for name, value in (variables or {}).items()},
        "call": {"caller": _text(caller), "queue": _text(queue_name)},
    }


def render(script: str, values: Values) -> str:
    """The script as plain text, every placeholder replaced in one pass (unknown ones by "")."""
    if not script:
        return ""

    def replace(match: re.Match) -> str:
        variable = VARIABLE_RE.match(match.group(1))
        if variable is None:
            return match.group(0)
        return values.get(variable.group(1), {}).get(variable.group(2), "")

    return PLACEHOLDER_RE.sub(replace, script)


def render_html(script: str, values: Values) -> SafeString:
    """:func:`render` as HTML paragraphs for a page: every character escaped, line breaks kept."""
    return SafeString(linebreaks(escape(render(script, values))))


def queue_script_render(
    script: str,
    *,
    customer: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    caller: str = "",
    queue_name: str | None = "",
) -> str:
    """:func:`render` of ``script`` with :func:`script_values` of the rest."""
    return render(
        script, script_values(customer=customer, variables=variables, caller=caller, queue_name=queue_name or "")
    )


def ivr_variables(call: Any) -> dict[str, Any]:
    """The variables the IVR stored for an engine call (``CallState``): the IVR session's
    (apps/telephony/ivr/runner.py ``IvrSession.variables``), as JSON-safe scalars."""
    source = getattr(call, "ivr_variables", None)
    if source is None and getattr(call, "ivr", None) is not None:
        source = getattr(call.ivr, "variables", None)
    if not isinstance(source, Mapping):
        return {}
    return {
        str(name): value if value is None or isinstance(value, (str, int, float, bool)) else str(value)
        for name, value in source.items()
    }
