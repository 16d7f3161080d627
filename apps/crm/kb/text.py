"""Turning article text and questions into search terms, for Chinese and English alike.

Chinese has no spaces, so PostgreSQL's parser would take a whole sentence for one word. Stored
text is cut into overlapping character bigrams (退款申请 → 退款 款申 申请) for the 'simple'
text-search configuration; Latin-script words go to the 'english' configuration, which stems
them (refunds → refund). A question is first segmented by jieba so that its function words
(我想…怎么办, "how do I") can be dropped, then its content words are cut into bigrams the same
way. docs/decisions/0025-kb-search.md has the measurements behind this choice (jieba words in
the index, pure n-grams, both combined, and this).

jieba's dictionary ships in its package; loading it costs about a second, so it happens once per
process, on first use, under a lock (web workers are threaded).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN_RE = re.compile(rf"[{_CJK}]+|[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_CJK_RE = re.compile(rf"[{_CJK}]")

# Contact-center words jieba's general dictionary splits (or joins) wrongly; the business's own
# terms keep their meaning as one word. Added once when the segmenter loads.
DOMAIN_WORDS = (
    "携号转网",
    "欠费停机",
    "停机保号",
    "宽带报修",
    "实名认证",
    "流量包",
    "国际漫游",
    "话费",
    "补卡",
    "挂失",
    "改签",
    "退票",
    "电子发票",
    "增值税专用发票",
    "七天无理由",
    "运费险",
    "以旧换新",
    "分期付款",
    "最低还款",
    "销户",
    "密码重置",
    "验证码",
    "光猫",
    "保修期",
    "积分兑换",
    "优惠券",
    "会员等级",
    "投诉升级",
    "工单",
    "回访",
    "满意度",
    "副卡",
    "套餐变更",
    "预约上门",
    "人工客服",
)

# Function words of questions (我想…怎么办, 请问…吗): they match every article equally.
_ZH_FUNCTION_WORDS = (
    "我 我们 你 你们 您 他 她 它 想 要 想要 请问 请 怎么 怎么办 怎样 怎么样 如何 什么 为什么 为啥 吗 呢 吧 啊 呀 的 地 得 了 着 过 "
    "是 在 有 和 与 及 或 能 能否 可以 可不可以 一下 这个 那个 这 那 哪 哪里 哪儿 哪个 多少 几 会 就 都 也 还 又 没有 "
    "给 把 被 让 帮 帮忙 一个 如果 时候 需要 应该 到底 现在 已经 所以 因为 但是 然后 自己 还是 就是 一直 问 问一下 下 "
    "个 该 么 嘛 哦 喔 呃 对 上 中 从 将 向 为 不 没 不能 能不能 可能 不是 一点 一些 这样 那样"
)
ZH_STOPWORDS = frozenset(_ZH_FUNCTION_WORDS.split())
# PostgreSQL's 'english' configuration drops these too; dropping them here keeps them out of the
# highlights and out of the OR-query (an empty term would only draw a notice).
_EN_FUNCTION_WORDS = (
    "a about above after again against all am an and any are as at be because been before being below between both "
    "but by can could did do does doing down during each few for from further had has have having he her here hers "
    "herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on "
    "once only or other our ours ourselves out over own same she should so some such than that the their theirs them "
    "themselves then there these they this those through to too under until up very was we were what when where "
    "which while who whom why will with would you your yours yourself yourselves please hi hello can't cannot i'm "
    "i've don't doesn't didn't want need get got tell know way help"
)
EN_STOPWORDS = frozenset(_EN_FUNCTION_WORDS.split())

_lock = threading.Lock()
_segmenter: Any = None


def _jieba() -> Any:
    """jieba's tokenizer, loaded once per process (the first search or save pays ~1 s)."""
    global _segmenter  # noqa: PLW0603 -- a process-wide, lazily loaded dictionary
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                import jieba  # noqa: PLC0415 -- heavy: its dictionary loads only when the KB is first used

                jieba.setLogLevel(60)  # it logs its loading at DEBUG/INFO to the root handler
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in DOMAIN_WORDS:
                    tokenizer.add_word(word, freq=20000)
                _segmenter = tokenizer
    return _segmenter


def is_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def _runs(text: str) -> list[str]:
    return _RUN_RE.findall(text or "")


def chinese_words(run: str) -> list[str]:
    """jieba's search-mode words of one run of Chinese characters (long words and their parts)."""
    return [w for w in _jieba().cut_for_search(run) if w.strip() and is_cjk(w)]


def cjk_bigrams(run: str) -> list[str]:
    """Overlapping character pairs of a run of Chinese characters (退款申请 → 退款 款申 申请)."""
    return [run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)]


@dataclass(frozen=True)
class IndexText:
    """What an article contributes to its stored search vector, per configuration."""

    chinese: str  # space-joined tokens → to_tsvector('simple', …)
    english: str  # Latin-script words and numbers → to_tsvector('english', …)


def index_text(text: str) -> IndexText:
    """The stored form (docs/decisions/0025): Chinese as character bigrams, English as words."""
    chinese: list[str] = []
    english: list[str] = []
    for run in _runs(text):
        if is_cjk(run):
            chinese.extend(cjk_bigrams(run))
        else:
            english.append(run.replace("’", "'"))
    return IndexText(" ".join(chinese), " ".join(english))


def segmented_text(text: str) -> IndexText:
    """The alternative the decision measured: Chinese as jieba's words instead of bigrams."""
    chinese: list[str] = []
    english: list[str] = []
    for run in _runs(text):
        if is_cjk(run):
            chinese.extend(chinese_words(run))
        else:
            english.append(run.replace("’", "'"))
    return IndexText(" ".join(chinese), " ".join(english))


@dataclass(frozen=True)
class QueryTerms:
    """A question as search terms: Chinese tokens, English words (stemmed by the database).
    ``prefixes`` are single Chinese characters, matched as the first half of a bigram."""

    chinese: list[str] = field(default_factory=list)
    english: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    # The bigrams of each Chinese content word (信用卡 → 信用, 用卡): a word is all of them.
    words: list[list[str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.chinese or self.english or self.prefixes)

    @property
    def all(self) -> list[str]:
        return [*self.chinese, *self.prefixes, *self.english]


def query_words(question: str, *, limit: int = 24) -> QueryTerms:
    """The question's content words, in order, without repeats or function words (jieba
    finds the Chinese words: 我想申请退款怎么办 → 申请, 退款)."""
    chinese: list[str] = []
    english: list[str] = []
    for run in _runs(question[:500]):
        if is_cjk(run):
            chinese.extend(w for w in chinese_words(run) if w not in ZH_STOPWORDS and w not in chinese)
        else:
            word = run.lower().replace("’", "'")
            if (len(word) > 1 or word.isdigit()) and word not in EN_STOPWORDS and word not in english:
                english.append(word)
    return QueryTerms(chinese[:limit], english[:limit])


def query_terms(question: str, *, limit: int = 40) -> QueryTerms:
    """The search terms of a question as the stored vectors hold them: the bigrams of its Chinese
    content words (a single-character word becomes a prefix), its English content words."""
    words = query_words(question)
    grams: list[str] = []
    prefixes: list[str] = []
    groups: list[list[str]] = []
    for word in words.chinese:
        if len(word) == 1:
            if word not in prefixes:
                prefixes.append(word)
            continue
        pieces = cjk_bigrams(word)
        # jieba's search mode also gives the words inside a long one (信用 in 信用卡): as a word of
        # its own it would make every 信用卡 article hold "two" of the question's words.
        inside_another = any(word != other and word in other for other in words.chinese)
        if not inside_another and len(grams) < limit:
            groups.append(pieces)
        grams.extend(g for g in pieces if g not in grams)
    return QueryTerms(grams[:limit], words.english, prefixes[:8], groups)


def ngram_text(text: str) -> str:
    """Chinese bigrams and English trigrams, space-joined: the pure n-gram alternative measured
    in docs/decisions/0025 (pg_trgm's idea; the embedded PostgreSQL cannot load pg_trgm)."""
    grams: list[str] = []
    for run in _runs(text):
        if is_cjk(run):
            grams.extend(cjk_bigrams(run))
        else:
            word = run.lower().replace("’", "").replace("'", "")
            grams.extend([word] if len(word) <= 3 else [word[i : i + 3] for i in range(len(word) - 2)])
    return " ".join(grams)


def ngram_query(question: str) -> list[str]:
    """The question's n-grams (without those of function words), no repeats."""
    grams: list[str] = []
    for word in query_words(question).all:
        for gram in ngram_text(word).split():
            if gram not in grams:
                grams.append(gram)
    return grams[:60]


_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "es", "ed", "ly", "s")


def stem_prefix(word: str) -> str:
    """A crude English stem for highlighting (refunds, refunded → refund); the database's own
    Snowball stemmer decides what matches, this only decides what gets marked."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word
