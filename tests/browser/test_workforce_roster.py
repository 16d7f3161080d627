"""Issue 15 in a real browser: HR adds a shift type and rosters a week on the grid (a click on the
palette, clicks on the agent's cells, each saved at once and the coverage strip redrawn), then
publishes; the agent, notified, clocks in late on the clock page and is told so; HR sees the
lateness in the payroll export (the attendance API of the core helper, from HR's session). The database holds the published
shifts and the clock record; no page raised a JavaScript error."""

from __future__ import annotations

import csv
import datetime as dt
import io

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, log_in, wait_until


def test_hr_rosters_a_week_the_agent_clocks_in_late_and_hr_sees_it(walk, new_page):
    from django.utils import timezone

    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.notifications.models import Notification
    from apps.workforce.models import ClockEvent, Shift
    from apps.workforce.selectors.policy import tenant_zone

    hr_email = "hr@walk.test"

    def setup():
        User.objects.create_user(hr_email, PASSWORD, name="Hana HR", roles=[Role.HR])
        zone = tenant_zone()
        begins = (timezone.now() - dt.timedelta(minutes=30)).astimezone(zone).replace(second=0, microsecond=0)
        return begins, User.objects.get(email=walk.agent_email).pk

    begins, agent_id = walk.read(setup)
    ends = begins + dt.timedelta(hours=8)
    day = begins.date()

    hr = new_page()
    log_in(hr, hr_email, "/workforce/shift-types/")
    hr.get_by_label("Code").fill("E")
    hr.get_by_label("Name").fill("Early")
    hr.get_by_label("Starts").fill(begins.strftime("%H:%M"))
    hr.get_by_label("Ends").fill(ends.strftime("%H:%M"))
    hr.get_by_label("Unpaid break (minutes)").fill("30")
    hr.get_by_role("button", name="Add").click()
    expect(hr.locator('tr[data-shift-type="E"]')).to_be_visible()

    hr.goto(f"/workforce/roster/?start={day.isoformat()}&day={day.isoformat()}")
    expect(hr.locator("#wf-roster")).to_have_attribute("data-editable", "")
    hr.locator('#wf-palette [data-brush]:not([data-brush=""])', has_text="E").click()
    today_cell = hr.locator(f'#wf-roster td[data-user="{agent_id}"][data-date="{day.isoformat()}"]')
    next_day = day + dt.timedelta(days=1)
    next_cell = hr.locator(f'#wf-roster td[data-user="{agent_id}"][data-date="{next_day.isoformat()}"]')
    today_cell.click()
    expect(today_cell).to_have_text("E")
    expect(today_cell).to_have_class("wf-cell wf-draft")
    slot = begins.hour * 2 + (1 if begins.minute >= 30 else 0) + 2  # an hour in: on queue
    if slot < 48:
        expect(hr.locator(f'#wf-coverage [data-scheduled="{slot}"]')).to_have_text("1")
    next_cell.click()
    expect(next_cell).to_have_text("E")
    hr.locator("#wf-publish").click()
    dialog = hr.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("button.confirm-ok").click()
    expect(hr.locator(".messages")).to_contain_text("published")

    def published():
        shifts = Shift.objects.filter(user_id=agent_id, status="published").order_by("date")
        told = Notification.objects.filter(user_id=agent_id, kind="workforce.roster_published").exists()
        return [s.date for s in shifts], told

    assert wait_until(lambda: walk.read(published) == ([day, next_day], True) or None, "the published roster")

    agent = new_page()
    log_in(agent, walk.agent_email, "/workforce/clock/")
    agent.locator("#wf-clock-in").click()
    expect(agent.locator(".messages")).to_contain_text("Late:")
    expect(agent.locator("#wf-clock-out")).to_be_visible()
    assert walk.read(lambda: ClockEvent.objects.filter(user_id=agent_id, kind="in").count()) == 1

    # The export as HR's browser downloads it (its session; the page's fetch uses the browser's
    # host mapping, which Playwright's own request context does not).
    export = hr.evaluate(
        "url => fetch(url, {credentials: 'same-origin'}).then(r => r.text())",
        f"/api/v1/workforce/attendance?month={day:%Y-%m}&format=csv",
    )
    rows = [r for r in csv.DictReader(io.StringIO(export.lstrip("\ufeff"))) if r["email"] == walk.agent_email]
    assert rows and rows[0]["late_count"] == "1" and int(rows[0]["late_minutes"]) >= 39

    assert hr.js_errors == [] and agent.js_errors == []
