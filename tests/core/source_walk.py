"""Reading apps/ as source, for the tests that hold the docs to the code.

The docs tests ask "which error codes / realtime message types does the code produce?" without
running every path, so they read the syntax tree. Two shapes hide a literal behind a name and
are followed here: a module constant (``dialling.PREMIUM``) and a small factory that passes its
parameter on (``_file_error(code, message)`` → ``ApplicationError(code, …)``, or
``_agent_action(kind, …)`` → ``{"type": kind, …}``): the literals its callers pass count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ROOT / "apps"


@dataclass(frozen=True)
class Module:
    path: Path
    tree: ast.Module

    @property
    def name(self) -> str:
        return str(self.path.relative_to(ROOT)) if self.path.is_relative_to(ROOT) else str(self.path)


def parse(path: Path) -> Module:
    return Module(path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))


def modules(*extra: Path) -> list[Module]:
    """apps/ (and ``extra`` files: the tests' made-up producers)."""
    return [parse(path) for path in [*sorted(APPS.rglob("*.py")), *extra] if "migrations" not in path.parts]


def module_constants(mods: list[Module]) -> dict[str, set[str]]:
    """Module-level ``NAME = "literal"`` across apps/, by name (a name used in two modules keeps both)."""
    found: dict[str, set[str]] = {}
    for module in mods:
        for node in module.tree.body:
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            value = getattr(node, "value", None)
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                for target in targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, set()).add(value.value)
    return found


def call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def strings(node: ast.expr | None, constants: dict[str, set[str]]) -> set[str] | None:
    """The literal strings ``node`` can be, or None when it is not made of literals and constants."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = strings(node.body, constants), strings(node.orelse, constants)
        return None if body is None or orelse is None else body | orelse
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    if name is not None and name.isupper() and name in constants:
        return set(constants[name])
    return None


def functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def parameter_position(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> tuple[int | None, str] | None:
    """Where a caller passes parameter ``name``: (positional index or None, keyword); None if no such parameter."""
    positional = [*function.args.posonlyargs, *function.args.args]
    names = [argument.arg for argument in positional]
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    if name in names:
        return names.index(name), name
    if name in [argument.arg for argument in function.args.kwonlyargs]:
        return None, name
    return None


def passed(call: ast.Call, position: tuple[int | None, str]) -> ast.expr | None:
    index, keyword = position
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    if index is not None and index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[index]
    return None


def calls_of(mods: list[Module], home: Module, name: str) -> Iterator[tuple[Module, ast.Call]]:
    """The calls of function ``name`` defined in ``home``: a private one (``_x``) is called from
    its own module only, a public one from anywhere (matched by name: close enough here)."""
    for module in [home] if name.startswith("_") else mods:
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call) and call_name(node) == name:
                yield module, node
