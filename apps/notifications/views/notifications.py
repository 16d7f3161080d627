"""The notifications page (/notifications/): one person's own, newest first; mark read, open.

Every signed-in user has one. Opening a notification is a POST (it marks it read, then goes to its
link), so a GET never writes.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.notifications.selectors.notifications import notification_of, notifications_of, unread_count
from apps.notifications.services import notification_mark_read, notifications_mark_all_read

PAGE_SIZE = 50


class NotificationFilterForm(forms.Form):
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("All")), ("unread", _("Unread")), ("read", _("Read"))],
    )


@login_required
def notifications(request):
    form = NotificationFilterForm(request.GET or None)
    show = form.cleaned_data.get("show") if form.is_valid() else ""
    unread = {"unread": True, "read": False}.get(show or "")
    page = Paginator(notifications_of(request.user, unread=unread), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": form,
        "page": page,
        "unread": unread_count(request.user.pk),
        "query": f"show={show}" if show else "",
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = notification_of(request.user, pk)
    if notification is None:
        raise Http404
    notification_mark_read(notification=notification, user=request.user)
    return redirect(_back(request))


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark read and go to the notification's link (a path on this host; none: back to the list)."""
    notification = notification_of(request.user, pk)
    if notification is None:
        raise Http404
    notification_mark_read(notification=notification, user=request.user)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def notifications_read_all(request):
    notifications_mark_all_read(user=request.user)
    return redirect(_back(request))


def _back(request) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "notifications:list"
