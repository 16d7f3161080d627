"""Issue 14 items 5 and 10 in a real browser: the agent has My evaluations open while a QA analyst
scores their call on the player (tests/browser/test_qa_workspace.py's helpers); a toast and the
bell's count arrive over /ws/notifications/ the moment the evaluation is submitted; the toast opens
the evaluation — answers, section scores, the analyst's comment (a click plays the recording from
there) — and the agent acknowledges it. The database holds the acknowledgement and the read
notification; neither page raised a JavaScript error."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import log_in, wait_until
from tests.browser.test_qa_workspace import csp_violations, player_time, qa_scene, score_on_the_player, shot


def test_the_agent_hears_of_the_evaluation_and_acknowledges_it(walk, new_page):
    from apps.notifications.models import Notification
    from apps.qa.models import Evaluation

    scene = qa_scene(walk, uid="walk-qa-agent-1")
    agent = new_page()
    agent_violations = csp_violations(agent)
    log_in(agent, walk.agent_email, "/qa/mine/")
    expect(agent.locator("#my-evaluations")).to_contain_text("No evaluations of your calls yet.")
    expect(agent.locator("#bell [data-unread]")).to_be_hidden()  # nothing unread: the count is not drawn
    wait_until(lambda: agent.locator("#bell").get_attribute("data-unread-count") == "0", "the bell's socket")

    analyst = new_page()
    log_in(analyst, scene.analyst_email, f"/qa/evaluate/{scene.call_uid}/?scorecard={scene.scorecard_id}")
    comment = "Identity check came after the account details"
    at = score_on_the_player(analyst, scene, comment=comment)

    # Over the socket, on the page the agent already had open: a toast and the bell's count.
    toast = agent.locator(".toast-notification")
    expect(toast).to_contain_text("was evaluated: 75.00")
    expect(agent.locator("#bell [data-unread]")).to_have_text("1")
    evaluation_id = walk.read(lambda: Evaluation.objects.get(call__uid=scene.call_uid).pk)
    toast.click()
    agent.wait_for_url(lambda url: url.rstrip("/").endswith(f"/qa/mine/{evaluation_id}"))

    # The evaluation: status, score, the failed critical question, the comment on the recording.
    expect(agent.locator(".page-header h1")).to_contain_text("Evaluation of your call")
    expect(agent.locator(".page-header .badge")).to_have_text("Submitted")
    expect(agent.locator(".stat-cards")).to_contain_text("75.00")
    expect(agent.locator(f'li[data-question="{scene.question_ids[2]}"] .qa-critical-failed')).to_be_visible()
    expect(agent.locator("#qa-player")).to_have_attribute("data-ready", "true")
    seek = agent.locator("#qa-comment-list li", has_text=comment).locator("button.qa-seek")
    seek.click()
    wait_until(lambda: abs(player_time(agent) - at) < 0.75, "the comment to seek the agent's player")
    agent.evaluate("window.qaWorkspace.player.pause()")
    expect(agent.locator("#bell [data-unread]")).to_be_hidden()  # opening the toast read it
    shot(agent, "qa-agent-evaluation.png")

    # Acknowledge, confirmed in the page's dialog.
    agent.locator("#qa-acknowledge").click()
    dialog = agent.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("button.confirm-ok").click()
    expect(agent.locator(".messages")).to_contain_text("Evaluation acknowledged.")
    expect(agent.locator(".page-header .badge")).to_have_text("Acknowledged")
    expect(agent.locator("#qa-acknowledge")).to_have_count(0)
    expect(agent.locator("#qa-dispute-form")).to_have_count(0)

    def stored():
        evaluation = Evaluation.objects.get(pk=evaluation_id)
        notification = Notification.objects.get(kind="qa.evaluation_submitted", url=f"/qa/mine/{evaluation_id}/")
        return evaluation.status, evaluation.acknowledged_at is not None, notification.read_at is not None

    assert wait_until(lambda: walk.read(stored) == ("acknowledged", True, True) or None, "the acknowledgement")
    agent.goto(f"{walk.base_url}/qa/mine/")
    expect(agent.locator(f'tr[data-evaluation="{evaluation_id}"]')).to_contain_text("Acknowledged")

    assert agent.js_errors == [] and analyst.js_errors == []
    assert agent_violations == [], agent_violations
