"""The analysis on the call page, in the calls list (columns and filters) and in the API
(``GET /api/v1/calls/{uid}/analysis``: the call's permissions, 404 before analysis, tenants apart)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django_tenants.utils import tenant_context

from apps.telephony.audio import CallScript, Segment, render, wav_bytes
from apps.telephony.choices import CallEndReason
from apps.telephony.models import CallAnalysis, Recording
from apps.telephony.services import cdr
from apps.telephony.services.analysis import call_analyse
from tests.accounts.helpers import web_login
from tests.telephony.call_factories import at, make_agent, make_queue, uid

# 40 s: the agent talks, 14 s of dead air, the parties speak over each other four times.
SCRIPT = CallScript(
    duration=40.0,
    segments=[
        Segment(0.5, 6.0, "agent"),
        Segment(20.0, 24.0, "caller"),
        Segment(23.0, 27.0, "agent"),
        Segment(26.0, 30.0, "caller"),
        Segment(29.0, 33.0, "agent"),
        Segment(32.0, 36.0, "caller"),
    ],
)


def _answered_call(agent, *, start: float):
    queue = make_queue(wrapup_seconds=0)
    call = cdr.call_open(uid=uid(), direction="inbound", caller="13900000001", callee="400", at=at(start))
    cdr.call_queued(call, queue=queue, at=at(start))
    cdr.call_answered(call, agent=agent, at=at(start + 1))
    cdr.call_close(call, at=at(start + 41), end_reason=CallEndReason.COMPLETED)
    return call


@pytest.fixture
def world(acme):
    """Two calls of one agent: ``flagged`` analysed (dead air, overtalk), ``plain`` not analysed yet."""
    with tenant_context(acme.tenant):
        people = {role: acme.user(role) for role in ("supervisor", "qa", "agent", "trainer")}
        people["other_agent"] = acme.user("agent")
        agent = make_agent(people["agent"])
        make_agent(people["other_agent"])
        flagged = _answered_call(agent, start=0)
        Recording.objects.create(
            call=flagged,
            file=ContentFile(wav_bytes(render(SCRIPT, seed=3)), name=f"{flagged.uid}.wav"),
            duration_seconds=40,
        )
        analysis = call_analyse(call=flagged)
        plain = _answered_call(agent, start=100)
    return {"tenant": acme, "flagged": flagged, "plain": plain, "analysis": analysis, **people}


def test_the_analysis_found_what_the_script_holds(world):
    analysis = world["analysis"]
    assert analysis.status == "done"
    assert analysis.longest_silence_seconds == pytest.approx(14.0, abs=0.3)
    assert analysis.overtalk_count == 4
    assert analysis.flags == ["dead_air"]  # 4 overtalks are not more than the default 5


def _page(world, who: str, path: str) -> str:
    response = web_login(world["tenant"], world[who].email).get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_the_call_page_shows_the_analysis_card(world):
    html = _page(world, "supervisor", f"/calls/{world['flagged'].uid}/")
    assert "Call analysis" in html
    assert 'class="badge badge-warn analysis-flag" data-state="dead_air"' in html
    assert "Dead air" in html and "Longest silence" in html
    assert "neither party speaks" in html  # the figure's definition
    assert 'class="talk-bar"' in html and 'class="share-overtalk"' in html
    assert "Agent speech rate (proxy)" in html


def test_the_call_page_says_when_there_is_no_analysis(world):
    html = _page(world, "supervisor", f"/calls/{world['plain'].uid}/")
    assert "Only recorded calls are analysed." in html
    with tenant_context(world["tenant"].tenant):
        CallAnalysis.objects.create(call=world["plain"], status="failed", version="1.0", error="missing: gone")
    html = _page(world, "supervisor", f"/calls/{world['plain'].uid}/")
    assert "Analysis failed" in html and "missing: gone" in html


def test_the_agent_sees_the_analysis_of_their_own_call(world):
    html = _page(world, "agent", f"/calls/{world['flagged'].uid}/")
    assert "analysis-flag" in html


def test_the_calls_list_has_analysis_columns_and_filters(world):
    path = "/calls/"
    html = _page(world, "supervisor", path)
    assert "Dead air (s)" in html and 'data-state="dead_air"' in html
    flagged, plain = world["flagged"].uid, world["plain"].uid
    for query, shown, hidden in [
        ("?flagged=true", flagged, plain),
        ("?flag=dead_air", flagged, plain),
        ("?dead_air_over=10", flagged, plain),
        ("?overtalk_at_least=4", flagged, plain),
    ]:
        html = _page(world, "supervisor", path + query)
        assert shown in html and hidden not in html, query
    html = _page(world, "supervisor", path + "?dead_air_over=20")
    assert flagged not in html
    html = _page(world, "supervisor", path + "?flag=overtalk")
    assert flagged not in html


# --- the API -----------------------------------------------------------------------------------


def _get(world, who: str, call_uid: str, *, client=None):
    api = client or world["tenant"].api(world[who])
    return api.get(f"/api/v1/calls/{call_uid}/analysis")


def test_api_returns_the_figures(world):
    response = _get(world, "qa", world["flagged"].uid)
    assert response.status_code == 200
    body = response.json()
    assert body["call"] == world["flagged"].uid and body["status"] == "done"
    assert body["flags"] == ["dead_air"] and body["overtalk_count"] == 4
    assert body["longest_silence_seconds"] == pytest.approx(14.0, abs=0.3)
    assert body["channels"] == 2 and body["segments"]["overtalk"]
    assert body["agent_words_per_minute"] is None  # no transcript


@pytest.mark.parametrize("who, status", [("supervisor", 200), ("agent", 200), ("other_agent", 404), ("trainer", 403)])
def test_api_follows_the_calls_permissions(world, who, status):
    assert _get(world, who, world["flagged"].uid).status_code == status


def test_api_404_before_analysis_and_for_unknown_calls(world):
    response = _get(world, "supervisor", world["plain"].uid)
    assert response.status_code == 404
    assert _get(world, "supervisor", "no-such-call").status_code == 404


def test_api_never_crosses_tenants(world, globex):
    client = globex.api(globex.admin())
    assert _get(world, "", world["flagged"].uid, client=client).status_code == 404
    stranger = world["tenant"].api()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")
    assert _get(world, "", world["flagged"].uid, client=stranger).status_code == 401


def test_api_list_filters(world):
    api = world["tenant"].api(world["supervisor"])
    uids = {row["uid"] for row in api.get("/api/v1/calls?flag=dead_air").json()["results"]}
    assert uids == {world["flagged"].uid}
    uids = {row["uid"] for row in api.get("/api/v1/calls?flagged=false").json()["results"]}
    assert world["flagged"].uid not in uids
    bad = api.get("/api/v1/calls?dead_air_over=-3")
    assert bad.status_code == 400 and "dead_air_over" in bad.json().get("fields", bad.json())
    bad = api.get("/api/v1/calls?flag=bogus")
    assert bad.status_code == 400


def test_the_card_and_the_list_speak_chinese(world):
    from django.conf import settings

    from tests.pending_po import pending_translations

    client = web_login(world["tenant"], world["supervisor"].email)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    with pending_translations("telephony-analysis"):
        card = client.get(f"/calls/{world['flagged'].uid}/").content.decode()
        listing = client.get("/calls/?flagged=true").content.decode()
    for words in ("通话分析", "冷场", "最长静默", "抢话", "座席语速（估计）", "含义", "双方同时"):
        assert words in card, words
    for words in ("Call analysis", "Longest silence", "What it means"):
        assert words not in card, words
    for words in ("冷场（秒）", "分析已标记", "冷场超过（秒）"):
        assert words in listing, words
