"""Tests of pages whose zh-Hans strings still wait in ``locale/pending/<name>.po`` (the
integrator merges them into ``locale/zh_Hans`` later): compile the fragment into a temporary
catalog ahead of the project's, for the test's duration. Once merged (and the fragment gone) this
changes nothing, so the tests keep passing on the merged catalog."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polib
from django.conf import settings
from django.test import override_settings

PENDING = Path(__file__).resolve().parents[1] / "locale" / "pending"


@contextlib.contextmanager
def pending_translations(*names: str) -> Iterator[None]:
    """LOCALE_PATHS with the named fragments first (Django merges LOCALE_PATHS, the first wins)."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "zh_Hans" / "LC_MESSAGES"
        target.mkdir(parents=True)
        catalog = polib.POFile()
        catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=1; plural=0;"}
        for name in names:
            path = PENDING / f"{name}.po"
            if path.exists():
                catalog.extend(polib.pofile(str(path)))
        catalog.save_as_mofile(str(target / "django.mo"))
        # Setting LOCALE_PATHS resets Django's translation caches (django.test.signals).
        with override_settings(LOCALE_PATHS=[Path(folder), *settings.LOCALE_PATHS]):
            yield
