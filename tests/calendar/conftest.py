from __future__ import annotations

import datetime as dt

import pytest

from apps.calendar import selectors


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Writes in a test are rolled back; the process cache must not keep them for the next test."""
    selectors.clear_local_cache()
    yield
    selectors.clear_local_cache()


@pytest.fixture
def frozen_today(monkeypatch):
    """``frozen_today(date)`` makes the calendar's "today" that date."""

    def freeze(day: dt.date) -> None:
        monkeypatch.setattr(selectors, "today", lambda: day)

    return freeze
