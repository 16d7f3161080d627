"""Every question our pages ask goes through the shared dialog (static/js/ui.js ``ui.confirm`` or a
``data-confirm`` attribute): the browser's own ``window.confirm`` is unstyled, untranslatable in
its buttons, and blocks the realtime feed behind it (the wallboard's "release call" used it)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BROWSER_CONFIRM = re.compile(r"(?<![\w.])(?:window\.)?confirm\(|window\.confirm\(")


def test_no_page_script_calls_the_browsers_confirm():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "static/js").glob("*.js"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if BROWSER_CONFIRM.search(line.split("//", 1)[0])
    ]

    assert offenders == []


def test_the_wallboard_asks_before_releasing_a_call_with_the_shared_dialog():
    script = (ROOT / "static/js/wallboard.js").read_text()

    assert re.search(r"window\.ui\.confirm\(labels\.confirm_release, true,", script)
