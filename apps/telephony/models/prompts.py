"""Prompt audio a tenant uploads: the sound an IVR node (or a system prompt) plays to callers."""

from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.telephony.choices import PromptStatus


def prompt_file_path(instance: Prompt, filename: str) -> str:
    """``tenants/<schema>/prompts/<name>-<timestamp>.wav``: a replaced file gets a new name, so a
    cached copy of the old audio is never served for the new one."""
    schema = connection.schema_name  # type: ignore[attr-defined]  # set by django-tenants
    return f"tenants/{schema}/prompts/{instance.name}-{timezone.now():%Y%m%d%H%M%S%f}.wav"


def prompt_upload_path(instance: Prompt, filename: str) -> str:
    """``tenants/<schema>/prompts/uploads/…``: an upload waiting for the worker to convert it."""
    schema = connection.schema_name  # type: ignore[attr-defined]  # set by django-tenants
    return f"tenants/{schema}/prompts/uploads/{instance.name}-{timezone.now():%Y%m%d%H%M%S%f}.upload"


class Prompt(models.Model):
    """A named prompt: the uploaded audio converted to 8 kHz mono 16-bit PCM WAV (what rtpengine
    plays). A name such as ``hold_music`` or ``queue.position`` replaces the built-in tone."""

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=200, blank=True)
    file = models.FileField(_("file"), upload_to=prompt_file_path, max_length=300)
    original_filename = models.CharField(_("original file name"), max_length=255, blank=True)
    duration_seconds = models.FloatField(_("duration (s)"), default=0)
    # The upload is decoded by a Celery worker, not the web request: until then the previous
    # audio (if any) keeps playing. ``pending_file`` is the raw upload; the task clears it.
    status = models.CharField(_("status"), max_length=16, choices=PromptStatus.choices, default=PromptStatus.READY)
    pending_file = models.FileField(
        _("upload being converted"), upload_to=prompt_upload_path, max_length=300, blank=True
    )
    error_message = models.CharField(_("why the last upload was refused"), max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(_("conversion attempts"), default=0)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("prompt")
        verbose_name_plural = _("prompts")
        constraints = [models.UniqueConstraint(fields=["name"], name="prompt_name_uniq")]

    def __str__(self) -> str:
        return self.name
