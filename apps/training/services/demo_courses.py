"""The demo tenant's courses, programme and career ladder (``make run``), beside the exams and
certifications of :mod:`apps.training.services.demo`.

Made once and found again by key or name (idempotent, fast): the trainer login (shared with the
exam demo), a published course "Greeting and call opening" with a text lesson and a golden-call
lesson cut from one of the demo's recorded calls (skipped while the tenant has no recording yet;
the next run adds it), assigned to the demo agent; an onboarding programme (the course, the English
service exam when it exists, a shadowing milestone); and the career ladder CSR → senior CSR →
team leader → supervisor.
"""

from __future__ import annotations

from django.db import transaction
from django_tenants.utils import schema_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.telephony.models import Recording
from apps.training.choices import LessonKind
from apps.training.models import CareerLevel, Course, CourseAssignment, Exam, Programme
from apps.training.services.careers import career_level_save
from apps.training.services.courses import course_assign, course_save, lesson_save
from apps.training.services.programmes import programme_save

TRAINER_EMAIL = "trainer@demo.local"
TRAINER_PASSWORD = "DemoTrainer!2026"  # noqa: S105 -- the published demo password (as the exam demo's)
AGENT_EMAIL = "agent@demo.local"
COURSE_KEY = "greeting-opening"
PROGRAMME_NAME = "新员工入职培训 New hire onboarding"
LEVELS = [
    # name, rank, min QA average, min tenure (months)
    ("客服代表 CSR", 1, None, 0),
    ("高级客服代表 Senior CSR", 2, "85", 12),
    ("班组长 Team leader", 3, "90", 24),
    ("主管 Supervisor", 4, "90", 36),
]
TEXT_BODY = (
    "接起电话的前 10 秒决定了客户的第一印象。\n"
    "1. 标准开场白：公司名称、工号、问候语。\n"
    "2. 语速平稳，先听完客户的问题再回答。\n\n"
    "The first ten seconds set the tone: company name, your agent number, a greeting; then listen."
)


def _trainer() -> User:
    user = User.objects.filter(email=TRAINER_EMAIL).first()
    if user is None:
        user = User.objects.create_user(TRAINER_EMAIL, TRAINER_PASSWORD, name="周培训", roles=[Role.TRAINER])
    return user


def _course(trainer: User, made: dict[str, int]) -> Course:
    course = Course.objects.filter(key=COURSE_KEY).first()
    if course is None:
        course = course_save(
            actor=trainer,
            data={
                "key": COURSE_KEY,
                "title": "开场白与问候 Greeting and call opening",
                "description": "How to open a call, with a real call to learn from.",
                "status": "published",
                "position": 1,
            },
        )
        lesson_save(
            actor=trainer, course=course, data={"kind": "text", "title": "标准开场白 The opening", "body": TEXT_BODY}
        )
        made["courses"] += 1
    if not course.lessons.filter(kind=LessonKind.GOLDEN_CALL).exists():
        recording = (
            Recording.objects.select_related("call").filter(duration_seconds__gte=8).order_by("-created_at").first()
        )
        if recording is not None:
            end = min(int(recording.duration_seconds), 30)
            lesson_save(
                actor=trainer,
                course=course,
                data={
                    "kind": "golden_call",
                    "title": "范例通话 A model opening",
                    "call_uid": recording.call.uid,
                    "clip_start": 0,
                    "clip_end": end,
                    "trainer_notes": "注意坐席在客户说完后才开始回答。Note how the agent waits for the caller to finish.",
                },
            )
            made["golden_calls"] += 1
    return course


@transaction.atomic
def training_courses_demo_ensure(schema_name: str) -> dict[str, int]:
    """Create what is missing of the course demo in ``schema_name``; returns what was made."""
    made = {"courses": 0, "golden_calls": 0, "assignments": 0, "programmes": 0, "levels": 0}
    with schema_context(schema_name):
        trainer = _trainer()
        course = _course(trainer, made)
        agent = User.objects.filter(email=AGENT_EMAIL, is_active=True).first()
        if agent is not None and not CourseAssignment.objects.filter(user=agent, course=course).exists():
            course_assign(actor=trainer, course=course, users=[agent])
            made["assignments"] += 1
        if not Programme.objects.filter(name=PROGRAMME_NAME).exists():
            steps: list[dict] = [{"kind": "course", "course": course.pk, "due_days": 3}]
            exam = Exam.objects.filter(is_active=True).order_by("pk").first()
            if exam is not None:
                steps.append({"kind": "exam", "exam": exam.pk, "due_days": 7})
            steps.append({"kind": "milestone", "title": "跟听 20 通电话 Shadow 20 calls", "due_days": 14})
            programme_save(
                actor=trainer,
                data={"name": PROGRAMME_NAME, "description": "The first two weeks of a new agent.", "steps": steps},
            )
            made["programmes"] += 1
        for name, rank, qa, tenure in LEVELS:
            if not CareerLevel.objects.filter(rank=rank).exists():
                career_level_save(
                    actor=trainer,
                    data={"name": name, "rank": rank, "min_qa_average": qa, "min_tenure_months": tenure},
                )
                made["levels"] += 1
    return made
