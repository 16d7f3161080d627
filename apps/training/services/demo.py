"""The training department's demo data (``make run``): a trainer, an exam and a certification that
gates the English queue's skill.

``training_demo_ensure(schema_name)`` is idempotent and fast (a few dozen rows, nothing when present):

- ``trainer@demo.local`` (password ``DemoTrainer!2026``, role Trainer) when missing;
- the exam "英文服务认证 English service certification" (5 questions: single, multiple, true/false;
  pass mark 80 %, 15 minutes, 3 attempts);
- the certification "英文服务资格 English line" earned by that exam, valid 12 months, granting the
  skill ``english`` at level 6. From then on the English queue routes only to certified agents: the
  demo's virtual agents who already take English calls get a certificate (so the queue keeps
  running), the human demo agent ``agent@demo.local`` does not — they pass the exam and start
  receiving the English queue's calls (the issue's "done when").
"""

from __future__ import annotations

from django.db import transaction
from django_tenants.utils import schema_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.telephony.models import AgentSkill, Skill
from apps.training.models import Certificate, Certification, Exam
from apps.training.services.certifications import certificate_issue, certification_create
from apps.training.services.exams import exam_create

TRAINER_EMAIL = "trainer@demo.local"
TRAINER_PASSWORD = "DemoTrainer!2026"  # noqa: S105 -- the published demo password, like the other demo users
HUMAN_AGENT_EMAIL = "agent@demo.local"
EXAM_TITLE = "英文服务认证 English service certification"
CERTIFICATION_NAME = "英文服务资格 English line"
SKILL_CODE = "english"

QUESTIONS = [
    {
        "kind": "single",
        "text": "How do you open an English call? 英文来电如何开场？",
        "options": ["Hello?", "Thank you for calling, this is Li, how may I help you?", "Wait a moment."],
        "answer": [1],
        "points": 2,
        "explanation": "Greet, give your name, offer help.",
    },
    {
        "kind": "multiple",
        "text": "Which phrases are polite ways to put a caller on hold? 哪些是礼貌的保持用语？",
        "options": [
            "May I put you on hold for a moment?",
            "Hold on.",
            "Would you mind holding while I check that for you?",
        ],
        "answer": [0, 2],
        "points": 2,
        "explanation": "Ask, and say why; never just 'hold on'.",
    },
    {
        "kind": "true_false",
        "text": "You may end the call before the customer has finished speaking. 客户未讲完可以先挂机。",
        "options": ["True 对", "False 错"],
        "answer": [1],
        "points": 1,
    },
    {
        "kind": "single",
        "text": "A caller asks for a refund of a duplicate charge. First step? 重复扣费退款第一步？",
        "options": ["Transfer to billing at once", "Verify the account and the charge", "Promise a refund"],
        "answer": [1],
        "points": 2,
    },
    {
        "kind": "true_false",
        "text": "Spell names back using the phonetic alphabet when unsure. 不确定时用字母读法复核姓名。",
        "options": ["True 对", "False 错"],
        "answer": [0],
        "points": 1,
    },
]


def _trainer() -> User:
    user = User.objects.filter(email=TRAINER_EMAIL).first()
    if user is None:
        user = User.objects.create_user(TRAINER_EMAIL, TRAINER_PASSWORD, name="周培训", roles=[Role.TRAINER])
    return user


@transaction.atomic
def training_demo_ensure(schema_name: str) -> dict[str, int]:
    """Create what is missing of the training demo in ``schema_name``; returns what was made."""
    made = {"exams": 0, "certifications": 0, "certificates": 0}
    with schema_context(schema_name):
        trainer = _trainer()
        exam = Exam.objects.filter(title=EXAM_TITLE).first()
        if exam is None:
            exam = exam_create(
                actor=trainer,
                data={
                    "title": EXAM_TITLE,
                    "description": "Before taking English calls. 接听英文来电前必考。",
                    "pass_percent": 80,
                    "time_limit_minutes": 15,
                    "max_attempts": 3,
                    "questions": QUESTIONS,
                },
            )
            made["exams"] = 1
        skill = Skill.objects.filter(code=SKILL_CODE).first()
        if skill is None or Certification.objects.filter(name=CERTIFICATION_NAME).exists():
            return made
        certification = certification_create(
            actor=trainer,
            data={
                "name": CERTIFICATION_NAME,
                "exam": exam.pk,
                "valid_months": 12,
                "renewal_notice_days": 30,
                "skill": skill.pk,
                "level": 6,
            },
        )
        made["certifications"] = 1
        holders = (
            AgentSkill.objects.filter(skill=skill, agent__is_virtual=True)
            .exclude(agent__user__email=HUMAN_AGENT_EMAIL)
            .select_related("agent__user")
        )
        for row in holders:
            if not Certificate.objects.filter(user=row.agent.user, certification=certification).exists():
                certificate_issue(user=row.agent.user, certification=certification, actor=trainer)
                made["certificates"] += 1
    return made
