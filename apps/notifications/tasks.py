"""E-mails of notifications, sent after the commit that created them (the tenant schema travels in
the task's headers, tenant-schemas-celery)."""

from __future__ import annotations

from celery import shared_task

from apps.notifications.services.notifications import notifications_email


@shared_task(
    name="notifications.send_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notifications_email_task(ids: list[int], base_url: str = "") -> int:
    """A mail server that is down (OSError: refused, reset, timed out) is retried with back-off;
    rows already e-mailed are skipped on a retry."""
    return notifications_email(ids=ids, base_url=base_url)
