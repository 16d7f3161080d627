"""The scorecard pages: the list, one version, the editor (its row buttons without a script,
field messages on the row they belong to, nothing saved on a bad form), versions, publish and
retire — as a QA lead, an analyst and an agent fetch them."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import tenant_context

from apps.qa.models import Question, Scorecard
from tests.accounts.helpers import web_login
from tests.qa.factories import make_agent_call, make_evaluation, make_scorecard, qa_user


@pytest.fixture
def people(acme):
    with tenant_context(acme.tenant):
        return {role: acme.user(role) for role in ("qa_lead", "qa", "agent", "supervisor")}


@pytest.fixture
def lead(acme, people):
    return web_login(acme, people["qa_lead"].email)


def _editor_post(name="Inbound care", **rows):
    """A full editor POST: one section with two questions, overridden by ``rows``."""
    data = {
        "name": name,
        "description": "",
        "status": "published",
        "s-0-title": "Opening",
        "s-0-weight": "2",
        "s-0-q-0-text": "Greeted by the script",
        "s-0-q-0-kind": "yes_no",
        "s-0-q-0-points": "1",
        "s-0-q-0-weight": "1",
        "s-0-q-0-critical": "none",
        "s-0-q-0-guidance": "",
        "s-0-q-1-text": "Verified identity",
        "s-0-q-1-kind": "scale",
        "s-0-q-1-points": "5",
        "s-0-q-1-weight": "1.5",
        "s-0-q-1-critical": "section",
        "s-0-q-1-allow_na": "1",
        "s-0-q-1-guidance": "Two identifiers",
    }
    data.update(rows)
    return data


def test_the_list_shows_current_versions_to_readers(acme, people, lead):
    with tenant_context(acme.tenant):
        make_scorecard(actor=people["qa_lead"], name="Outbound sales")
    page = lead.get("/qa/scorecards/").content.decode()
    assert "Outbound sales" in page and 'href="/qa/scorecards/new/"' in page
    analyst = web_login(acme, people["qa"].email).get("/qa/scorecards/")
    assert analyst.status_code == 200 and "Outbound sales" in analyst.content.decode()
    assert 'href="/qa/scorecards/new/"' not in analyst.content.decode()
    assert web_login(acme, people["agent"].email).get("/qa/scorecards/").status_code == 403
    assert web_login(acme, people["qa"].email).get("/qa/scorecards/new/").status_code == 403


def test_the_list_has_an_empty_state(acme, lead):
    page = lead.get("/qa/scorecards/?status=retired").content.decode()
    assert "No scorecards match." in page


def test_the_editor_saves_sections_and_questions_in_order(acme, lead):
    response = lead.post("/qa/scorecards/new/", _editor_post())
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        scorecard = Scorecard.objects.get(name="Inbound care")
        questions = list(Question.objects.filter(section__scorecard=scorecard).order_by("position"))
    assert response["Location"] == f"/qa/scorecards/{scorecard.pk}/"
    assert [(q.text, q.kind, q.points, str(q.weight), q.critical, q.allow_na) for q in questions] == [
        ("Greeted by the script", "yes_no", 1, "1.00", "none", False),
        ("Verified identity", "scale", 5, "1.50", "section", True),
    ]
    detail = lead.get(response["Location"]).content.decode()
    assert "Verified identity" in detail and "Two identifiers" in detail
    assert "How the score is computed" in detail


def test_the_row_buttons_work_without_the_script_and_save_nothing(acme, lead):
    with tenant_context(acme.tenant):
        before = Scorecard.objects.count()
    added = lead.post("/qa/scorecards/new/", _editor_post(op="add_question:0")).content.decode()
    assert 'name="s-0-q-2-text"' in added
    assert 'value="Verified identity"' in added  # what was typed is kept

    moved = lead.post("/qa/scorecards/new/", _editor_post(op="down_question:0:0")).content.decode()
    first = re.search(r'name="s-0-q-0-text"[^>]*value="([^"]*)"', moved)
    assert first is not None and first.group(1) == "Verified identity"

    section = lead.post("/qa/scorecards/new/", _editor_post(op="add_section")).content.decode()
    assert 'name="s-1-title"' in section
    removed = lead.post("/qa/scorecards/new/", _editor_post(op="remove_question:0:1")).content.decode()
    assert 'name="s-0-q-1-text"' not in removed
    with tenant_context(acme.tenant):
        assert Scorecard.objects.count() == before


def test_a_bad_row_shows_its_message_beside_it_and_saves_nothing(acme, lead):
    with tenant_context(acme.tenant):
        before = Scorecard.objects.count()
    response = lead.post("/qa/scorecards/new/", _editor_post(**{"s-0-q-1-points": "0", "s-0-weight": "-1"}))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="error"') >= 2
    question = page[page.index('name="s-0-q-1-text"') : page.index('name="s-0-q-1-guidance"')]
    assert "Give a whole number from 1 to 1000." in question
    section = page[page.index('name="s-0-weight"') : page.index('name="s-0-q-0-text"')]
    assert "Give a number of 0 or more." in section
    with tenant_context(acme.tenant):
        assert Scorecard.objects.count() == before


def test_a_missing_name_and_a_bad_row_are_reported_together(acme, lead):
    page = lead.post("/qa/scorecards/new/", _editor_post(name="", **{"s-0-q-0-text": ""})).content.decode()
    assert page.count("This field is required.") >= 2


def test_editing_a_scored_scorecard_warns_and_saves_a_new_version(acme, people, lead):
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(actor=people["qa_lead"], name="Care")
        make_evaluation(make_agent_call(), scorecard, qa_user())
    page = lead.get(f"/qa/scorecards/{scorecard.pk}/edit/").content.decode()
    assert "saving a change makes version 2" in page
    assert 'value="Greeted the caller by the script"' in page

    post = {
        "name": "Care",
        "description": "",
        "s-0-title": "Only",
        "s-0-weight": "1",
        "s-0-q-0-text": "Polite",
        "s-0-q-0-kind": "yes_no",
        "s-0-q-0-points": "1",
        "s-0-q-0-weight": "1",
        "s-0-q-0-critical": "none",
        "s-0-q-0-guidance": "",
    }
    response = lead.post(f"/qa/scorecards/{scorecard.pk}/edit/", post)
    with tenant_context(acme.tenant):
        new = Scorecard.objects.get(family=scorecard.family, is_current=True)
    assert new.version == 2 and response["Location"] == f"/qa/scorecards/{new.pk}/"
    versions = lead.get(f"/qa/scorecards/{new.pk}/versions/").content.decode()
    assert "v1" in versions and "v2" in versions
    old = lead.get(f"/qa/scorecards/{scorecard.pk}/").content.decode()
    assert "This is an earlier version" in old
    # The old version's edit link leads to the current one.
    assert lead.get(f"/qa/scorecards/{scorecard.pk}/edit/")["Location"] == f"/qa/scorecards/{new.pk}/edit/"


def test_retire_and_publish_ask_first_and_are_for_designers(acme, people, lead):
    with tenant_context(acme.tenant):
        scorecard = make_scorecard(actor=people["qa_lead"])
    page = lead.get(f"/qa/scorecards/{scorecard.pk}/").content.decode()
    assert f'action="/qa/scorecards/{scorecard.pk}/retire/"' in page and "data-confirm" in page
    analyst = web_login(acme, people["qa"].email)
    assert analyst.post(f"/qa/scorecards/{scorecard.pk}/retire/").status_code == 403
    assert lead.get(f"/qa/scorecards/{scorecard.pk}/retire/").status_code == 405

    lead.post(f"/qa/scorecards/{scorecard.pk}/retire/")
    with tenant_context(acme.tenant):
        scorecard.refresh_from_db()
        assert scorecard.status == "retired"
    lead.post(f"/qa/scorecards/{scorecard.pk}/publish/")
    with tenant_context(acme.tenant):
        scorecard.refresh_from_db()
        assert scorecard.status == "published"


def test_the_pages_speak_chinese(acme, people, lead):
    from django.conf import settings

    from tests.pending_po import pending_translations

    with tenant_context(acme.tenant):
        scorecard = make_scorecard(actor=people["qa_lead"])
    lead.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    with pending_translations("qa-core", "qa-workspace"):
        listing = lead.get("/qa/scorecards/").content.decode()
        detail = lead.get(f"/qa/scorecards/{scorecard.pk}/").content.decode()
        editor = lead.get(f"/qa/scorecards/{scorecard.pk}/edit/").content.decode()
        bad = lead.post("/qa/scorecards/new/", _editor_post(**{"s-0-q-1-points": "0"})).content.decode()

    assert "评分表" in listing and "新建评分表" in listing
    for words in ("分数如何计算", "分项致命项", "整表致命项", "是 / 否", "分值（0 至满分）", "停用"):
        assert words in detail, words
    for words in ("添加分项", "添加考核项", "给质检员的评分说明", "允许不适用"):
        assert words in editor, words
    assert "请填写 1 到 1000 之间的整数。" in bad
    for english in ("How the score is computed", "Add question", "Critical to the whole form"):
        assert english not in detail + editor, english
