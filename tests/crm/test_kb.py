"""Knowledge base: segmentation and stemming, highlights, versions, the API contract and its
refusals, permissions, tenant isolation, the pages, the desk's panel and standard phrases.

Search quality over the sample articles is tests/crm/test_kb_quality.py.
"""

from __future__ import annotations

import datetime

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.audit.choices import AuditAction
from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.crm.kb.choices import UsageKind
from apps.crm.kb.highlight import highlight
from apps.crm.kb.markup import render
from apps.crm.kb.text import query_terms
from apps.crm.models import Article, ArticleVersion, KbUsage, StandardPhrase
from apps.crm.selectors.kb import article_search, phrases_offered
from apps.crm.services.kb import article_create, article_restore, article_update, phrase_create
from tests.accounts.helpers import web_login
from tests.conftest import PASSWORD
from tests.telephony.call_factories import make_agent, make_disposition, make_queue, stored_call


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


def _article(**fields) -> Article:
    fields.setdefault("language", "zh-hans")
    fields.setdefault("tags", [])
    return article_create(actor=None, **fields)


def _ids(q: str, **filters) -> list[int]:
    return [hit.article.pk for hit in article_search(q=q, **filters)[1]]


# --- segmentation, stemming, highlights ------------------------------------------------------------


def test_chinese_question_is_segmented_and_finds_the_refund_article(tenant):
    assert "退款" in query_terms("我想申请退款怎么办").chinese
    refund = _article(title="退款说明", body="订单完成后可以在售后页面提交申请，审核通过后原路退款。")
    _article(title="修改收货地址", body="订单未发货前可以修改一次收货地址。")

    assert _ids("我想申请退款怎么办")[0] == refund.pk


def test_english_search_is_stemmed_refunds_finds_refund(tenant):
    refund = _article(title="Refund policy", body="A refund is paid to the original card.", language="en")
    _article(title="Delivery times", body="Parcels arrive in two days.", language="en")

    assert _ids("refunds") == [refund.pk]
    assert _ids("refunded orders") == [refund.pk]


def test_results_are_ranked_title_above_body(tenant):
    in_body = _article(title="账户安全", body="遇到问题可以申请退款，也可以联系客服。")
    in_title = _article(title="退款流程", body="客户提交申请后两个工作日内处理。")

    assert _ids("退款")[:2] == [in_title.pk, in_body.pk]


def test_highlights_escape_html_then_mark_the_words():
    html = highlight('<script>alert("退款")</script> 退款 & refunds', query_terms("退款 refund"))

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>退款</mark>" in html and "<mark>refunds</mark>" in html
    assert "&amp;" in html


def test_body_markup_is_escaped_and_only_the_subset_becomes_tags():
    html = render('## 步骤\n1. 点击**申请**\n- <img src=x onerror="alert(1)">')

    assert "<h3>步骤</h3>" in html and "<strong>申请</strong>" in html and "<ol>" in html
    assert "<img" not in html and "&lt;img" in html


def test_search_of_an_article_with_html_in_its_title_shows_it_escaped(tenant, acme):
    article = _article(title="<b>退款</b>须知", body="退款<script>x()</script>说明")
    client = web_login(acme, acme.admin_email)

    page = client.get("/kb/", {"q": "退款"})
    api = acme.api(acme.admin()).get("/api/v1/kb/search", {"q": "退款"})

    assert page.status_code == 200
    assert b"<script>x()" not in page.content and b"&lt;b&gt;<mark>" in page.content
    result = api.json()["results"][0]
    assert result["id"] == article.pk
    assert "<script>" not in result["snippet_html"] and "<mark>退款</mark>" in result["snippet_html"]
    assert result["snippet"].startswith("退款<script>")  # plain text, for the client to escape


# --- versions --------------------------------------------------------------------------------------


def test_every_change_is_a_version_and_restore_adds_one(tenant):
    editor = tenant.user(Role.TRAINER)
    article = article_create(actor=editor, title="开票", body="第一版", language="zh-hans")

    same = article_update(actor=editor, article=article, body="第一版")
    second = article_update(actor=editor, article=article, body="第二版：电子发票", note="补充电子发票")
    restored = article_restore(actor=editor, article=article, version=1)

    assert same.version == 1
    assert second.version == 2
    assert restored.version == 3 and restored.body == "第一版"
    versions = list(ArticleVersion.objects.filter(article=article).order_by("version").values_list("version", "body"))
    assert versions == [(1, "第一版"), (2, "第二版：电子发票"), (3, "第一版")]
    assert ArticleVersion.objects.get(article=article, version=2).note == "补充电子发票"
    assert _ids("电子发票") == []  # the restored text is what search finds now
    assert AuditEntry.objects.filter(action=AuditAction.KB_ARTICLE_CHANGED, target_id=str(article.pk)).count() == 2


def test_bad_input_changes_nothing_and_names_every_field(tenant):
    with pytest.raises(ApplicationError) as error:
        article_create(actor=None, title="", body="x", language="fr", tags="a" * 60)

    assert set(error.value.fields) == {"title", "language", "tags"}
    assert Article.objects.count() == 0


def test_an_agent_may_not_write(tenant):
    with pytest.raises(PermissionDeniedError):
        article_create(actor=tenant.user(Role.AGENT), title="t", body="b", language="en")


# --- API -------------------------------------------------------------------------------------------


def test_api_create_search_get_put_and_versions(acme):
    trainer = acme.user(Role.TRAINER)
    api = acme.api(trainer)

    created = api.post(
        "/api/v1/kb/articles",
        {
            "title": "信用卡挂失",
            "body": "立即冻结卡片，补卡7个工作日寄出。",
            "tags": ["挂失", "信用卡"],
            "language": "zh-hans",
        },
        format="json",
    )
    article_id = created.json()["id"]
    search = api.get("/api/v1/kb/search", {"q": "信用卡丢了怎么办"})
    put = api.put(
        f"/api/v1/kb/articles/{article_id}",
        {"title": "信用卡挂失与补卡", "body": "立即冻结卡片。", "tags": ["挂失"], "language": "zh-hans"},
        format="json",
    )
    versions = api.get(f"/api/v1/kb/articles/{article_id}/versions")

    assert created.status_code == 201
    assert created.json()["version"] == 1 and created.json()["status"] == "published"
    assert search.status_code == 200
    first = search.json()["results"][0]
    assert {"id", "title", "snippet", "score"} <= first.keys() and first["id"] == article_id
    assert put.status_code == 200 and put.json()["version"] == 2 and put.json()["title"] == "信用卡挂失与补卡"
    assert [v["version"] for v in versions.json()["results"]] == [2, 1]


def test_api_search_results_are_ranked_by_score(acme):
    with tenant_context(acme.tenant):
        for n in range(4):
            _article(title=f"宽带报修{n}" if n % 2 else f"营业时间{n}", body="宽带断网请重启光猫。" * (n + 1))

    results = acme.api(acme.user(Role.AGENT)).get("/api/v1/kb/search", {"q": "宽带断网"}).json()["results"]

    scores = [r["score"] for r in results]
    assert len(results) == 4 and scores == sorted(scores, reverse=True)
    assert results[0]["title"].startswith("宽带报修")


def test_api_bad_input_is_400_with_field_errors_and_writes_nothing(acme):
    api = acme.api(acme.admin())

    bad = api.post("/api/v1/kb/articles", {"title": "", "body": "", "tags": "x" * 80, "language": "de"}, format="json")
    no_question = api.get("/api/v1/kb/search", {"q": " "})
    bad_language = api.get("/api/v1/kb/search", {"q": "退款", "language": "fr"})

    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"
    assert set(bad.json()["fields"]) == {"title", "body", "tags", "language"}
    assert no_question.status_code == 400 and "q" in no_question.json()["fields"]
    assert bad_language.status_code == 400 and "language" in bad_language.json()["fields"]
    with tenant_context(acme.tenant):
        assert Article.objects.count() == 0


def test_agents_read_published_articles_only_and_cannot_write(acme):
    with tenant_context(acme.tenant):
        published = _article(title="退款规则", body="七天内退款。")
        draft = _article(title="退款草稿", body="退款内容未定。", status="draft")
    agent = acme.api(acme.user(Role.AGENT))

    post = agent.post("/api/v1/kb/articles", {"title": "t", "body": "b", "language": "en"}, format="json")
    found = [r["id"] for r in agent.get("/api/v1/kb/search", {"q": "退款"}).json()["results"]]

    assert post.status_code == 403
    assert found == [published.pk]
    assert agent.get(f"/api/v1/kb/articles/{draft.pk}").status_code == 404
    assert agent.get(f"/api/v1/kb/articles/{published.pk}").status_code == 200
    assert acme.api(acme.admin()).get(f"/api/v1/kb/articles/{draft.pk}").status_code == 200


def test_another_tenant_never_sees_the_articles(acme, globex):
    with tenant_context(acme.tenant):
        article = _article(title="ACME 专属退款政策", body="只对本公司客户适用的退款说明。")
    outsider = globex.api(globex.admin())

    assert outsider.get("/api/v1/kb/search", {"q": "退款"}).json()["results"] == []
    assert outsider.get(f"/api/v1/kb/articles/{article.pk}").status_code == 404
    acme_token_on_globex = globex.api()
    acme_token_on_globex.credentials(HTTP_AUTHORIZATION=f"Token {acme.token(acme.admin())}")
    assert acme_token_on_globex.get("/api/v1/kb/search", {"q": "退款"}).status_code in (401, 403)


# --- pages -----------------------------------------------------------------------------------------


def test_editor_pages_create_edit_and_list_versions(acme):
    trainer = acme.user(Role.TRAINER)
    client = web_login(acme, trainer.email, PASSWORD)

    created = client.post(
        "/kb/manage/new/",
        {
            "title": "停机保号",
            "body": "每月5元保号费。",
            "tags": "保号, 出国",
            "language": "zh-hans",
            "status": "published",
        },
    )
    with tenant_context(acme.tenant):
        article = Article.objects.get(title="停机保号")
    edited = client.post(
        f"/kb/manage/{article.pk}/edit/",
        {
            "title": "停机保号",
            "body": "每月5元，最长12个月。",
            "tags": "保号",
            "language": "zh-hans",
            "status": "published",
        },
    )
    pages = [
        client.get(path)
        for path in (
            "/kb/",
            f"/kb/articles/{article.pk}/",
            "/kb/manage/",
            f"/kb/manage/{article.pk}/versions/",
            "/kb/manage/categories/",
            "/kb/phrases/",
        )
    ]

    assert created.status_code == 302 and edited.status_code == 302
    assert article.tags == ["保号", "出国"]
    assert [p.status_code for p in pages] == [200] * 6
    assert "最长12个月" in pages[1].content.decode()


def test_editor_list_shows_articles_due_for_review(tenant, acme):
    _article(title="年费政策", body="白金卡年费。", review_date=datetime.date(2020, 1, 1))
    _article(title="积分规则", body="积分年底清零。", review_date=datetime.date(2999, 1, 1))
    client = web_login(acme, acme.admin_email)

    page = client.get("/kb/manage/").content.decode()
    due = client.get("/kb/manage/", {"due": "on"}).content.decode()

    assert 'id="kb-review-due"' in page and "年费政策" in page.split('id="kb-review-due"')[1].split("</section>")[0]
    assert "年费政策" in due and "积分规则" not in due


def test_an_agent_may_read_but_not_manage(acme):
    agent = acme.user(Role.AGENT)
    client = web_login(acme, agent.email, PASSWORD)

    assert client.get("/kb/").status_code == 200
    assert client.get("/kb/manage/").status_code == 403
    assert client.get("/kb/insights/").status_code == 403
    assert (
        client.post("/kb/manage/new/", {"title": "x", "body": "y", "language": "en", "status": "published"}).status_code
        == 403
    )


def test_trainers_see_what_agents_look_up(acme):
    with tenant_context(acme.tenant):
        article = _article(title="携号转网条件", body="入网满120天且无欠费。")
    agent = web_login(acme, acme.user(Role.AGENT).email, PASSWORD)
    agent.get(f"/kb/articles/{article.pk}/", {"call": "call-77"})
    agent.get(f"/kb/articles/{article.pk}/")
    agent.get("/kb/", {"q": "火星移民"})
    trainer = web_login(acme, acme.user(Role.TRAINER).email, PASSWORD)

    page = trainer.get("/kb/insights/").content.decode()

    looked_up = page.split('id="kb-looked-up"')[1].split("</section>")[0]
    assert "携号转网条件" in looked_up and ">2<" in looked_up
    assert "火星移民" in page.split('id="kb-unanswered"')[1].split("</section>")[0]
    with tenant_context(acme.tenant):
        article.refresh_from_db()
        assert article.lookup_count == 2
        assert KbUsage.objects.filter(kind=UsageKind.VIEW, call_uid="call-77").count() == 1


# --- the desk's panel and phrases ---------------------------------------------------------------------


def test_desk_has_the_kb_hook_and_the_panel_is_presearched_from_the_call(acme):
    agent_user = acme.user(Role.AGENT)
    with tenant_context(acme.tenant):
        bill = _article(title="话费账单查询", body="在App账单页面查看近6个月的账单。")
        broadband = _article(title="宽带安装", body="装维人员48小时内预约。")
        queue = make_queue(name="账单查询")
        call = stored_call(queue=queue, agent=make_agent(agent_user), disposition=make_disposition())
    client = web_login(acme, agent_user.email, PASSWORD)

    desk = client.get("/desk/").content.decode()
    panel = client.get("/kb/panel/", {"call": call.uid}, HTTP_HX_REQUEST="true").content.decode()
    by_words = client.get("/kb/panel/", {"q": "宽带", "results": "1", "call": call.uid}).content.decode()

    assert 'id="desk-kb"' in desk and 'hx-get="/kb/panel/"' in desk and "js/kb.js" in desk
    assert 'id="kb-panel"' in panel and "账单查询" in panel
    assert f"/kb/panel/articles/{bill.pk}/" in panel
    assert f"/kb/panel/articles/{broadband.pk}/" in by_words and f"/kb/panel/articles/{bill.pk}/" not in by_words
    with tenant_context(acme.tenant):
        assert KbUsage.objects.get(kind=UsageKind.SEARCH).call_uid == call.uid


def test_panel_of_someone_elses_call_reveals_nothing_of_it(acme):
    with tenant_context(acme.tenant):
        _article(title="账单查询", body="账单说明。")
        call = stored_call(queue=make_queue(name="账单查询"), agent=make_agent(acme.user(Role.AGENT)))
    other = web_login(acme, acme.user(Role.AGENT).email, PASSWORD)

    panel = other.get("/kb/panel/", {"call": call.uid}).content.decode()

    assert "账单查询" not in panel


def test_inserting_a_phrase_counts_its_use_with_the_call(acme):
    with tenant_context(acme.tenant):
        phrase = phrase_create(actor=None, category="greeting", text="您好，很高兴为您服务。", language="zh-hans")
    client = web_login(acme, acme.user(Role.AGENT).email, PASSWORD)

    panel = client.get("/kb/panel/").content.decode()
    first = client.post(f"/kb/phrases/{phrase.pk}/use/", {"call": "call-9"})
    second = acme.api(acme.user(Role.AGENT)).post(f"/api/v1/kb/phrases/{phrase.pk}/use", {}, format="json")

    assert f'data-use-url="/kb/phrases/{phrase.pk}/use/"' in panel and "您好，很高兴为您服务。" in panel
    assert first.status_code == 200 and first.content.decode().strip() == "1"
    assert second.status_code == 200 and second.json()["usage_count"] == 2
    with tenant_context(acme.tenant):
        assert StandardPhrase.objects.get(pk=phrase.pk).usage_count == 2
        assert KbUsage.objects.filter(kind=UsageKind.INSERT, phrase=phrase, call_uid="call-9").count() == 1


def test_holiday_greetings_are_offered_only_between_their_dates(tenant):
    phrase_create(actor=None, category="greeting", text="您好", language="zh-hans")
    phrase_create(
        actor=None,
        category="holiday",
        text="国庆节快乐",
        language="zh-hans",
        active_from=datetime.date(2026, 10, 1),
        active_until=datetime.date(2026, 10, 7),
    )

    during = [p.text for p in phrases_offered(on=datetime.date(2026, 10, 3))]
    after = [p.text for p in phrases_offered(on=datetime.date(2026, 10, 8))]

    assert during == ["您好", "国庆节快乐"]
    assert after == ["您好"]
    with pytest.raises(ApplicationError) as error:
        phrase_create(
            actor=None,
            category="holiday",
            text="x",
            language="zh-hans",
            active_from=datetime.date(2026, 10, 7),
            active_until=datetime.date(2026, 10, 1),
        )
    assert "active_until" in error.value.fields


def test_demo_seed_loads_the_samples_once_with_dated_holiday_greetings(tenant):
    from apps.crm.services.kb_demo import holiday_dates, kb_demo_seed

    created = kb_demo_seed()
    again = kb_demo_seed()

    assert created == Article.objects.count() >= 100 and again == 0
    national_day = StandardPhrase.objects.get(text__startswith="国庆节快乐")
    assert (national_day.active_from.month, national_day.active_from.day) == (10, 1)
    assert holiday_dates("national_day", datetime.date(2026, 10, 8)) == (
        datetime.date(2027, 10, 1),
        datetime.date(2027, 10, 7),
    )
    assert _ids("我想申请退款怎么办")[0] == Article.objects.get(title="如何申请退款").pk


def test_api_list_filters_refuse_nonsense_and_ids_too_big_find_nothing(acme):
    api = acme.api(acme.admin())

    assert api.get("/api/v1/kb/articles", {"category": "0.5"}).status_code == 400
    assert api.get("/api/v1/kb/articles", {"status": "gone"}).status_code == 400
    assert api.get("/api/v1/kb/articles", {"category": str(2**70)}).json()["results"] == []
    assert api.get(f"/api/v1/kb/articles/{2**70}").status_code == 404
    assert api.get("/api/v1/kb/search", {"q": "退款", "category": str(2**70)}).json()["results"] == []
