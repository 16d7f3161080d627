"""Check the translation catalogs; exit 1 if anything needs a translator.

For every target-language catalog (all of locale/*/LC_MESSAGES/django.po except the
source language, English) it reports:
- entries with an empty msgstr (or an empty plural form),
- entries still marked "#, fuzzy",
- placeholders that differ between msgid and msgstr: printf style (%(name)s, %d, %s),
  python-brace ({name}) when the entry is flagged python-brace-format, and the
  {{ var }} of blocktrans blocks.
The source catalog only has to exist.

Usage: python scripts/check_translations.py [LOCALE_DIR]   (default: ./locale)
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import polib

SOURCE_LANGUAGE = "en"
REQUIRED = ("en", "zh_Hans")

# %(name)s, %(n)d, %s, %d, %.1f …; "%%" is a literal percent sign and is not a placeholder.
PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifeEgGxXocr%]")
BRACE = re.compile(r"\{[^{}]*\}")
TEMPLATE_VARIABLE = re.compile(r"\{\{\s*[^}]*?\s*\}\}")


def placeholders(text: str, flags: list[str]) -> Counter:
    found: Counter = Counter()
    if "python-format" in flags or "c-format" in flags:
        found.update(m for m in PRINTF.findall(text) if m != "%%")
    if "python-brace-format" in flags:
        found.update(BRACE.findall(text))
    found.update(re.sub(r"\s+", "", m) for m in TEMPLATE_VARIABLE.findall(text))
    return found


def describe(entry: polib.POEntry) -> str:
    where = f"{entry.occurrences[0][0]}:{entry.occurrences[0][1]}" if entry.occurrences else f"line {entry.linenum}"
    context = f" [{entry.msgctxt}]" if entry.msgctxt else ""
    return f"{where}{context} {entry.msgid!r}"


def check_entry(entry: polib.POEntry) -> list[str]:
    problems = []
    if "fuzzy" in entry.flags:
        problems.append("fuzzy")
    if entry.msgid_plural:
        forms = entry.msgstr_plural
        if not forms or any(not text.strip() for text in forms.values()):
            problems.append("empty plural form")
        expected = placeholders(entry.msgid_plural, entry.flags)
        for index, text in sorted(forms.items()):
            if text.strip() and placeholders(text, entry.flags) != expected:
                problems.append(
                    f"placeholders differ in msgstr[{index}]: "
                    f"{sorted(expected.elements())} vs {sorted(placeholders(text, entry.flags).elements())}"
                )
    else:
        if not entry.msgstr.strip():
            problems.append("empty msgstr")
        else:
            expected, got = placeholders(entry.msgid, entry.flags), placeholders(entry.msgstr, entry.flags)
            if expected != got:
                problems.append(f"placeholders differ: {sorted(expected.elements())} vs {sorted(got.elements())}")
    return problems


def check_catalog(path: Path) -> int:
    catalog = polib.pofile(str(path))
    count = 0
    for entry in catalog:
        if entry.obsolete:
            continue
        for problem in check_entry(entry):
            print(f"{path}: {describe(entry)}: {problem}")
            count += 1
    return count


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "locale"
    problems = 0
    for language in REQUIRED:
        if not (root / language / "LC_MESSAGES" / "django.po").exists():
            print(f"{root / language / 'LC_MESSAGES' / 'django.po'}: missing catalog")
            problems += 1
    checked = 0
    for path in sorted(root.glob("*/LC_MESSAGES/django.po")):
        if path.parts[-3] == SOURCE_LANGUAGE:
            continue
        problems += check_catalog(path)
        checked += 1
    print(f"checked {checked} catalog(s): {problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
