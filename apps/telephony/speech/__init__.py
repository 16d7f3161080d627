"""Spoken values: numbers, digits, amounts, dates, times and the queue position read out from
word prompts, in Mandarin (``zh-Hans``) and English (``en``).

:mod:`.words` turns a value into prompt names (pure functions); :mod:`.generate` writes the word
prompts with espeak-ng at set-up (``manage.py generate_speech_prompts``). docs/ivr.md
("Spoken values") describes both.
"""
