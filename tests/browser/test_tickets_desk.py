"""Tickets in a real browser (issue 17 item 6): the agent takes a call, looks the customer's
question up in the desk's knowledge-base card in Chinese and opens the answer beside the call,
then opens a ticket from the call in two clicks (the desk's New ticket, then Create ticket); the ticket misses its first-response target, is supervised
and escalated, and the supervisor sees it on the list (red) and on its page, and is notified."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from apps.crm.models import KbUsage, Ticket
from apps.crm.services import tickets_sla_sweep
from apps.crm.services.kb import article_create
from apps.notifications.models import Notification
from tests.browser.conftest import VIP_NAME, VIP_NUMBER, log_in, wait_until


def test_a_ticket_from_the_call_misses_its_target_and_reaches_the_supervisor(walk, engine, new_page):
    invoice = walk.read(
        lambda: (
            article_create(
                actor=None,
                title="电子发票怎么开具",
                body="在“我的订单”中选择订单，点击“开具发票”，电子发票24小时内发送到邮箱。",
                language="zh-hans",
            ).pk
        )
    )
    status, body = walk.api("POST", "agents/me/state", token=walk.token(walk.agent_email), body={"state": "offline"})
    assert status == 200, body
    desk = new_page()
    log_in(desk, walk.agent_email, "/desk/")
    desk.get_by_label("Seat").select_option(walk.seat)
    desk.locator("#login-form").get_by_role("button", name="Log in").click()
    desk.get_by_role("button", name="Ready", exact=True).click()
    expect(desk.locator("#desk-state")).to_have_text("Ready")

    uid = engine.inject(VIP_NUMBER)
    desk.get_by_role("button", name="Answer").click()
    expect(desk.locator("#panel-call")).to_be_visible()

    # The customer asks for an invoice: the agent searches the KB card in Chinese, beside the call.
    desk.locator("#kb-panel-q").fill("我要开发票")
    desk.locator(".kb-panel-search").get_by_role("button", name="Search").click()
    answer = desk.locator(f'#kb-panel-results a[href^="/kb/panel/articles/{invoice}/"]')
    expect(answer).to_be_visible()
    expect(answer.locator("mark").first).to_be_visible()  # the matched words are highlighted
    answer.click()
    expect(desk.locator("#kb-panel-article")).to_contain_text("电子发票24小时内发送到邮箱")
    wait_until(
        lambda: walk.read(lambda: KbUsage.objects.filter(article_id=invoice, kind="view", call_uid=uid).exists()),
        "the answer opened during the call counted with it",
    )

    link = desk.locator("#panel-pop [data-call-link]")
    expect(link).to_have_text("New ticket")
    expect(link).to_have_attribute("href", f"/tickets/new/?call={uid}")

    # Click one: the form opens in its own tab, the desk keeps the call.
    with desk.context.expect_page() as opened:
        link.click()
    form = opened.value
    form.wait_for_load_state()
    expect(form.locator("#ticket-customer")).to_contain_text(VIP_NAME)
    expect(form.locator("#ticket-call")).to_contain_text(VIP_NUMBER)
    expect(form.get_by_label("Title")).to_have_value(f"Call from {VIP_NUMBER}")
    # Click two.
    form.get_by_role("button", name="Create ticket").click()
    expect(form.locator("#ticket-number")).to_contain_text("T-")
    ticket = walk.read(lambda: Ticket.objects.select_related("customer").get(calls__uid=uid))
    assert ticket.customer.name == VIP_NAME
    assert ticket.status == "received"
    expect(desk.locator("#panel-call")).to_be_visible()
    desk.get_by_role("button", name="Hang up").click()
    expect(desk.locator("#panel-wrapup")).to_be_visible()
    desk.locator("#wrapup-form").get_by_role("button", name="Finish wrap-up").click()

    # Nobody answers it in time: the sweep marks it missed, supervises and escalates it.
    walk.read(lambda: tickets_sla_sweep(now=ticket.first_response_due + dt.timedelta(minutes=1)))
    ticket = walk.read(lambda: Ticket.objects.get(pk=ticket.pk))
    assert (ticket.breached, ticket.status, ticket.escalation_level) == (True, "supervised", 1)
    escalated_to = walk.read(
        lambda: set(Notification.objects.filter(kind="ticket.escalated").values_list("user__email", flat=True))
    )
    assert walk.supervisor_email in escalated_to

    boss = new_page()
    log_in(boss, walk.supervisor_email, "/tickets/?breached=true")
    row = boss.locator(f'tr[data-ticket="{ticket.pk}"]')
    expect(row).to_contain_text(ticket.number)
    expect(row.locator(".ticket-breached")).to_have_text("Missed")
    expect(row.locator(".ticket-status")).to_have_text("Supervised")
    row.get_by_role("link", name=ticket.number).click()
    expect(boss.locator("#ticket-escalation")).to_have_text("Supervisors")
    expect(boss.locator(".ticket-timeline")).to_contain_text("Escalated")
    expect(boss.locator(".ticket-timeline")).to_contain_text("automatically, the target was missed")
    # The supervisor hands it to the agent.
    boss.locator("details:has(form[data-action='assign'])").locator("summary").click()
    agent_name = walk.read(
        lambda: Ticket.objects.select_related("created_by").get(pk=ticket.pk).created_by.get_full_name()
    )
    boss.get_by_label("Person").select_option(label=agent_name)
    boss.locator("form[data-action='assign']").get_by_role("button", name="Assign").click()
    expect(boss.locator("#ticket-assignee")).not_to_have_text("—")
    wait_until(lambda: walk.read(lambda: Ticket.objects.get(pk=ticket.pk).status) == "assigned", "the ticket assigned")
