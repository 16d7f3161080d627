"""The audit log speaks of a platform suspension with the console's word: the button says
停用 ("Suspend") and the tenant's status 已停用, so the audit entry may not say 暂停 (which the
product uses for pausing a campaign or an agent)."""

from __future__ import annotations

from pathlib import Path

import polib

from apps.audit.choices import AuditAction

CATALOG = Path(__file__).resolve().parents[2] / "locale/zh_Hans/LC_MESSAGES/django.po"


def _zh(msgid: str, context: str | None = None) -> str:
    for entry in polib.pofile(str(CATALOG)):
        if entry.msgid == msgid and entry.msgctxt == context:
            return entry.msgstr
    raise AssertionError(f"{msgid!r} is not in the catalog")


def test_a_platform_suspension_is_called_as_the_console_calls_it():
    suspended = _zh(str(AuditAction.PLATFORM_TENANT_SUSPENDED.label))
    button, status = _zh("Suspend"), _zh("Suspended")

    assert button in suspended and button in status
    assert "暂停" not in suspended


def test_a_platform_resumption_is_called_as_the_console_calls_it():
    assert _zh("Resume", "tenant") in _zh(str(AuditAction.PLATFORM_TENANT_RESUMED.label))
