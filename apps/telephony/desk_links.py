"""Links the agent desk shows beside the call on it, added by departments.

The seam through which a department puts a step of its own next to the call (CRM: "New ticket")
without telephony knowing the department: it registers a :class:`DeskCallLink` from its
``AppConfig.ready``; the desk lists the links its user's roles allow, and static/js/desktop.js
adds the call's ID to each (``?<param>=<call uid>``) while a call is on the desk. A link whose URL
name does not resolve on this host is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class DeskCallLink:
    label: str | Promise
    url_name: str
    param: str = "call"
    roles: tuple[str, ...] = ()  # empty: every desk user


_links: dict[str, DeskCallLink] = {}


def register_desk_call_link(link: DeskCallLink) -> None:
    """Add (or replace, by URL name) a link; called from an AppConfig.ready."""
    _links[link.url_name] = link


def desk_call_links(user) -> list[dict[str, str]]:
    """``[{"label", "url", "param"}]`` for ``user``, in the order they were registered."""
    found = []
    for link in _links.values():
        if link.roles and not user.has_role(*link.roles):
            continue
        try:
            url = reverse(link.url_name)
        except NoReverseMatch:
            continue
        found.append({"label": str(link.label), "url": url, "param": link.param})
    return found
