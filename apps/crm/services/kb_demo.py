"""Demo knowledge base: the sample articles and standard phrases, for ``ensure_demo`` (make run).

Holiday greetings get this year's dates (and next year's where the holiday has passed): New
Year's Day 1–3 January, National Day 1–7 October, and the Spring Festival from the ``holidays``
package's Chinese calendar (its eve to the end of the official days).
"""

from __future__ import annotations

import datetime

import holidays
from django.db import transaction
from django.utils import timezone

from apps.crm.kb.samples import SAMPLE_PHRASES, sample_articles
from apps.crm.models import Article, ArticleCategory, StandardPhrase
from apps.crm.services.kb import article_create, phrase_create


def _spring_festival(year: int) -> tuple[datetime.date, datetime.date]:
    days = sorted(
        day for day, name in holidays.China(years=year, language="en_US").items() if "Chinese New Year" in name
    )
    return (days[0], days[-1]) if days else (datetime.date(year, 1, 28), datetime.date(year, 2, 4))


def holiday_dates(holiday: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The coming (or current) dates of ``holiday``."""
    for year in (today.year, today.year + 1):
        if holiday == "spring_festival":
            start, end = _spring_festival(year)
        elif holiday == "national_day":
            start, end = datetime.date(year, 10, 1), datetime.date(year, 10, 7)
        else:
            start, end = datetime.date(year, 1, 1), datetime.date(year, 1, 3)
        if end >= today:
            return start, end
    return start, end


@transaction.atomic
def kb_demo_seed() -> int:
    """Create the sample articles and phrases once (a tenant that has articles is left alone).
    Returns how many articles were created."""
    if Article.objects.exists():
        return 0
    categories: dict[str, ArticleCategory] = {}
    for sample in sample_articles():
        if sample.category not in categories:
            categories[sample.category] = ArticleCategory.objects.get_or_create(
                name=sample.category, defaults={"position": len(categories)}
            )[0]
        article_create(
            actor=None,
            title=sample.title,
            body=sample.body,
            language=sample.language,
            tags=list(sample.tags),
            category=categories[sample.category],
        )
    if not StandardPhrase.objects.exists():
        today = timezone.localdate()
        for position, phrase in enumerate(SAMPLE_PHRASES):
            dates = holiday_dates(phrase.holiday, today) if phrase.holiday else (None, None)
            phrase_create(
                actor=None,
                category=phrase.category,
                text=phrase.text,
                language=phrase.language,
                active_from=dates[0],
                active_until=dates[1],
                position=position,
            )
    return len(sample_articles())
