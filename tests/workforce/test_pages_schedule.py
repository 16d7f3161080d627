"""The agent's own schedule (/workforce/schedule/) and its iCal feed: published shifts only, the
calendar's days named, an RFC 5545 feed at a secret URL that parses, names only its owner, and
stops working on another company's host or after a password change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from tests.workforce.pages_helpers import login, person, rostered, shift_types


@pytest.fixture
def world(acme):
    ann = person(acme, Role.AGENT, name="Ann, the agent; night")
    types = shift_types(acme)
    today = timezone.localdate()
    published = rostered(acme, ann, types["N"], today + dt.timedelta(days=2))
    draft = rostered(acme, ann, types["D"], today + dt.timedelta(days=3), publish=False)
    return {"ann": ann, "published": published, "draft": draft, "today": today}


def parse_ics(text: str) -> list[dict[str, str]]:
    """A strict reading of RFC 5545: CRLF line ends, folded lines (≤ 75 octets) unfolded, one
    VCALENDAR with VERSION 2.0 and a PRODID, events as property dicts."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    physical = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in physical)
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current or {})
            current = None
        elif current is not None:
            name, _sep, value = line.partition(":")
            current[name] = value
    return events


def feed_path(page: str) -> str:
    url = re.search(r'value="(https?://[^"]+\.ics)"', page)
    assert url
    return url.group(1).split("://", 1)[1].split("/", 1)[1]


def test_the_agent_sees_published_shifts_only(acme, world):
    page = login(acme, world["ann"]).get("/workforce/schedule/", {"month": world["published"].date.strftime("%Y-%m")})
    text = page.content.decode()
    assert page.status_code == 200
    assert f'data-shift="{world["published"].pk}"' in text and "next day" in text  # the night shift
    assert f'data-shift="{world["draft"].pk}"' not in text


def test_the_feed_parses_and_lists_the_published_shifts(acme, world):
    browser = login(acme, world["ann"])
    path = feed_path(browser.get("/workforce/schedule/").content.decode())
    feed = acme.client().get("/" + path)  # no session: the token is the credential
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    events = parse_ics(feed.content.decode())
    assert len(events) == 1
    event = events[0]
    shift = world["published"]
    assert event["UID"] == f"shift-{shift.pk}@{acme.host}"
    assert event["DTSTART"] == shift.start.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert event["DTEND"] == shift.end.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert event["SUMMARY"] == "N Night"
    assert "DTSTAMP" in event


def test_a_wrong_or_foreign_token_finds_nothing(acme, globex, world):
    browser = login(acme, world["ann"])
    path = feed_path(browser.get("/workforce/schedule/").content.decode())
    token = path.rsplit("/", 1)[1]
    assert acme.client().get("/workforce/schedule/feed/" + token.replace(token[-4:], "0000")).status_code == 404
    assert globex.client().get("/" + path).status_code == 404  # the same id on another company's host
    with tenant_context(acme.tenant):
        ann = world["ann"]
        ann.set_password("An0ther-Horse-Battery")
        ann.save()
    assert acme.client().get("/" + path).status_code == 404  # a new password revokes the old link
