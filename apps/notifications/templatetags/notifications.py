"""The bell's unread count for the top bar (templates/base.html)."""

from __future__ import annotations

from django import template

from apps.notifications.selectors.notifications import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def notifications_unread(context) -> int:
    """Unread notifications of the signed-in user on a company's host (0 elsewhere: the public
    host has no notifications table)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not context.get("current_tenant"):
        return 0
    return unread_count(user.pk)
