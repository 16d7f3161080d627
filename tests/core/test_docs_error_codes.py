"""Every error code the product can answer with is in docs/api.md, with its HTTP status.

Codes are part of the API contract (apps/core/errors.py), so a new one must be documented the
day it is raised. The codes are read from the source, not from a list kept by hand:

- ``ApplicationError(code, …)`` and its subclasses (found in apps/, with their class-level
  ``status``), including codes passed through a small factory or a module constant;
- error bodies written by hand (``{"code": …, "message": …}``: the suspended-tenant middleware,
  the lockout response, the SIP plane's internal endpoint);
- the codes the DRF exception handler (apps/core/api/errors.py) produces itself from DRF's own
  exceptions (``invalid`` for every validation error, ``not_authenticated``, ``throttled``, …).

A code raised with a status the docs do not give it fails too. A code that is neither a literal
nor a constant nor a re-raise of another error's ``.code`` fails as "unresolved": make it one.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from rest_framework import exceptions

from tests.core.source_walk import (
    ROOT,
    Module,
    call_name,
    calls_of,
    module_constants,
    modules,
    parameter_position,
    passed,
    strings,
)

API_DOC = ROOT / "docs" / "api.md"
BASE_ERROR = "ApplicationError"
HANDLER = ROOT / "apps" / "core" / "api" / "errors.py"


def error_classes(mods: list[Module]) -> dict[str, int]:
    """ApplicationError and its subclasses in apps/, with their default status."""
    classes: dict[str, int] = {}
    definitions = [node for module in mods for node in ast.walk(module.tree) if isinstance(node, ast.ClassDef)]
    for node in definitions:
        if node.name == BASE_ERROR:
            classes[BASE_ERROR] = _class_status(node) or 400
    changed = True
    while changed:
        changed = False
        for node in definitions:
            bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", None) for b in node.bases]
            parent = next((base for base in bases if base in classes), None)
            if parent is not None and node.name not in classes:
                classes[node.name] = _class_status(node) or classes[parent]
                changed = True
    return classes


def _class_status(node: ast.ClassDef) -> int | None:
    for item in node.body:
        if not isinstance(item, ast.Assign):
            continue
        named = any(isinstance(target, ast.Name) and target.id == "status" for target in item.targets)
        if named and isinstance(item.value, ast.Constant) and isinstance(item.value.value, int):
            return item.value.value
    return None


def _int_constants(mods: list[Module]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for module in mods:
        for node in module.tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and type(node.value.value) is int:
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id.isupper():
                        found.setdefault(target.id, set()).add(node.value.value)
    return found


def _status_keyword(call: ast.Call, default: int | None, numbers: dict[str, set[int]]) -> int | None:
    for item in call.keywords:
        if item.arg == "status":
            value = item.value
            if isinstance(value, ast.Constant) and isinstance(value.value, int):
                return value.value
            name = value.id if isinstance(value, ast.Name) else getattr(value, "attr", None)
            values = numbers.get(name or "", set())
            return next(iter(values)) if len(values) == 1 else None
    return default


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


def _enclosing_function(node: ast.AST, parents: dict[ast.AST, ast.AST]):
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node
    return None


def _is_reraise(node: ast.expr | None) -> bool:
    """``ApplicationError(error.code, …)``: passing on a code raised (and checked) elsewhere."""
    return isinstance(node, ast.Attribute) and node.attr == "code"


def raised_codes(*extra: Path) -> tuple[dict[str, set[int | None]], list[str]]:
    """code → the statuses it is raised with (None: not a literal), and the places that could not be read."""
    mods = modules(*extra)
    constants = module_constants(mods)
    classes = error_classes(mods)
    numbers = _int_constants(mods)
    codes: dict[str, set[int | None]] = {}
    unresolved: list[str] = []
    factories: list[tuple[Module, str, tuple[int | None, str], int | None]] = []

    def add(values: set[str], status: int | None) -> None:
        for value in values:
            codes.setdefault(value, set()).add(status)

    for module in mods:
        parents = _parents(module.tree)
        for node in ast.walk(module.tree):
            name = call_name(node) if isinstance(node, ast.Call) else None
            if isinstance(node, ast.Call) and name is not None and name in classes:
                status = _status_keyword(node, classes[name], numbers)
                expression = (
                    node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "code"), None)
                )
                values = strings(expression, constants)
                if values is not None:
                    add(values, status)
                    continue
                if _is_reraise(expression):
                    continue
                function = _enclosing_function(node, parents)
                position = (
                    parameter_position(function, expression.id)
                    if function is not None and isinstance(expression, ast.Name)
                    else None
                )
                if position is None:
                    unresolved.append(f"{module.name}:{node.lineno}")
                else:
                    factories.append((module, function.name, position, status))
            elif isinstance(node, ast.Dict):
                keys = {key.value for key in node.keys if isinstance(key, ast.Constant)}
                if not {"code", "message"} <= keys:
                    continue
                expression = next(
                    v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "code"
                )
                values = strings(expression, constants)
                parent = parents.get(node)
                status = None
                first = parent.elts[0] if isinstance(parent, ast.Tuple) else None
                if isinstance(first, ast.Constant) and isinstance(first.value, int):
                    status = first.value
                if values is not None:
                    add(values, status)
                elif not _is_reraise(expression) and module.path != HANDLER:  # DRF's own: handler_codes()
                    unresolved.append(f"{module.name}:{node.lineno}")

    for home, name, position, status in factories:
        for module, call in calls_of(mods, home, name):
            expression = passed(call, position)
            values = strings(expression, constants)
            if values is not None:
                add(values, status)
            elif not _is_reraise(expression):
                unresolved.append(f"{module.name}:{call.lineno} (through {name})")
    return codes, unresolved


def handler_codes() -> dict[str, set[int | None]]:
    """What apps/core/api/errors.py makes of DRF's own exceptions (and Django's 404 and 403, which become them)."""
    codes: dict[str, set[int | None]] = {}
    for cls in vars(exceptions).values():
        if inspect.isclass(cls) and issubclass(cls, exceptions.APIException) and cls is not exceptions.APIException:
            code = "invalid" if issubclass(cls, exceptions.ValidationError) else cls.default_code
            codes.setdefault(code, set()).add(400 if code == "invalid" else cls.status_code)
    return codes


def documented_codes(path: Path = API_DOC) -> dict[str, set[int]]:
    """code → statuses, from every table of the page with a status column and a code column."""
    documented: dict[str, set[int]] = {}
    columns: tuple[int, int] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            columns = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if columns is None:
            header = [cell.replace("`", "").lower() for cell in cells]
            columns = (header.index("status"), header.index("code")) if {"status", "code"} <= set(header) else (-1, -1)
            continue
        status_column, code_column = columns
        if status_column < 0 or set(line) <= set("|- "):
            continue
        statuses = {int(value) for value in re.findall(r"\b[1-5]\d\d\b", cells[status_column])}
        for code in re.findall(r"`([a-z_]+)`", cells[code_column]):
            documented.setdefault(code, set()).update(statuses)
    return documented


def all_codes(*extra: Path) -> dict[str, set[int | None]]:
    codes, _unresolved = raised_codes(*extra)
    for code, statuses in handler_codes().items():
        codes.setdefault(code, set()).update(statuses)
    return codes


def test_every_raised_code_can_be_read_from_the_source():
    _codes, unresolved = raised_codes()
    assert unresolved == [], (
        "these raise an error code that is neither a literal, a module constant nor another error's .code; "
        "make it one of those so that docs/api.md can be checked"
    )


def test_the_walk_sees_each_kind_of_raise():
    """If the reading broke, every code would trivially be 'documented': prove it finds each shape."""
    codes = all_codes()
    assert codes["plan_limit"] == {400}  # a literal
    assert codes["dial_premium"] == {400}  # a module constant (apps/telephony/dialer/dialling.py)
    assert 404 in codes["desk_phone_seat"]  # a subclass's status (NotFoundError)
    assert 409 in codes["invalid_call_state"]  # status=
    assert "tenant_suspended" in codes  # an error body written by hand
    assert codes["throttled"] == {429}  # DRF's own, through the handler
    assert "not_authenticated" in codes


def test_every_error_code_is_documented_in_api_md():
    documented = documented_codes()
    missing = sorted(code for code in all_codes() if code not in documented)
    assert missing == [], f"add these codes to a status | code | when table in {API_DOC.relative_to(ROOT)}"


def test_each_code_is_documented_with_the_status_it_is_raised_with():
    documented = documented_codes()
    wrong = {
        code: sorted(statuses - documented.get(code, set()))
        for code, raised in all_codes().items()
        if (statuses := {status for status in raised if status is not None}) - documented.get(code, set())
    }
    assert wrong == {}, f"these codes are raised with a status {API_DOC.relative_to(ROOT)} does not give them"


NEW_CODES = """
from apps.core.errors import ApplicationError, NotFoundError


class GoneError(NotFoundError):
    status = 410


def _refuse(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, status=422)


def service(flag: bool) -> None:
    if flag:
        raise ApplicationError("brand_new_code", "literal")
    if not flag:
        raise GoneError("gone_code", "a subclass of a subclass")
    raise _refuse("refused_code", "through a factory")


def opaque(code: str, where: dict) -> None:
    raise ApplicationError(where["code"], "not readable")
"""


def test_a_new_code_without_docs_fails(tmp_path):
    """What a change adding codes without touching docs/api.md looks like to the tests above."""
    module = tmp_path / "new_codes.py"
    module.write_text(NEW_CODES, encoding="utf-8")
    codes, unresolved = raised_codes(module)
    assert codes["brand_new_code"] == {400}
    assert codes["gone_code"] == {410}
    assert codes["refused_code"] == {422}
    assert unresolved == [f"{module}:22"]
    documented = documented_codes()
    assert {"brand_new_code", "gone_code", "refused_code"}.isdisjoint(documented)
