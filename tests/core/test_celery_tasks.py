"""Celery tasks are found by name: a message already queued, or a beat entry, names the task by a
string. A task without an explicit ``name=`` takes its module path as its name, so moving the
module would orphan queued work silently. Every task of ours carries its name in the decorator,
and the beat schedule names only tasks the worker knows."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

from config.celery import app

APPS = Path(__file__).resolve().parents[2] / "apps"
TASK_DECORATORS = {"shared_task", "app.task", "celery_app.task"}


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return ast.unparse(target)


def _declared_tasks() -> dict[str, str | None]:
    """Every task decorator under apps/: ``"path:function"`` → the literal ``name=``, or ``None``."""
    found: dict[str, str | None] = {}
    for path in sorted(APPS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if _decorator_name(decorator) not in TASK_DECORATORS:
                    continue
                name = None
                if isinstance(decorator, ast.Call):
                    for keyword in decorator.keywords:
                        value = keyword.value
                        if keyword.arg == "name" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                            name = value.value
                found[f"{path.relative_to(APPS.parent)}:{node.name}"] = name
    return found


def _registered_task_names() -> set[str]:
    app.loader.import_default_modules()  # the worker's autodiscovery: every app's tasks module
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_every_task_declares_its_name() -> None:
    declared = _declared_tasks()
    assert declared, "no task decorators found under apps/: the scan is broken"
    unnamed = sorted(where for where, name in declared.items() if not name)
    assert not unnamed, f"tasks without an explicit name=: {unnamed}"
    names = [name for name in declared.values() if name]
    assert len(names) == len(set(names)), f"two tasks share a name: {sorted(names)}"


def test_registered_tasks_are_the_declared_ones() -> None:
    """What the worker registers is exactly what the decorators name (no task escaped the scan)."""
    assert _registered_task_names() == {name for name in _declared_tasks().values() if name}


def test_beat_entries_name_registered_tasks() -> None:
    registered = _registered_task_names()
    unknown = {
        entry: spec["task"] for entry, spec in settings.CELERY_BEAT_SCHEDULE.items() if spec["task"] not in registered
    }
    assert not unknown, f"beat entries naming no registered task: {unknown}"
