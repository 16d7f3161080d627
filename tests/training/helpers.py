"""Shared builders of the training tests."""

from __future__ import annotations

from typing import Any

EXAMS = "/api/v1/training/exams"

CONTRACT_EXAM: dict[str, Any] = {
    "title": "Billing basics",
    "pass_percent": 60,
    "time_limit_minutes": 20,
    "questions": [
        {
            "kind": "single",
            "text": "Which plan has no roaming?",
            "options": ["Gold", "Basic", "Silver"],
            "answer": [1],
            "points": 1,
        },
        {
            "kind": "multiple",
            "text": "Which are refundable?",
            "options": ["A", "B", "C"],
            "answer": [0, 2],
            "points": 2,
        },
        {"kind": "true_false", "text": "Bills are monthly.", "options": ["True", "False"], "answer": [0], "points": 1},
    ],
}


def create_exam(world, trainer, data: dict[str, Any] | None = None) -> dict[str, Any]:
    response = world.api(trainer).post(EXAMS, data or CONTRACT_EXAM, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def right_answers(exam: dict[str, Any]) -> dict[int, list[int]]:
    return {q["id"]: q["answer"] for q in exam["questions"]}
