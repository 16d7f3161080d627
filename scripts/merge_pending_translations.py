"""Fill the zh-Hans catalog from translation fragments written while several people work at once.

Editing one django.po from several branches of work at the same time ends in conflicts, so
work in progress leaves its new strings in ``locale/pending/<area>.json`` as
``{"msgid": "msgstr"}`` or in ``locale/pending/<area>.po`` (ordinary PO entries). After ``manage.py makemessages -l zh_Hans -l en`` has added the new
msgids to the catalog, this script copies the fragments' translations into entries that are
still empty or fuzzy (never overwriting a reviewed translation), prints what it could not
place, and deletes the fragments it used completely.

Usage: python scripts/merge_pending_translations.py [--keep]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PENDING = ROOT / "locale" / "pending"


def main(argv: list[str]) -> int:
    keep = "--keep" in argv
    catalog = polib.pofile(str(CATALOG))
    # Keyed by (context, msgid): one English word may have two Chinese meanings (pgettext).
    by_id = {(entry.msgctxt, entry.msgid): entry for entry in catalog if not entry.obsolete}
    filled = 0
    unplaced: dict[str, list[tuple[str | None, str]]] = {}
    for fragment in sorted([*PENDING.glob("*.json"), *PENDING.glob("*.po")]):
        if fragment.suffix == ".po":
            pairs = {
                (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural.get(0, "")
                for entry in polib.pofile(str(fragment))
                if entry.msgid and (entry.msgstr or entry.msgstr_plural.get(0))
            }
        else:
            pairs = {
                (None, msgid): msgstr for msgid, msgstr in json.loads(fragment.read_text(encoding="utf-8")).items()
            }
        missing = []
        for key, msgstr in pairs.items():
            entry = by_id.get(key)
            if entry is None:
                missing.append(key)
                continue
            if entry.msgid_plural:
                if not any(entry.msgstr_plural.values()) or entry.fuzzy:
                    entry.msgstr_plural = {0: msgstr}
                    filled += 1
            elif not entry.msgstr or entry.fuzzy:
                entry.msgstr = msgstr
                filled += 1
            if entry.fuzzy:
                entry.flags.remove("fuzzy")
                entry.previous_msgid = None
                entry.previous_msgctxt = None
                entry.previous_msgid_plural = None
        if missing:
            unplaced[fragment.name] = missing
        elif not keep:
            fragment.unlink()
    catalog.save(str(CATALOG))
    print(f"filled {filled} entries")
    for name, keys in unplaced.items():
        print(f"{name}: {len(keys)} msgids not in the catalog (run makemessages first?):")
        for context, msgid in keys[:20]:
            print(f"  {msgid!r}" + (f" (context {context!r})" if context else ""))
    untranslated = [e.msgid for e in catalog.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in catalog.fuzzy_entries()]
    print(f"still untranslated: {len(untranslated)}, fuzzy: {len(fuzzy)}")
    for msgid in (untranslated + fuzzy)[:40]:
        print(f"  {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
