"""Issue 4's walk-through in a real browser: an administrator creates a campaign and imports its
contact list through the console pages, starts it, the agent's desk gets the outbound call with
the contact's card and the rendered script, the agent disposes it in wrap-up, and the supervisor's
monitor follows live. The live server, the engine and the tenant ``walk`` come from conftest.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from apps.telephony.models import Campaign, Contact, ContactList, DialAttempt, ScheduledCallback
from tests.browser.conftest import SLUG, log_in, wait_until
from tests.conftest import PASSWORD

SHOTS = Path("/work/notes/shots")


def console_errors(page) -> list[str]:
    """Console errors (SIP.js's among them), beside the page errors conftest collects."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def shot(page, name: str) -> None:
    if SHOTS.parent.is_dir():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True)


def expect_the_desk_of_a_campaign_call(desk, *, name: str, outbound: str) -> None:
    """Issue 12 item 4: the contact by name, outbound wording, the list's own field names."""
    expect(desk.locator("#pop-name")).to_have_text(name)
    expect(desk.locator("#call-status")).to_have_text(outbound)
    expect(desk.locator("#pop-number")).not_to_be_empty()
    expect(desk.locator("#outbound-fields")).to_contain_text("套餐宽带 200M")  # the column's name, not "plan"
    expect(desk.locator("#outbound-fields dt", has_text="plan")).to_have_count(0)
    # No SIP plane here (make run's simulated switch): a neutral note, no softphone.
    expect(desk.locator("#softphone-off")).to_be_visible()
    expect(desk.locator("#softphone")).to_have_count(0)


def expect_one_disposition_control(desk) -> None:
    expect(desk.locator("#wrapup-campaign")).to_be_visible()
    expect(desk.locator("#wrapup-disposition-field")).to_be_hidden()
    expect(desk.locator("#panel-wrapup select:visible, #panel-wrapup .outbound-dispositions:visible")).to_have_count(1)


def expect_a_quiet_event_log(desk, call_uid: str) -> None:
    log = desk.locator("#desk-log").inner_text()
    assert "Sent" not in log and "已发送" not in log and call_uid not in log, log


CONTACTS_CSV = "客户姓名,手机号码,套餐\n李娜,13900139001,宽带 200M\n"


def test_an_outbound_campaign_from_the_console_to_the_desk_and_the_monitor(walk, engine, new_page, tmp_path, settings):
    settings.SOFTPHONE_ENABLED = False  # as `make run` with the simulated switch (Procfile)

    def every_dial_a_quick_live_answer() -> None:
        from apps.telephony.engine.drivers.sim import OutboundBehaviour

        engine.tenant_engine.driver.outbound = OutboundBehaviour(
            answer_rate=1.0, machine_rate=0.0, busy_rate=0.0, ring=(0.5, 1.0), amd_human_seconds=(0.2, 0.4)
        )

    engine.on_loop(every_dial_a_quick_live_answer)

    # The administrator creates the campaign.
    admin = new_page()
    log_in(admin, f"admin@{SLUG}.test", "/console/campaigns/new/")
    admin.get_by_label("Name", exact=True).fill("Broadband renewals")
    admin.get_by_label("Dial mode").select_option("progressive")
    admin.get_by_label("Queue").select_option(str(walk.queue_id))
    admin.get_by_label("Daily window from").fill("00:00")
    admin.get_by_label("Daily window until").fill("23:59")
    admin.get_by_label("Skip Chinese public holidays").uncheck()
    admin.get_by_label("Abandon message").fill("This is Walkthrough Ltd; call us back on 400 800 1000.")
    admin.get_by_label("Agent script").fill("Hello {{contact.name}}, about your {{contact.plan}} plan.")
    admin.locator("#rules tr", has_text="Needs follow-up").locator("select").select_option("retry")
    expect(admin.locator("[data-testid=script-preview]")).to_contain_text("Hello 张伟")
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator(".messages")).to_contain_text("Campaign saved.")

    # …uploads a list, maps its columns (a custom field among them) and imports it.
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(CONTACTS_CSV, encoding="utf-8")
    admin.get_by_label("File (CSV or XLSX)").set_input_files(str(csv_file))
    admin.get_by_role("button", name="Upload", exact=True).click()
    expect(admin.get_by_role("heading", name="Map the columns")).to_be_visible()
    admin.locator("#id_map-target_2").select_option("custom")
    admin.locator("#id_map-key_2").fill("plan")
    admin.get_by_role("button", name="Import").click()
    expect(admin.locator("[data-counter=imported]")).to_have_text("1")
    campaign = walk.read(lambda: Campaign.objects.get(name="Broadband renewals"))

    # The supervisor watches the monitor; the administrator starts the campaign.
    supervisor = new_page()
    log_in(supervisor, walk.supervisor_email, f"/console/campaigns/{campaign.pk}/monitor/")
    expect(supervisor.locator("[data-figure='contacts.remaining']")).to_have_text("1")
    admin.goto(f"/console/campaigns/{campaign.pk}/")
    admin.get_by_role("button", name="Start").click()
    expect(admin.locator(".campaign-status")).to_have_text("Running")

    # The agent goes Ready: the dialer calls the contact and connects the live answer, with the card.
    desk = new_page()
    desk_console = console_errors(desk)
    log_in(desk, walk.agent_email, "/desk/")
    expect(desk.locator("#desk-link")).to_have_text("Live")
    if desk.locator("#panel-login").is_visible():
        desk.get_by_label("Seat").select_option(walk.seat)
        desk.locator("#login-form").get_by_role("button", name="Log in").click()
    desk.get_by_role("button", name="Ready", exact=True).click()
    card = desk.locator("#outbound-call")
    expect(card).to_be_visible()
    expect(desk.locator("#outbound-name")).to_have_text("李娜")
    expect(desk.locator("#outbound-script")).to_have_text("Hello 李娜, about your 宽带 200M plan.")
    expect(desk.locator("#outbound-campaign")).to_have_text("Broadband renewals")
    expect(desk.locator("#outbound-fields")).to_contain_text("Phone number+8613900139001")
    # The contact is already on the line: the engine connects the agent without a ringing phone.
    expect(desk.locator("#desk-state")).to_have_text("Talking")
    expect_the_desk_of_a_campaign_call(desk, name="李娜", outbound="Outbound call")
    shot(desk, "i2-desk-campaign-call-en.png")
    expect(supervisor.locator("#monitor-link")).to_have_text("Live")
    # Started from another page: the monitor's status and buttons follow.
    expect(supervisor.locator("#monitor-status")).to_have_text("Running")
    expect(supervisor.locator("#monitor-actions").get_by_role("button", name="Pause")).to_be_visible()

    # Wrap-up: the campaign's dispositions with their meaning; "Needs follow-up" retries here.
    desk.get_by_role("button", name="Hang up").click()
    expect(desk.locator("#outbound-wrapup")).to_be_visible()
    expect_one_disposition_control(desk)
    desk.locator("#outbound-dispositions").get_by_role("button", name="Needs follow-up").click()
    expect(desk.locator("#wrapup-disposition")).to_have_value("follow_up")
    expect(desk.locator("#outbound-disposition-meaning")).to_contain_text("retry")
    # The callback's time is a field of ours in ISO order (decision 0021), tomorrow at 10:00 by
    # default, read as the browser's local time.
    callback_at = desk.locator("#callback-at")
    expect(callback_at).to_have_attribute("type", "text")
    expect(callback_at).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2} 10:00$"))
    shanghai = ZoneInfo("Asia/Shanghai")  # the browser's time zone (new_page)
    day = (datetime.now(shanghai) + timedelta(days=2)).date()
    callback_at.fill(f"{day.isoformat()} 10:30")
    desk.locator("#callback-form").get_by_role("button", name="Schedule").click()
    callback = wait_until(
        lambda: walk.read(lambda: ScheduledCallback.objects.filter(campaign=campaign).first()), "the callback scheduled"
    )
    assert callback.due_at == datetime(day.year, day.month, day.day, 10, 30, tzinfo=shanghai)
    desk.get_by_role("button", name="Finish wrap-up").click()

    def settled():
        attempt = DialAttempt.objects.select_related("disposition", "contact").filter(campaign=campaign).first()
        return attempt if attempt and attempt.disposition and attempt.outcome else None

    attempt = wait_until(lambda: walk.read(settled), "the attempt disposed")
    assert (attempt.outcome, attempt.disposition.code) == ("answered", "follow_up")
    assert walk.read(lambda: Contact.objects.get(pk=attempt.contact_id).status) == "retry"
    expect(supervisor.locator("[data-figure=live_answers_today]")).to_have_text("1")
    expect_a_quiet_event_log(desk, attempt.call_uid)

    # The call page, from the agent's own calls: titled by the contact, a timeline in words.
    desk.goto(f"/calls/{attempt.call_uid}/")
    expect(desk.locator("h1")).to_contain_text("李娜")
    expect(desk.locator("h1")).to_contain_text("+8613900139001")
    timeline = desk.locator(".timeline")
    expect(timeline).to_contain_text("Broadband renewals")
    expect(timeline).to_contain_text("Needs follow-up")
    assert "None" not in timeline.inner_text() and "_id" not in timeline.inner_text()
    shot(desk, "i2-call-page-en.png")
    assert admin.js_errors == [] and desk.js_errors == [] and supervisor.js_errors == []
    assert desk_console == [], desk_console


def test_preview_mode_shows_the_next_contact_to_dial_or_skip(walk, engine, new_page):
    from apps.telephony.services.campaigns.lifecycle import campaign_create, campaign_start

    def preview_campaign():
        campaign = campaign_create(
            name="Preview visits",
            dial_mode="preview",
            queue=walk.queue_id,
            window_start="00:00",
            window_end="23:59",
            skip_holidays=False,
            script="Good morning {{contact.name}}",
        )
        first = Contact.objects.create(
            campaign=campaign, name="王伟", phone="+8613900139011", time_zone="Asia/Shanghai"
        )
        second = Contact.objects.create(
            campaign=campaign, name="赵敏", phone="+8613900139012", time_zone="Asia/Shanghai"
        )
        campaign_start(campaign=campaign)
        return first.pk, second.pk

    status, body = walk.api("POST", "agents/me/state", token=walk.token(walk.agent_email), body={"state": "offline"})
    assert status == 200, body
    first_id, second_id = walk.read(preview_campaign)
    desk = new_page()
    log_in(desk, walk.agent_email, "/desk/")
    expect(desk.locator("#panel-login")).to_be_visible()
    desk.get_by_label("Seat").select_option(walk.seat)
    desk.locator("#login-form").get_by_role("button", name="Log in").click()
    expect(desk.locator("#desk-state")).to_have_text("Not ready")
    desk.get_by_role("button", name="Ready", exact=True).click()

    preview = desk.locator("#outbound-preview")
    expect(preview).to_be_visible()
    expect(desk.locator("#preview-name")).to_have_text("王伟")
    expect(desk.locator("#preview-script")).to_have_text("Good morning 王伟")
    preview.get_by_role("button", name="Skip").click()
    expect(desk.locator("#preview-name")).to_have_text("赵敏")
    preview.get_by_role("button", name="Dial").click()
    expect(desk.locator("#desk-state")).to_have_text("Talking")
    expect(desk.locator("#outbound-name")).to_have_text("赵敏")
    expect(preview).to_be_hidden()
    desk.get_by_role("button", name="Hang up").click()
    desk.get_by_role("button", name="Finish wrap-up").click()

    # The skipped contact was never dialled (the engine holds it back a minute before it returns).
    assert not walk.read(lambda: DialAttempt.objects.filter(contact_id=first_id).exclude(outcome="").exists())
    attempt = wait_until(
        lambda: walk.read(lambda: DialAttempt.objects.filter(contact_id=second_id).exclude(outcome="").first()),
        "the previewed contact's attempt reported",
    )
    assert attempt.outcome == "answered"
    assert desk.js_errors == []


def test_the_desk_during_a_campaign_call_in_chinese(walk, engine, new_page, settings):
    """The same desk in the company's language: 呼出, the contact's name, one disposition control."""
    from apps.telephony.services.campaigns.lifecycle import campaign_create, campaign_start

    settings.SOFTPHONE_ENABLED = False

    def every_dial_a_quick_live_answer() -> None:
        from apps.telephony.engine.drivers.sim import OutboundBehaviour

        engine.tenant_engine.driver.outbound = OutboundBehaviour(
            answer_rate=1.0, machine_rate=0.0, busy_rate=0.0, ring=(0.5, 1.0), amd_human_seconds=(0.2, 0.4)
        )

    engine.on_loop(every_dial_a_quick_live_answer)
    status, body = walk.api("POST", "agents/me/state", token=walk.token(walk.agent_email), body={"state": "offline"})
    assert status == 200, body

    def chinese_campaign() -> int:
        campaign = campaign_create(
            name="宽带续约",
            dial_mode="progressive",
            queue=walk.queue_id,
            window_start="00:00",
            window_end="23:59",
            skip_holidays=False,
            script="您好，{{contact.name}}，关于您的 {{contact.plan}} 套餐。",
            abandon_message="这里是 Walkthrough 公司，请回拨 400 800 1000。",
        )
        listed = ContactList.objects.create(
            campaign=campaign,
            name="续约名单.csv",
            file="x.csv",
            file_format="csv",
            columns=["客户姓名", "手机号码", "套餐"],
            mapping={"客户姓名": "name", "手机号码": "phone", "套餐": "custom.plan"},
            status="done",
        )
        Contact.objects.create(
            campaign=campaign,
            contact_list=listed,
            name="陈静",
            phone="+8613900139021",
            time_zone="Asia/Shanghai",
            data={"plan": "宽带 200M"},
        )
        campaign_start(campaign=campaign)
        return campaign.pk

    desk = new_page()
    desk.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": walk.base_url}])
    desk_console = console_errors(desk)
    desk.goto("/desk/")  # the login page in Chinese: its fields by name, not by their English labels
    desk.locator("input[name=username]").fill(walk.agent_email)
    desk.locator("input[name=password]").fill(PASSWORD)
    desk.locator("form button[type=submit], form button").last.click()
    desk.wait_for_url(lambda url: url.rstrip("/").endswith("/desk"))
    expect(desk.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(desk.locator("#panel-login")).to_be_visible()
    desk.locator("#login-seat").select_option(walk.seat)
    desk.locator("#login-form button").click()
    expect(desk.locator("#btn-ready")).to_be_enabled()
    campaign_id = walk.read(chinese_campaign)
    desk.locator("#btn-ready").click()

    expect(desk.locator("#outbound-call")).to_be_visible()
    expect_the_desk_of_a_campaign_call(desk, name="陈静", outbound="呼出")
    expect(desk.locator("#panel-call")).not_to_contain_text("来电")
    shot(desk, "i2-desk-campaign-call-zh.png")

    desk.locator("#btn-hangup").click()
    expect_one_disposition_control(desk)
    desk.locator("#outbound-dispositions button").first.click()
    shot(desk, "i2-desk-campaign-wrapup-zh.png")
    desk.locator("#wrapup-form button.primary").click()

    def disposed():
        attempt = DialAttempt.objects.filter(campaign_id=campaign_id).exclude(disposition=None).first()
        return attempt if attempt and attempt.outcome else None

    attempt = wait_until(lambda: walk.read(disposed), "the attempt disposed")
    expect_a_quiet_event_log(desk, attempt.call_uid)
    desk.goto(f"/calls/{attempt.call_uid}/")
    expect(desk.locator("h1")).to_contain_text("陈静")
    expect(desk.locator(".timeline")).to_contain_text("宽带续约")
    shot(desk, "i2-call-page-zh.png")
    assert desk.js_errors == [] and desk_console == [], (desk.js_errors, desk_console)
