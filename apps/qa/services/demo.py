"""The demo tenant's quality department (``make run``): two QA logins, a standard scorecard, a
weekly sampling rule whose last two weeks are assigned to the analyst, and a few evaluations the
QA lead submitted, so that the QA pages and reports have something to show.

Idempotent like the rest of ``ensure_demo``: users, the scorecard and the rule are found by
e-mail or name; the lead's evaluations are made once (while the lead has none); sampling runs
create nothing twice. Without generated history (the tests' demo, ``--no-history``) only the
users, the scorecard and the rule are made.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.qa import sampling as rules
from apps.qa.choices import EvaluationKind, QuestionKind
from apps.qa.models import Assignment, Evaluation, Question, SamplingRule, Scorecard
from apps.qa.services.evaluations import evaluation_save
from apps.qa.services.sampling import sampling_rule_create, sampling_run
from apps.qa.services.scorecards import scorecard_create
from apps.reports.periods import tenant_zone
from apps.telephony.selectors.calls import calls_visible_to

QA_USERS: list[tuple[str, str, str, list[str]]] = [
    # email, password, name, roles (as ensure_demo's DEMO_USERS)
    ("qa@demo.local", "DemoQa!2026", "陈质检", [Role.QA]),
    ("qalead@demo.local", "DemoQaLead!2026", "周质检组长", [Role.QA_LEAD]),
]
DEMO_AGENT_EMAIL = "agent@demo.local"
SCORECARD_NAME = "标准服务质检表 Standard service scorecard"
RULE_NAME = "每周抽检 Weekly sample"
SAMPLED_WEEKS = 2
LEAD_EVALUATIONS = 8  # of which up to 3 of the demo agent's calls, so they have some to acknowledge

SCORECARD_SECTIONS: list[dict[str, Any]] = [
    {
        "title": "开场白/问候 Opening",
        "weight": 15,
        "questions": [
            {
                "text": "使用标准开场白（公司名称、工号、问候语）",
                "kind": "yes_no",
                "points": 1,
                "weight": 1,
                "guidance": "例：“您好，演示客服中心，工号 1024 为您服务，请问有什么可以帮您？”缺任一要素判“否”。",
            },
            {
                "text": "语气亲切、语速适中",
                "kind": "scale",
                "points": 3,
                "weight": 1,
                "guidance": "3 = 热情自然；2 = 平稳；1 = 生硬或过快；0 = 不耐烦、抢话。",
            },
        ],
    },
    {
        "title": "需求确认 Understanding",
        "weight": 25,
        "questions": [
            {
                "text": "核实客户身份（至少两项信息）",
                "kind": "yes_no",
                "points": 2,
                "weight": 2,
                "critical": "section",
                "allow_na": True,
                "guidance": "涉及账户、订单或个人信息时必须核实：手机号后四位、姓名、订单号任两项。纯咨询来电选 N/A。",
            },
            {
                "text": "准确复述并确认客户需求",
                "kind": "yes_no",
                "points": 1,
                "weight": 1,
                "guidance": "用自己的话复述问题并得到客户确认，如“您是想查询上周五的退款进度，对吗？”",
            },
            {
                "text": "有效提问，客户无需重复说明",
                "kind": "scale",
                "points": 3,
                "weight": 1,
                "guidance": "3 = 一次问清；2 = 有一次重复；1 = 多次重复；0 = 始终未弄清需求。",
            },
        ],
    },
    {
        "title": "解决方案 Resolution",
        "weight": 35,
        "questions": [
            {
                "text": "方案准确、符合业务规定",
                "kind": "scale",
                "points": 5,
                "weight": 2,
                "guidance": "5 = 准确完整；3 = 基本正确但有遗漏；1 = 有误导之处；0 = 错误。以知识库当前版本为准。",
            },
            {
                "text": "一次解决，或明确告知后续处理时限",
                "kind": "yes_no",
                "points": 2,
                "weight": 1,
                "guidance": "无法当场解决时须告知工单号和回复时限（如“24 小时内短信回复”）。",
            },
            {
                "text": "保持/静音前征得同意，回线后致谢",
                "kind": "yes_no",
                "points": 1,
                "weight": 1,
                "allow_na": True,
                "guidance": "通话中没有保持操作时选 N/A。",
            },
        ],
    },
    {
        "title": "合规 Compliance",
        "weight": 15,
        "questions": [
            {
                "text": "未泄露客户隐私信息",
                "kind": "yes_no",
                "points": 1,
                "weight": 1,
                "critical": "form",
                "guidance": "致命项：未经核实透露账户、地址、订单等信息即判“否”，整张评分表记 0 分。",
            },
            {
                "text": "未做出超出权限的承诺",
                "kind": "yes_no",
                "points": 1,
                "weight": 1,
                "critical": "form",
                "guidance": "致命项：如擅自承诺赔偿金额、退款时间。判“否”时整张评分表记 0 分。",
            },
            {
                "text": "外呼时告知录音并尊重客户拒绝",
                "kind": "yes_no",
                "points": 1,
                "weight": 1,
                "allow_na": True,
                "guidance": "呼入来电选 N/A。",
            },
        ],
    },
    {
        "title": "结束语 Closing",
        "weight": 10,
        "questions": [
            {
                "text": "确认问题已解决并询问是否还有其他需要",
                "kind": "yes_no",
                "points": 1,
                "weight": 1,
            },
            {
                "text": "使用标准结束语并邀请满意度评价",
                "kind": "yes_no",
                "points": 1,
                "weight": 1,
                "guidance": "例：“感谢您的来电，稍后请为我的服务评分，祝您生活愉快！”",
            },
        ],
    },
]

COMMENTS = [
    "开场白完整，语气亲切。",
    "这里复述需求很到位。",
    "此处静音较长，建议先告知客户需要查询。",
    "方案说明清楚，但没有告知处理时限。",
    "结束语可以更完整，记得邀请评价。",
    "客户情绪激动时安抚得当。",
]


def _user(email: str, password: str, name: str, roles: list[str]) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password, name=name, roles=roles)
    return user


def _scorecard(lead: User) -> Scorecard:
    found = Scorecard.objects.filter(name=SCORECARD_NAME, is_current=True).first()
    if found is not None:
        return found
    return scorecard_create(
        actor=lead,
        name=SCORECARD_NAME,
        description="呼入与外呼通用。合规部分为致命项：任一项判“否”，总分记 0。",
        sections=SCORECARD_SECTIONS,
    )


def _rule(scorecard: Scorecard, analyst: User) -> SamplingRule:
    found = SamplingRule.objects.filter(name=RULE_NAME).first()
    if found is not None:
        return found
    return sampling_rule_create(
        data={
            "name": RULE_NAME,
            "scorecard": scorecard.pk,
            "period": "week",
            "per_agent": 1,
            "include_csat_at_most": 2,
            "include_transfers": True,
            "include_analysis_flags": ["dead_air", "overtalk"],
            "exclude_evaluated": True,
            "require_recording": True,
            "min_talk_seconds": 30,
            "evaluators": [analyst.pk],
            "due_days": 5,
            "seed": 2026,
        }
    )


def _answers(scorecard: Scorecard, rng: random.Random, *, inbound: bool) -> list[dict[str, Any]]:
    """A plausible evaluation: mostly good, now and then a miss (and, rarely, a failed critical)."""
    answers: list[dict[str, Any]] = []
    questions = Question.objects.filter(section__scorecard=scorecard).order_by(
        "section__position", "section_id", "position", "id"
    )
    for question in questions:
        if question.allow_na and (inbound and "外呼" in question.text or rng.random() < 0.3):
            answers.append({"question": question.pk, "na": True})
        elif question.kind == QuestionKind.YES_NO:
            good = 0.97 if question.critical == "form" else 0.85
            answers.append({"question": question.pk, "value": rng.random() < good})
        else:
            low = max(0, question.points - 2)
            answers.append({"question": question.pk, "value": rng.randint(low, question.points)})
    return answers


def _lead_evaluations(lead: User, scorecard: Scorecard, *, before) -> int:
    """The lead's evaluations of calls before the sampled weeks: the demo agent's latest recorded
    calls first (so that agent has some to acknowledge or dispute), then others."""
    if Evaluation.objects.filter(evaluator=lead, kind=EvaluationKind.REGULAR).exists():
        return 0
    calls = (
        calls_visible_to(lead)
        .filter(arrived_at__lt=before, answered_at__isnull=False, agent__isnull=False, talk_seconds__gte=30)
        .exclude(agent__user=lead)
        .order_by(F("recording__id").desc(nulls_last=True), "-arrived_at", "-id")
    )
    chosen = list(calls.filter(agent__user__email=DEMO_AGENT_EMAIL)[:3])
    others = calls.exclude(agent__user__email=DEMO_AGENT_EMAIL).exclude(pk__in=[c.pk for c in chosen])
    chosen += list(others[: LEAD_EVALUATIONS - len(chosen)])
    made = 0
    for call in chosen:
        rng = random.Random(call.pk)  # noqa: S311 - demo data, reproducible
        length = max(30.0, min(call.talk_seconds, 600.0))
        comments = [
            {"at_seconds": round(rng.uniform(3, length - 3), 1), "text": text}
            for text in rng.sample(COMMENTS, k=rng.choice([1, 2]))
        ]
        evaluation = evaluation_save(
            actor=lead,
            call=call,
            scorecard=scorecard,
            answers=_answers(scorecard, rng, inbound=call.direction == "inbound"),
            comments=comments,
            submit=True,
            summary="整体表现良好，注意按规范告知处理时限。" if rng.random() < 0.5 else "",
        )
        if call.agent is not None and call.agent.user.email != DEMO_AGENT_EMAIL:
            # Scored the day after the call, so the QA reports' trends span the month; the demo
            # agent's stay today's, inside the dispute window the demo walk-through needs.
            when = call.arrived_at + timedelta(days=1, hours=rng.uniform(0, 6))
            Evaluation.objects.filter(pk=evaluation.pk).update(created_at=when, updated_at=when, submitted_at=when)
        made += 1
    return made


def qa_demo_ensure(tenant, *, today: date | None = None) -> dict[str, int]:
    """Give the demo tenant its QA department (see the module docstring); returns what was made."""
    with tenant_context(tenant), transaction.atomic():
        analyst = _user(*QA_USERS[0])
        lead = _user(*QA_USERS[1])
        scorecard = _scorecard(lead)
        rule = _rule(scorecard, analyst)
        zone = tenant_zone()
        today = today or timezone.now().astimezone(zone).date()
        last = rules.last_complete_period(rule.period, today)
        weeks = [last - timedelta(weeks=n) for n in range(SAMPLED_WEEKS)]
        since, _until = rules.period_bounds(rule.period, weeks[-1], zone)
        evaluations = _lead_evaluations(lead, scorecard, before=since)
        assigned = 0
        for week in reversed(weeks):
            assigned += sampling_run(rule=rule, period_start=week, today=today).created
        return {
            "evaluations": evaluations,
            "assignments": assigned,
            "open_assignments": Assignment.objects.filter(assignee=analyst, status="pending").count(),
        }
