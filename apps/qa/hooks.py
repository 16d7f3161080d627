"""The seam between QA coaching and training (ARCHITECTURE.md §10: "coaching assigns training").

QA does not import training: once apps/training can assign courses, its ``AppConfig.ready()``
registers two plain callables here, and a coaching session that names a course (``course_key``)
asks for the assignment through :func:`assign_course`. With nothing registered (today) the
seam is a no-op: the coaching form says "training not available yet" and offers no course, and
the service refuses a ``course_key`` with a field message instead of dropping it silently.

A registered assigner is called inside the coaching session's transaction, so a course it cannot
assign (an ``ApplicationError``) leaves no coaching session behind either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class CourseAssigner(Protocol):
    def __call__(self, *, agent: Any, course_key: str, actor: Any, coaching: Any) -> None: ...


@dataclass
class _Registry:
    assigner: CourseAssigner | None = None
    courses: Callable[[], Sequence[tuple[str, str]]] | None = None


_registry = _Registry()


def register_course_assigner(
    assigner: CourseAssigner, *, courses: Callable[[], Sequence[tuple[str, str]]] | None = None
) -> None:
    """Called by the training app: ``assigner(agent=, course_key=, actor=, coaching=)`` assigns a
    course to an agent; ``courses()`` lists the (key, title) pairs a coach may choose from."""
    _registry.assigner = assigner
    _registry.courses = courses


def unregister_course_assigner() -> None:
    """Back to the no-op (tests)."""
    _registry.assigner = None
    _registry.courses = None


def training_available() -> bool:
    return _registry.assigner is not None


def course_choices() -> list[tuple[str, str]]:
    """The courses a coach may assign; empty while training is not available."""
    if _registry.assigner is None or _registry.courses is None:
        return []
    return [(str(key), str(title)) for key, title in _registry.courses()]


def assign_course(*, agent: Any, course_key: str, actor: Any, coaching: Any) -> bool:
    """Ask training to assign ``course_key`` to ``agent``; False (and nothing done) with no assigner."""
    if _registry.assigner is None or not course_key:
        return False
    _registry.assigner(agent=agent, course_key=course_key, actor=actor, coaching=coaching)
    return True
