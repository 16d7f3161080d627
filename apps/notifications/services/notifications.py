"""Telling people that something concerns them: stored, pushed to their open pages, e-mailed.

Every department calls :func:`notify` (QA when an evaluation is submitted or a dispute decided,
later workforce, tickets and training). It is the one place that knows the three channels:

- a :class:`Notification` row per recipient (the bell's count and the notifications page);
- a ``notification.new`` message on the recipient's own socket topic, after the commit
  (``/ws/notifications/``, docs/realtime.md): the bell updates and a toast appears on any page;
- an e-mail, after the commit, through a Celery task (a slow mail server never holds a request).

The texts are written **in each recipient's language**: the caller passes translatable strings
(``gettext_lazy``) and ``params``, and each recipient's copy is rendered under
``translation.override`` of their own language (else the company's default), so an English lead
and a Chinese agent each read their own. An e-mail failure never undoes the notification: the
row is kept and ``emailed_at`` stays empty (the task retries a few times).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.audit.context import current_request
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.events import publish_on_commit
from apps.core.tenancy import current_schema, current_tenant
from apps.notifications.models import Notification
from apps.notifications.selectors.notifications import unread_count
from apps.tenants.domains import tenant_domain

Text = str | Promise
TITLE_MAX = 200
# Kinds are dotted codes chosen by the sending department: "<app>.<what happened>".
KIND_MAX = 64


def notifications_topic(user_id: int) -> str:
    """The realtime topic of one person's notifications (a group per tenant and user)."""
    return f"notifications.{user_id}"


def user_language(user: User) -> str:
    """The language a person reads: their own choice, else the company's default."""
    tenant = current_tenant()
    return user.language or getattr(tenant, "default_language", "") or settings.LANGUAGE_CODE


def render(text: Text, params: Mapping[str, Any] | None, language: str) -> str:
    """``text`` (lazy or plain, with ``%(name)s`` placeholders) written in ``language``."""
    with translation.override(language):
        values = {key: str(value) if isinstance(value, Promise) else value for key, value in (params or {}).items()}
        written = str(text)
        return written % values if values else written


def iso_ms(moment: datetime) -> str:
    """The realtime format of every timestamp (docs/realtime.md): UTC, milliseconds, "Z"."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def notification_payload(notification: Notification) -> dict[str, Any]:
    """The fields a client shows: the API's item and the realtime message share them."""
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "created_at": iso_ms(notification.created_at),
        "read": notification.read_at is not None,
    }


def _base_url() -> str:
    """Where links in e-mails point: the host of the request being served, else the company's
    own host (Celery, the engine)."""
    request = current_request()
    if request is not None:
        return f"{request.scheme}://{request.get_host()}"
    tenant = current_tenant()
    scheme = "https" if getattr(settings, "SECURE_SSL_REDIRECT", False) else "http"
    slug = str(getattr(tenant, "slug", "") or "")
    host = tenant_domain(slug) if slug else ""
    return f"{scheme}://{host}" if host else ""


@transaction.atomic
def notify(
    *,
    users: Iterable[User],
    kind: str,
    title: Text,
    body: Text = "",
    url: str = "",
    params: Mapping[str, Any] | None = None,
    email: bool = True,
) -> list[Notification]:
    """Notify each of ``users`` (duplicates and inactive users are skipped) and return the rows.

    ``title`` and ``body`` are translatable texts with ``%(name)s`` placeholders filled from
    ``params``; ``url`` is a path on the company's host (``/qa/mine/12/``). Realtime messages and
    e-mails leave only once the caller's transaction commits.
    """
    if not kind or len(kind) > KIND_MAX or "." not in kind:
        raise ApplicationError("invalid", _("A notification kind is a dotted code."), fields={"kind": [kind]})
    if url and not url.startswith("/"):
        raise ApplicationError("invalid", _("A notification links to a path on this host."), fields={"url": [url]})
    recipients: dict[int, User] = {}
    for user in users:
        if user is not None and user.pk is not None and user.is_active:
            recipients.setdefault(user.pk, user)
    if not recipients:
        return []
    now = timezone.now()
    rows = []
    for user in recipients.values():
        language = user_language(user)
        rows.append(
            Notification(
                user=user,
                kind=kind,
                title=render(title, params, language)[:TITLE_MAX],
                body=render(body, params, language) if body else "",
                url=url,
                created_at=now,
            )
        )
    created = Notification.objects.bulk_create(rows)
    for notification in created:
        message = {
            "type": "notification.new",
            **notification_payload(notification),
            "unread": unread_count(notification.user_id),
        }
        publish_on_commit(notifications_topic(notification.user_id), message)
    mailed = [n.pk for n in created if email and recipients[n.user_id].email]
    if mailed:
        base_url, schema = _base_url(), current_schema()
        transaction.on_commit(lambda: _send_later(schema, mailed, base_url), robust=True)
    return created


def _send_later(schema: str, ids: list[int], base_url: str) -> None:
    """Queue the e-mails in the notifying tenant's schema (the task carries it in its headers),
    whatever schema the connection is on when the commit hooks run."""
    from apps.notifications.tasks import notifications_email_task  # noqa: PLC0415 -- tasks import this module

    with schema_context(schema):
        notifications_email_task.delay(ids, base_url)


def notifications_email(*, ids: list[int], base_url: str = "") -> int:
    """E-mail the notifications ``ids`` not e-mailed yet, each in its recipient's language;
    returns how many were sent. Run by the Celery task (late-acknowledged, so possibly twice:
    ``emailed_at`` is set per row, right after its message left)."""
    sent = 0
    pending = Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).select_related("user")
    for notification in pending.order_by("pk"):
        user = notification.user
        if not user.email or not user.is_active:
            continue
        with translation.override(user_language(user)):
            parts = [notification.body] if notification.body else []
            if notification.url:
                parts.append(_("Open it here: %(link)s") % {"link": f"{base_url}{notification.url}"})
            parts.append(
                _(
                    "You receive this e-mail because it concerns you in the contact center; it is also on your notifications page."
                )
            )
            send_mail(
                subject=notification.title,
                message="\n\n".join(parts) + "\n",
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[user.email],
            )
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def _publish_read(user_id: int, ids: list[int]) -> None:
    publish_on_commit(
        notifications_topic(user_id),
        {"type": "notification.read", "ids": ids, "unread": unread_count(user_id)},
    )


@transaction.atomic
def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark one of ``user``'s notifications read (again: no change). Another person's is refused
    as unknown, never as forbidden (its existence is not theirs to learn)."""
    if notification.user_id != user.pk:
        raise NotFoundError("not_found", _("No such notification."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
        _publish_read(user.pk, [notification.pk])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    ids = list(unread.values_list("pk", flat=True))
    if ids:
        Notification.objects.filter(pk__in=ids).update(read_at=timezone.now())
        _publish_read(user.pk, ids)
    return len(ids)
