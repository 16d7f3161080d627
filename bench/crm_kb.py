"""Knowledge-base search benchmark: p95 of ``GET /api/v1/kb/search`` over 10,000 articles.

Run from the repository root after ``manage.py migrate_schemas`` (``make run`` does it):
``.venv/bin/python bench/crm_kb.py`` (the database of ``make run``: the embedded servers under
.data/ unless DATABASE_URL is set). Options: ``--articles 10000``, ``--queries 200``, ``--keep``.

What it does:

1. Provisions the tenant ``bench-kb`` if it is missing and (re)loads ``--articles`` published
   articles: the 111 sample articles of apps/crm/kb/data/ (65 Chinese, 46 English) varied by
   product line, region and a closing sentence, so that no two are the same text; bulk
   inserted, then indexed by the service's own ``articles_index`` in batches of 500.
2. Asks ``--queries`` questions, Chinese and English mixed: the 66 questions of
   tests/crm/kb_questions.txt, then tags and title words of the samples, through the whole HTTP
   request (Django's handler, token authentication, tenant, the search, highlights, JSON) as an
   agent, after 20 warm-up requests (jieba's dictionary loads on the first).
3. Ends with one JSON line: ``articles``, ``queries``, ``kb_search_p50_ms``, ``kb_search_p95_ms``,
   ``kb_search_max_ms``, ``selector_p95_ms`` (the search without HTTP), ``mean_results``,
   ``index_seconds``. Target: ``kb_search_p95_ms`` ≤ 50 (issue 17).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from apps.accounts.choices import Role  # noqa: E402
from apps.accounts.models import User  # noqa: E402
from apps.accounts.services import token_create  # noqa: E402
from apps.crm.kb.samples import sample_articles  # noqa: E402
from apps.crm.models import Article, ArticleCategory, ArticleVersion, KbUsage  # noqa: E402
from apps.crm.selectors.kb import article_search  # noqa: E402
from apps.crm.services.kb import articles_index  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tenants.services.provisioning import tenant_provision  # noqa: E402

SLUG = "bench-kb"
PASSWORD = "Bench!Kb-2026"
PRODUCTS_ZH = [
    "畅享套餐",
    "家庭融合",
    "企业专线",
    "青春卡",
    "尊享会员",
    "旗舰店",
    "生鲜频道",
    "国际业务",
    "电子钱包",
    "智能家居",
]
REGIONS_ZH = ["北京", "上海", "广州", "深圳", "成都", "杭州", "武汉", "西安", "南京", "重庆"]
PRODUCTS_EN = [
    "Unlimited plan",
    "Family bundle",
    "Business line",
    "Student SIM",
    "Premium club",
    "Marketplace",
    "Fresh food",
    "Travel pass",
    "Wallet",
    "Smart home",
]
REGIONS_EN = ["North", "South", "East", "West", "Central", "Coastal", "Metro", "Rural", "Island", "Mountain"]


def tenant() -> Tenant:
    found = Tenant.objects.filter(slug=SLUG).first()
    if found is not None:
        return found
    print(f"provisioning tenant {SLUG!r} …", flush=True)
    return tenant_provision(
        company="Bench KB",
        slug=SLUG,
        admin_email=f"admin@{SLUG}.test",
        admin_password=PASSWORD,
        seats=2,
        plan="standard",
        language="zh-hans",
    ).tenant


def load(count: int) -> float:
    """Replace the tenant's articles with ``count`` varied ones; returns the seconds indexing took."""
    KbUsage.objects.all().delete()
    ArticleVersion.objects.all().delete()
    Article.objects.all().delete()
    samples = sample_articles()
    categories = {}
    for sample in samples:
        if sample.category not in categories:
            categories[sample.category] = ArticleCategory.objects.get_or_create(name=sample.category)[0]
    now = timezone.now()
    rows = []
    for index in range(count):
        sample = samples[index % len(samples)]
        variant = index // len(samples)
        if sample.language == "zh-hans":
            product, region = PRODUCTS_ZH[variant % 10], REGIONS_ZH[(variant // 10) % 10]
            title = f"{sample.title}（{region}·{product}）"
            body = f"{sample.body}\n适用于{region}地区的{product}客户，第{variant + 1}版口径。"
        else:
            product, region = PRODUCTS_EN[variant % 10], REGIONS_EN[(variant // 10) % 10]
            title = f"{sample.title} ({region}, {product})"
            body = f"{sample.body}\nApplies to {product} customers in the {region} region, wording {variant + 1}."
        rows.append(
            Article(
                title=title[:200],
                body=body,
                tags=[*sample.tags, product],
                language=sample.language,
                status="published",
                category=categories[sample.category],
                created_at=now,
                updated_at=now,
                published_at=now,
            )
        )
    created = Article.objects.bulk_create(rows, batch_size=1000)
    started = time.perf_counter()
    ids = [a.pk for a in created]
    for start in range(0, len(ids), 500):
        with transaction.atomic():
            articles_index(ids[start : start + 500])
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:  # as autovacuum would soon: the planner's statistics
        cursor.execute(f"ANALYZE {connection.ops.quote_name(Article._meta.db_table)}")
    return elapsed


def questions(wanted: int) -> list[str]:
    asked = [
        line.split("|", 1)[1].strip()
        for line in (ROOT / "tests/crm/kb_questions.txt").read_text(encoding="utf-8").splitlines()
        if "|" in line and not line.startswith("#")
    ]
    for sample in sample_articles():
        asked.append(sample.tags[0])
        asked.append(sample.title if sample.language == "zh-hans" else " ".join(sample.title.split()[:3]))
    return asked[:wanted]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the articles (default: delete them at the end)")
    args = parser.parse_args()

    bench = tenant()
    with tenant_context(bench):
        print(f"loading {args.articles} articles …", flush=True)
        index_seconds = load(args.articles)
        agent = User.objects.filter(email=f"agent@{SLUG}.test").first() or User.objects.create_user(
            f"agent@{SLUG}.test", PASSWORD, name="坐席", roles=[Role.AGENT]
        )
        token = token_create(user=agent).raw
        asked = questions(args.queries)

        for question in asked[:20]:  # jieba's dictionary loads on the first question
            article_search(q=question, limit=10)
        selector_ms = []
        for question in asked:
            started = time.perf_counter()
            article_search(q=question, limit=10)
            selector_ms.append((time.perf_counter() - started) * 1000)

    host = bench.domains.first().domain
    client = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {token}")
    # One connection for every request, as a long-lived worker keeps it (CONN_MAX_AGE).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    for question in asked[:20]:
        client.get("/api/v1/kb/search", {"q": question})
    http_ms, found = [], []
    for question in asked:
        started = time.perf_counter()
        response = client.get("/api/v1/kb/search", {"q": question})
        http_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
        found.append(len(response.json()["results"]))

    if not args.keep:
        with tenant_context(bench):
            KbUsage.objects.all().delete()
            ArticleVersion.objects.all().delete()
            Article.objects.all().delete()
    figures = {
        "articles": args.articles,
        "queries": len(asked),
        "kb_search_p50_ms": round(statistics.median(http_ms), 1),
        "kb_search_p95_ms": round(percentile(http_ms, 0.95), 1),
        "kb_search_max_ms": round(max(http_ms), 1),
        "selector_p95_ms": round(percentile(selector_ms, 0.95), 1),
        "mean_results": round(statistics.mean(found), 1),
        "index_seconds": round(index_seconds, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
