"""Values → the prompt names that speak them (pure: no I/O, no Django).

Every prompt name is ``say.<lang>.<word>`` with ``<lang>`` ``en`` or ``zh`` and an ASCII word
(``say.en.thousand``, ``say.zh.wan`` for 万), so it is a valid prompt name (letters, digits,
``.``, ``_``, ``-``) and a tenant may replace any of them by uploading a prompt with that name.
:data:`WORDS` maps each name to the text espeak-ng speaks for it (and the simulator shows).

>>> number(1234, "en")
['say.en.one', 'say.en.thousand', 'say.en.two', 'say.en.hundred', 'say.en.thirty', 'say.en.four']
>>> text(number(10002, "zh-Hans"))
'一万零二'
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

EN = "en"
ZH = "zh"
LANGUAGES = ("zh-Hans", "en")
KINDS = ("number", "digits", "amount", "date", "time", "ordinal")
CURRENCIES = ("CNY", "USD")
MAX_NUMBER = 999_999_999_999  # below a trillion (万亿): anything larger is read digit by digit


class SpeechError(ValueError):
    """A value that cannot be spoken as the kind asked (``"abc"`` as a number)."""


def lang_code(language: str | None) -> str:
    """``zh-Hans``/``zh-hans``/``zh``/``zh-CN`` → ``zh``; anything else → ``en``."""
    return ZH if (language or "").lower().startswith("zh") else EN


# --- the vocabulary -------------------------------------------------------------------------------

_EN_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
_EN_ORDINAL_ONES = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
]
_EN_ORDINAL_TENS = {
    2: "twentieth",
    3: "thirtieth",
    4: "fortieth",
    5: "fiftieth",
    6: "sixtieth",
    7: "seventieth",
    8: "eightieth",
    9: "ninetieth",
}
_EN_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_EN_EXTRA = {
    "hundred": "hundred",
    "thousand": "thousand",
    "million": "million",
    "billion": "billion",
    "hundredth": "hundredth",
    "thousandth": "thousandth",
    "millionth": "millionth",
    "billionth": "billionth",
    "minus": "minus",
    "point": "point",
    "and": "and",
    "dollar": "dollar",
    "dollars": "dollars",
    "cent": "cent",
    "cents": "cents",
    "yuan": "yuan",
    "fen": "fen",
    "oh": "oh",
    "oclock": "o'clock",
    "am": "A M",
    "pm": "P M",
    "star": "star",
    "pound": "pound",
    "you_are_number": "You are number",
    "in_the_queue": "in the queue.",
    "expected_wait_about": "The expected wait is about",
    "minute": "minute.",
    "minutes": "minutes.",
    "less_than_a_minute": "The expected wait is less than a minute.",
}
_ZH_DIGITS = ("ling", "yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu")
_ZH_TEXT = {
    "ling": "零",
    "yi": "一",
    "er": "二",
    "liang": "两",
    "san": "三",
    "si": "四",
    "wu": "五",
    "liu": "六",
    "qi": "七",
    "ba": "八",
    "jiu": "九",
    "shi": "十",
    "bai": "百",
    "qian": "千",
    "wan": "万",
    "yi4": "亿",
    "fu": "负",
    "dian3": "点",  # the decimal point
    "yuan": "元",
    "jiao": "角",
    "fen": "分",
    "zheng": "整",
    "meiyuan": "美元",
    "meifen": "美分",
    "nian": "年",
    "yue": "月",
    "ri": "日",
    "dian": "点",  # o'clock
    "fen_time": "分",
    "shangwu": "上午",
    "xiawu": "下午",
    "di": "第",
    "xing": "星",
    "jing": "井",
    "queue_position_intro": "您是队列中的",
    "wei": "位",
    "expected_wait_about": "预计等待约",
    "fenzhong": "分钟",
    "less_than_a_minute": "预计等待不到一分钟",
}

WORDS: dict[str, str] = {}
for _word in _EN_ONES + list(_EN_TENS.values()) + _EN_ORDINAL_ONES + list(_EN_ORDINAL_TENS.values()) + _EN_MONTHS:
    WORDS[f"say.{EN}.{_word}"] = _word
for _word, _spoken in _EN_EXTRA.items():
    WORDS[f"say.{EN}.{_word}"] = _spoken
for _word, _spoken in _ZH_TEXT.items():
    WORDS[f"say.{ZH}.{_word}"] = _spoken


def _names(lang: str, words: list[str]) -> list[str]:
    return [f"say.{lang}.{word}" for word in words]


def text(names: list[str]) -> str:
    """The words as text (the simulator's transcript): English words spaced, Chinese joined."""
    parts = [WORDS.get(name, name) for name in names]
    if names and all(name.startswith(f"say.{ZH}.") for name in names):
        return "".join(parts)
    return " ".join(parts)


# --- numbers ----------------------------------------------------------------------------------------


def _en_below_thousand(value: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(value, 100)
    if hundreds:
        words += [_EN_ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_EN_TENS[tens])
        if ones:
            words.append(_EN_ONES[ones])
    elif rest or not words:
        words.append(_EN_ONES[rest])
    return words


def _en_number(value: int) -> list[str]:
    if value == 0:
        return ["zero"]
    words: list[str] = []
    for scale, name in ((10**9, "billion"), (10**6, "million"), (10**3, "thousand")):
        part, value = divmod(value, scale)
        if part:
            words += _en_below_thousand(part) + [name]
    if value:
        words += _en_below_thousand(value)
    return words


def _zh_section(value: int) -> list[str]:
    """0 < value < 10000, zeros inside read once as 零 (1001 → 一千零一)."""
    words: list[str] = []
    pending_zero = False
    for unit_value, unit in ((1000, "qian"), (100, "bai"), (10, "shi"), (1, "")):
        digit = value // unit_value % 10
        if digit == 0:
            if words:
                pending_zero = True
            continue
        if pending_zero:
            words.append("ling")
            pending_zero = False
        words.append(_ZH_DIGITS[digit])
        if unit:
            words.append(unit)
    return words


def _zh_number(value: int) -> list[str]:
    if value == 0:
        return ["ling"]
    groups = []  # (section value, unit word), highest first
    for scale, unit in ((10**8, "yi4"), (10**4, "wan"), (1, "")):
        part, value = divmod(value, scale)
        groups.append((part, unit))
    words: list[str] = []
    zero_between = False
    for part, unit in groups:
        if part == 0:
            if words:
                zero_between = True
            continue
        if words and (zero_between or part < 1000):
            words.append("ling")
        zero_between = False
        words += _zh_section(part)
        if unit:
            words.append(unit)
    if words[:2] == ["yi", "shi"]:
        words = words[1:]  # 10–19 at the head: 十二, 十万 — not 一十二
    return words


def _integer(value) -> int:
    if isinstance(value, bool):
        raise SpeechError("not a number")
    if isinstance(value, int):
        return value
    raw = str(value).strip().replace(",", "")
    if not re.fullmatch(r"-?\d+", raw):
        raise SpeechError(f"not a whole number: {value!r}")
    return int(raw)


def number(value, language: str = "en") -> list[str]:
    """A whole number: 1234 → one thousand two hundred thirty four / 一千二百三十四; negative
    numbers start with minus / 负. Beyond :data:`MAX_NUMBER` it is read digit by digit."""
    lang = lang_code(language)
    amount = _integer(value)
    prefix = ["minus" if lang == EN else "fu"] if amount < 0 else []
    amount = abs(amount)
    if amount > MAX_NUMBER:
        return _names(lang, prefix) + digits(str(amount), language)
    words = _en_number(amount) if lang == EN else _zh_number(amount)
    return _names(lang, prefix + words)


def digits(value, language: str = "en") -> list[str]:
    """Digit by digit (a phone or order number): 1024# → one zero two four pound / 一零二四井.
    Characters other than 0–9, ``*`` and ``#`` are skipped."""
    lang = lang_code(language)
    words: list[str] = []
    for char in str(value):
        if char.isdigit() and char.isascii():
            words.append(_EN_ONES[int(char)] if lang == EN else _ZH_DIGITS[int(char)])
        elif char == "*":
            words.append("star" if lang == EN else "xing")
        elif char == "#":
            words.append("pound" if lang == EN else "jing")
    if not words:
        raise SpeechError(f"no digits in {value!r}")
    return _names(lang, words)


def ordinal(value, language: str = "en") -> list[str]:
    """3 → third / 第三; 21 → twenty first; 100 → one hundredth."""
    lang = lang_code(language)
    amount = _integer(value)
    if amount < 1:
        raise SpeechError("an ordinal starts at 1")
    if lang == ZH:
        return _names(ZH, ["di"]) + number(amount, language)
    words = _en_number(amount)
    last = words[-1]
    if last in _EN_ONES:
        words[-1] = _EN_ORDINAL_ONES[_EN_ONES.index(last)]
    elif last in _EN_TENS.values():
        tens = next(key for key, word in _EN_TENS.items() if word == last)
        words[-1] = _EN_ORDINAL_TENS[tens]
    else:
        words[-1] = f"{last}th"  # hundredth, thousandth, millionth, billionth
    return _names(EN, words)


def _decimal(value) -> Decimal:
    if isinstance(value, bool):
        raise SpeechError("not an amount")
    try:
        amount = Decimal(str(value).strip().replace(",", "").lstrip("¥$"))
    except InvalidOperation as error:
        raise SpeechError(f"not an amount: {value!r}") from error
    if not amount.is_finite():
        raise SpeechError(f"not an amount: {value!r}")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def amount(value, language: str = "en", currency: str = "CNY") -> list[str]:
    """Money with cents. zh CNY: 12.34 → 十二元三角四分, 12.05 → 十二元零五分, 12 → 十二元整,
    0.5 → 五角; zh USD: 十二美元三十四美分. en: 12.34 → twelve dollars and thirty four cents
    (CNY: twelve yuan and thirty four fen); 1 → one dollar; 0.01 → one cent."""
    lang = lang_code(language)
    money = _decimal(value)
    negative = money < 0
    whole, cents = divmod(int(abs(money) * 100), 100)
    words: list[str] = []
    if lang == ZH:
        if currency == "USD":
            if whole or not cents:
                words += _zh_number(whole) + ["meiyuan"]
            if cents:
                words += _zh_number(cents) + ["meifen"]
        else:
            jiao, fen = divmod(cents, 10)
            if whole or not cents:
                words += _zh_number(whole) + ["yuan"]
            if not cents:
                if whole:
                    words.append("zheng")
            else:
                if jiao:
                    words += [_ZH_DIGITS[jiao], "jiao"]
                elif whole:
                    words.append("ling")
                if fen:
                    words += [_ZH_DIGITS[fen], "fen"]
        return _names(ZH, (["fu"] if negative else []) + words)
    unit, units, sub, subs = (
        ("dollar", "dollars", "cent", "cents") if currency == "USD" else ("yuan", "yuan", "fen", "fen")
    )
    if whole or not cents:
        words += _en_number(whole) + [unit if whole == 1 else units]
    if cents:
        if whole:
            words.append("and")
        words += _en_number(cents) + [sub if cents == 1 else subs]
    return _names(EN, (["minus"] if negative else []) + words)


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = str(value).strip()
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        pass
    if re.fullmatch(r"\d{8}", raw):
        try:
            return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        except ValueError:
            pass
    raise SpeechError(f"not a date (YYYY-MM-DD): {value!r}")


def _en_year(year: int) -> list[str]:
    """2026 → twenty twenty six; 2005 → two thousand five; 1999 → nineteen ninety nine; 1900 →
    nineteen hundred."""
    if 2000 <= year <= 2009 or year < 1000 or year > 9999:
        return _en_number(year)
    high, low = divmod(year, 100)
    if low == 0:
        return _en_number(high) + ["hundred"]
    if low < 10:
        return _en_number(high) + ["oh", _EN_ONES[low]]
    return _en_number(high) + _en_number(low)


def date(value, language: str = "en") -> list[str]:
    """A date (``2026-12-08``): December eighth, twenty twenty six / 二零二六年十二月八日."""
    lang = lang_code(language)
    day = _date(value)
    if lang == ZH:
        year = [_ZH_DIGITS[int(char)] for char in f"{day.year:04d}"]
        words = year + ["nian"] + _zh_number(day.month) + ["yue"] + _zh_number(day.day) + ["ri"]
        return _names(ZH, words)
    words = [_EN_MONTHS[day.month - 1]]
    return _names(EN, words) + ordinal(day.day, "en") + _names(EN, _en_year(day.year))


def _time(value) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    raw = str(value).strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", raw)
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return dt.time(int(match[1]), int(match[2]))
    raise SpeechError(f"not a time (HH:MM): {value!r}")


def time(value, language: str = "en") -> list[str]:
    """A time of day (``14:05``): two oh five P M / 下午两点零五分; ``09:00``: nine o'clock A M /
    上午九点."""
    lang = lang_code(language)
    moment = _time(value)
    hour12 = moment.hour % 12 or 12
    if lang == ZH:
        words = ["shangwu" if moment.hour < 12 else "xiawu"]
        words += ["liang"] if hour12 == 2 else _zh_number(hour12)
        words.append("dian")
        if moment.minute:
            words += (["ling"] if moment.minute < 10 else []) + _zh_number(moment.minute) + ["fen_time"]
        return _names(ZH, words)
    words = _en_number(hour12)
    if moment.minute == 0:
        words.append("oclock")
    elif moment.minute < 10:
        words += ["oh", _EN_ONES[moment.minute]]
    else:
        words += _en_number(moment.minute)
    words.append("am" if moment.hour < 12 else "pm")
    return _names(EN, words)


def say(kind: str, value, language: str = "en", *, currency: str = "CNY") -> list[str]:
    """Dispatch on ``kind`` (:data:`KINDS`); raises :class:`SpeechError` for a value that does not fit."""
    if kind == "number":
        return number(value, language)
    if kind == "digits":
        return digits(value, language)
    if kind == "amount":
        return amount(value, language, currency)
    if kind == "date":
        return date(value, language)
    if kind == "time":
        return time(value, language)
    if kind == "ordinal":
        return ordinal(value, language)
    raise SpeechError(f"unknown kind {kind!r}")


def position_announcement(position: int | None, expected_wait_seconds: float | None, language: str = "en") -> list[str]:
    """The queue announcement: "You are number 3 in the queue. The expected wait is about 4
    minutes." / 您是队列中的第三位，预计等待约四分钟. Either part is left out when unknown; a
    wait under a minute says so; longer waits are rounded up to whole minutes (an estimate errs towards patience)."""
    lang = lang_code(language)
    words: list[str] = []
    if position is not None and position >= 1:
        if lang == ZH:
            words += _names(ZH, ["queue_position_intro", "di"]) + number(position, language) + _names(ZH, ["wei"])
        else:
            words += _names(EN, ["you_are_number"]) + number(position, language) + _names(EN, ["in_the_queue"])
    if expected_wait_seconds is not None and expected_wait_seconds >= 0:
        minutes = -(-int(expected_wait_seconds) // 60)
        if expected_wait_seconds < 60:
            words += _names(lang, ["less_than_a_minute"])
        elif lang == ZH:
            words += _names(ZH, ["expected_wait_about"]) + number(minutes, language) + _names(ZH, ["fenzhong"])
        else:
            words += (
                _names(EN, ["expected_wait_about"])
                + number(minutes, language)
                + _names(EN, ["minute" if minutes == 1 else "minutes"])
            )
    return words
