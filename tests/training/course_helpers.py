"""Builders of the course, programme and effectiveness tests (through the services)."""

from __future__ import annotations

from typing import Any

from apps.training.models import Course, Lesson
from apps.training.services.courses import course_save, lesson_save

COURSES = "/api/v1/training/courses"


def make_course(actor, *, key: str = "billing-101", lessons: int = 2, published: bool = True, **fields: Any) -> Course:
    course = course_save(
        actor=actor,
        data={
            "key": key,
            "title": fields.pop("title", key.title()),
            "status": "published" if published else "draft",
            **fields,
        },
    )
    for number in range(1, lessons + 1):
        lesson_save(
            actor=actor, course=course, data={"kind": "text", "title": f"Lesson {number}", "body": f"Body {number}"}
        )
    return course


def lessons_of(course: Course) -> list[Lesson]:
    return list(course.lessons.order_by("position", "id"))
