"""Every file, folder and module the docs point at exists.

Code moves (issue 11 moved most of apps/telephony); a doc that still sends a reader to
``services/campaign_windows.py`` costs them the minute the layout was meant to save. Checked in
docs/*.md (not docs/decisions/, whose records describe the code of their day), in inline code:

- a path from the repository root (``apps/telephony/dialer/retry.py``, ``config/settings/``) must
  exist as written;
- a shorter path (``drivers/sim.py``, ``base.py`` after "Settings live in `config/settings/`") is
  read against the last folder from the root cited before it in the same paragraph, or failing
  that must be the end of some path in the repository (``api/campaign_desk.py``);
- a dotted module (``apps.core.events.publish_on_commit``) must be a module, and what follows it
  a name the module defines or imports.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

from tests.core.source_walk import ROOT

DOCS = sorted([*(ROOT / "docs").glob("*.md"), ROOT / "README.md", ROOT / "CONTRIBUTING.md"])
CODE = re.compile(r"`([^`\n]+)`")
PATH = re.compile(r"^[\w.-]+(/[\w.-]+)*(\.(py|js|html|css)|/)$")
MODULE = re.compile(r"^apps(\.\w+)+$")
TOP = ("apps/", "config/", "tests/", "bench/", "static/", "templates/", "docs/", "deploy/", "locale/")
# Folders are checked from these roots only: others in the docs are made at run time (`media/`,
# `.data/sip/`) or are URL prefixes (`static/sipjs/`).
CODE_FOLDERS = tuple(top for top in TOP if top != "static/")
SKIP = {".git", ".venv", "node_modules", "staticfiles", ".data", "__pycache__"}


@cache
def repository_paths() -> tuple[str, ...]:
    """Every file and folder of the repository, relative, folders ending in "/"."""
    found: list[str] = []
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if relative.parts and relative.parts[0] in SKIP or "__pycache__" in relative.parts:
            continue
        found.append(f"{relative}/" if path.is_dir() else str(relative))
    return tuple(found)


def _exists(path: str) -> bool:
    return (ROOT / path).is_dir() if path.endswith("/") else (ROOT / path).is_file()


def path_problem(token: str, folder: str | None) -> str | None:
    if token.endswith("/") and not (token.startswith(CODE_FOLDERS) or folder is not None):
        return None
    if token.startswith(TOP) or folder is None and _exists(token):
        return None if _exists(token) else "no such path"
    if folder is not None and _exists(folder + token):
        return None
    if _exists(token) or any(p == token or p.endswith("/" + token) for p in repository_paths()):
        return None
    return "no such path" + (f" (nor under {folder})" if folder else "")


def _defined_names(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def module_problem(token: str) -> str | None:
    parts = token.split(".")
    for end in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:end])
        module = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        if not module.is_file():
            continue
        rest = parts[end:]
        if not rest or rest[0] in _defined_names(module):
            return None
        return f"{'.'.join(parts[:end])} defines no {rest[0]}"
    return "no such module"


def cited(doc: Path) -> list[tuple[int, str, str | None]]:
    """(line, token, the last folder cited before it in its paragraph) for each path or module."""
    found: list[tuple[int, str, str | None]] = []
    folder: str | None = None
    in_fence = False
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if not line.strip():
            folder = None
            continue
        for token in CODE.findall(line):
            token = token.strip()
            if PATH.match(token) and "//" not in token:
                found.append((number, token, folder))
                if token.endswith("/") and token.startswith(CODE_FOLDERS):
                    folder = token  # shorter paths after it are read from here
            elif MODULE.match(token):
                found.append((number, token, None))
    return found


def test_every_path_and_module_the_docs_cite_exists():
    problems = []
    for doc in DOCS:
        for number, token, folder in cited(doc):
            problem = module_problem(token) if MODULE.match(token) else path_problem(token, folder)
            if problem:
                problems.append(f"{doc.relative_to(ROOT)}:{number}: `{token}`: {problem}")
    assert problems == [], "\n".join(problems)


def test_the_check_catches_a_moved_file():
    assert path_problem("apps/telephony/services/campaign_windows.py", None) == "no such path"
    assert path_problem("campaign_windows.py", "apps/telephony/services/") is not None
    assert path_problem("drivers/sim.py", "apps/telephony/engine/") is None
    assert module_problem("apps.core.events.publish_on_commit") is None
    assert module_problem("apps.core.events.publish_later") == "apps.core.events defines no publish_later"
