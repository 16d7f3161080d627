"""Realistic contact-center articles and standard phrases, for demo data, tests and benchmarks.

The articles live in ``data/articles_{zh,en}.txt`` (readable, one block per article) so that a
trainer can read what the demo tenant starts with, and so that the search-quality test and the
benchmark search the same kind of text agents will.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
FILES = {"zh-hans": DATA / "articles_zh.txt", "en": DATA / "articles_en.txt"}


@dataclass(frozen=True)
class SampleArticle:
    key: str
    language: str
    category: str
    title: str
    tags: tuple[str, ...]
    body: str


def _parse(language: str, text: str) -> list[SampleArticle]:
    articles: list[SampleArticle] = []
    for block in text.split("\n=== ")[1:]:
        head, title, *body = block.strip("\n").split("\n")
        key, category, tags = (part.strip() for part in head.lstrip("= ").split("|"))
        articles.append(
            SampleArticle(
                key=key,
                language=language,
                category=category,
                title=title.strip(),
                tags=tuple(t.strip() for t in tags.split(",") if t.strip()),
                body="\n".join(body).strip(),
            )
        )
    return articles


@functools.cache
def sample_articles() -> tuple[SampleArticle, ...]:
    articles: list[SampleArticle] = []
    for language, path in FILES.items():
        articles.extend(_parse(language, path.read_text(encoding="utf-8")))
    return tuple(articles)


@dataclass(frozen=True)
class SamplePhrase:
    category: str
    language: str
    text: str
    holiday: str = ""  # "spring_festival", "national_day", "new_year": dated by the seeder


SAMPLE_PHRASES = (
    SamplePhrase("greeting", "zh-hans", "您好，很高兴为您服务，请问有什么可以帮您？"),
    SamplePhrase("greeting", "zh-hans", "您好，工号{工号}为您服务，请问怎么称呼您？"),
    SamplePhrase("verify", "zh-hans", "为了保障您的账户安全，需要跟您核对一下身份信息，请提供证件号码后四位。"),
    SamplePhrase("hold", "zh-hans", "请您稍等，我帮您查询一下，大约需要一分钟。"),
    SamplePhrase("hold", "zh-hans", "感谢您的耐心等待，已经为您查到了。"),
    SamplePhrase("apology", "zh-hans", "非常抱歉给您带来不便，我们会尽快为您处理。"),
    SamplePhrase("apology", "zh-hans", "理解您的心情，这个问题我已经记录下来，会在24小时内给您回复。"),
    SamplePhrase("transfer", "zh-hans", "这个问题需要专业同事为您处理，现在为您转接，请不要挂机。"),
    SamplePhrase("closing", "zh-hans", "请问还有其他可以帮您的吗？"),
    SamplePhrase("closing", "zh-hans", "感谢您的来电，稍后请对我的服务做出评价，祝您生活愉快，再见！"),
    SamplePhrase("holiday", "zh-hans", "新春快乐！祝您和家人新年大吉、万事如意。", holiday="spring_festival"),
    SamplePhrase("holiday", "zh-hans", "国庆节快乐！祝您假期愉快。", holiday="national_day"),
    SamplePhrase("holiday", "zh-hans", "元旦快乐！新的一年祝您顺心如意。", holiday="new_year"),
    SamplePhrase("greeting", "en", "Hello, thank you for calling. How can I help you today?"),
    SamplePhrase("verify", "en", "For your security, may I confirm the last four digits of your ID?"),
    SamplePhrase("hold", "en", "Could you hold for a moment while I check that for you?"),
    SamplePhrase("apology", "en", "I'm sorry for the trouble this has caused. Let me sort it out for you."),
    SamplePhrase("transfer", "en", "A colleague who specialises in this will help you; I'm transferring you now."),
    SamplePhrase("closing", "en", "Is there anything else I can help you with today?"),
    SamplePhrase("closing", "en", "Thank you for calling. Have a great day!"),
    SamplePhrase("holiday", "en", "Happy New Year! Best wishes for the year ahead.", holiday="new_year"),
)
