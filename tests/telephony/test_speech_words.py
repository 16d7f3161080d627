"""Spoken values: the prompt names a value is read out from, in English and Mandarin."""

from __future__ import annotations

import datetime as dt
import wave

import pytest

from apps.telephony.speech import words
from apps.telephony.speech.words import SpeechError, text


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (0, "零", "zero"),
        (10, "十", "ten"),
        (15, "十五", "fifteen"),
        (100, "一百", "one hundred"),
        (110, "一百一十", "one hundred ten"),
        (1000, "一千", "one thousand"),
        (1001, "一千零一", "one thousand one"),
        (1010, "一千零一十", "one thousand ten"),
        (1234, "一千二百三十四", "one thousand two hundred thirty four"),
        (10000, "一万", "ten thousand"),
        (10002, "一万零二", "ten thousand two"),
        (100000, "十万", "one hundred thousand"),
        (150000, "十五万", "one hundred fifty thousand"),
        (10010000, "一千零一万", "ten million ten thousand"),
        (10000100, "一千万零一百", "ten million one hundred"),
        (100000001, "一亿零一", "one hundred million one"),
        (-7, "负七", "minus seven"),
        ("2,048", "二千零四十八", "two thousand forty eight"),
    ],
)
def test_numbers(value, zh, en):
    assert text(words.number(value, "zh-Hans")) == zh
    assert text(words.number(value, "en")) == en


def test_prompt_names_are_valid_prompt_names_and_all_known():
    from apps.telephony.ivr.schema import AUDIO_NAME_RE

    assert words.number(1234, "en") == [
        "say.en.one",
        "say.en.thousand",
        "say.en.two",
        "say.en.hundred",
        "say.en.thirty",
        "say.en.four",
    ]
    assert words.number(10002, "zh-Hans") == ["say.zh.yi", "say.zh.wan", "say.zh.ling", "say.zh.er"]
    for name in words.WORDS:
        assert AUDIO_NAME_RE.match(name), name
    produced = (
        words.number(987654321012, "en")
        + words.number(987654321012, "zh")
        + words.amount("1.01", "en", "USD")
        + words.date("2026-12-08", "en")
        + words.time("23:59", "zh")
        + words.ordinal(88, "en")
        + words.position_announcement(2, 61, "en")
        + words.position_announcement(2, 61, "zh")
    )
    assert set(produced) <= set(words.WORDS)


@pytest.mark.parametrize(
    ("value", "language", "currency", "spoken"),
    [
        ("12.34", "zh-Hans", "CNY", "十二元三角四分"),
        ("12.05", "zh-Hans", "CNY", "十二元零五分"),
        ("12", "zh-Hans", "CNY", "十二元整"),
        ("0.5", "zh-Hans", "CNY", "五角"),
        ("0", "zh-Hans", "CNY", "零元"),
        ("10002.30", "zh-Hans", "CNY", "一万零二元三角"),
        ("12.34", "zh-Hans", "USD", "十二美元三十四美分"),
        ("12.34", "en", "USD", "twelve dollars and thirty four cents"),
        ("1.01", "en", "USD", "one dollar and one cent"),
        ("0.99", "en", "USD", "ninety nine cents"),
        ("1000", "en", "USD", "one thousand dollars"),
        ("12.345", "en", "CNY", "twelve yuan and thirty five fen"),  # rounded half up
        ("¥8.80", "zh-Hans", "CNY", "八元八角"),
    ],
)
def test_amounts(value, language, currency, spoken):
    assert text(words.amount(value, language, currency)) == spoken


def test_dates_times_ordinals_digits():
    assert text(words.date("2026-12-08", "zh-Hans")) == "二零二六年十二月八日"
    assert text(words.date(dt.date(2026, 12, 8), "en")) == "december eighth twenty twenty six"
    assert text(words.date("20050131", "en")) == "january thirty first two thousand five"
    assert text(words.date("1999-10-01", "en")) == "october first nineteen ninety nine"
    assert text(words.time("14:05", "zh-Hans")) == "下午两点零五分"
    assert text(words.time("09:00", "en")) == "nine o'clock A M"
    assert text(words.time("14:05", "en")) == "two oh five P M"
    assert text(words.time("00:30", "en")) == "twelve thirty A M"
    assert text(words.ordinal(21, "en")) == "twenty first"
    assert text(words.ordinal(100, "en")) == "one hundredth"
    assert text(words.ordinal(3, "zh-Hans")) == "第三"
    assert text(words.digits("1024#", "en")) == "one zero two four pound"
    assert text(words.digits("13900001111", "zh-Hans")) == "一三九零零零零一一一一"


def test_position_announcement():
    assert (
        text(words.position_announcement(3, 200, "en"))
        == "You are number three in the queue. The expected wait is about four minutes."
    )
    assert text(words.position_announcement(1, 45, "en")) == (
        "You are number one in the queue. The expected wait is less than a minute."
    )
    assert text(words.position_announcement(12, 60, "zh-Hans")) == "您是队列中的第十二位预计等待约一分钟"
    assert text(words.position_announcement(2, None, "zh-Hans")) == "您是队列中的第二位"
    assert words.position_announcement(None, None, "en") == []


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("number", "12a"),
        ("number", True),
        ("amount", "abc"),
        ("date", "2026-13-01"),
        ("time", "25:00"),
        ("ordinal", 0),
        ("digits", "abc"),
        ("colour", 1),
    ],
)
def test_values_that_do_not_fit_raise(kind, value):
    with pytest.raises(SpeechError):
        words.say(kind, value, "en")


def test_espeak_generates_8khz_mono_word_prompts(tmp_path):
    from apps.telephony.speech.generate import generate_speech_prompts

    names = ["say.en.seven", "say.zh.wan"]
    assert generate_speech_prompts(tmp_path, names=names) == 2
    assert generate_speech_prompts(tmp_path, names=names) == 0  # only missing files
    for name in names:
        with wave.open(str(tmp_path / f"{name}.wav"), "rb") as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
            assert 0.1 < wav.getnframes() / 8000 < 2.0
