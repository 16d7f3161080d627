"""Certifications (issue 16 item 3): the API contract, issuing on a passed exam (granting the skill),
renewal warnings and expiry from the beat task, revocation, permissions and tenants; the typing test
through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.notifications.models import Notification
from apps.telephony.models import Agent, AgentSkill
from apps.training.models import Certificate, TypingAttempt
from apps.training.tasks import certificates_due_task
from tests.factories import SkillFactory
from tests.qa.factories import make_team
from tests.training.helpers import EXAMS, create_exam, right_answers

CERTIFICATIONS = "/api/v1/training/certifications"
CERTIFICATES = "/api/v1/training/certificates"


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        people = {
            "trainer": acme.user("trainer"),
            "supervisor": acme.user("supervisor"),
            "ann": acme.user("agent"),
            "bob": acme.user("agent"),
        }
        make_team(supervisors=[people["supervisor"]], members=[people["ann"]])
        skill = SkillFactory(code="cert-vip")
    exam = create_exam(acme, people["trainer"])
    return {"w": acme, "skill": skill, "exam": exam, **people}


def _certification(world, **extra):
    body = {"name": "VIP line", "exam": world["exam"]["id"], "valid_months": 6, "skill": world["skill"].pk, "level": 7}
    response = world["w"].api(world["trainer"]).post(CERTIFICATIONS, {**body, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _pass(world, user):
    api = world["w"].api(user)
    attempt = api.post(f"{EXAMS}/{world['exam']['id']}/attempts").json()
    answers = [{"question": q, "choice": c} for q, c in right_answers(world["exam"]).items()]
    result = api.post(f"/api/v1/training/attempts/{attempt['id']}/submit", {"answers": answers}, format="json")
    assert result.json() == {"id": attempt["id"], "status": "submitted", "score_percent": 100.0, "passed": True}


def test_the_certification_contract(world):
    data = _certification(world)
    assert {k: data[k] for k in ("name", "exam", "valid_months", "skill", "level")} == {
        "name": "VIP line",
        "exam": world["exam"]["id"],
        "valid_months": 6,
        "skill": world["skill"].pk,
        "level": 7,
    }
    again = (
        world["w"]
        .api(world["trainer"])
        .post(CERTIFICATIONS, {"name": "VIP line", "exam": world["exam"]["id"]}, format="json")
    )
    assert again.status_code == 400 and "name" in again.json()["fields"]
    for bad, field in (
        ({"level": 11}, "level"),
        ({"skill": 999999}, "skill"),
        ({"exam": None}, "exam"),
        ({"valid_months": 0}, "valid_months"),
    ):
        response = (
            world["w"]
            .api(world["trainer"])
            .post(CERTIFICATIONS, {"name": f"x{field}", "exam": world["exam"]["id"], **bad}, format="json")
        )
        assert response.status_code == 400 and field in response.json()["fields"], bad
    assert (
        world["w"]
        .api(world["ann"])
        .post(CERTIFICATIONS, {"name": "Mine", "exam": world["exam"]["id"]}, format="json")
        .status_code
        == 403
    )


def test_passing_the_exam_issues_the_certificate_and_grants_the_skill(world):
    _certification(world)
    _pass(world, world["ann"])
    mine = world["w"].api(world["ann"]).get(CERTIFICATES).json()["results"]
    assert len(mine) == 1
    (certificate,) = mine
    assert certificate["name"] == "VIP line" and certificate["state"] == "valid"
    assert certificate["expires_at"] is not None and certificate["skill"] == world["skill"].pk
    with tenant_context(world["w"].tenant):
        agent = Agent.objects.get(user=world["ann"])
        assert AgentSkill.objects.get(agent=agent, skill=world["skill"]).level == 7
        assert Notification.objects.filter(user=world["ann"], kind="training.certificate_issued").exists()
        assert AuditEntry.objects.filter(action="certificate.issued").exists()
    # Others' certificates: readers of all only.
    assert world["w"].api(world["bob"]).get(CERTIFICATES, {"user": world["ann"].pk}).status_code == 403
    supervisor_view = world["w"].api(world["supervisor"]).get(CERTIFICATES, {"user": world["ann"].pk}).json()
    assert [c["id"] for c in supervisor_view["results"]] == [certificate["id"]]


def test_the_beat_task_warns_ahead_of_expiry_and_expires_once(world, django_capture_on_commit_callbacks):
    _certification(world)
    _pass(world, world["ann"])
    with tenant_context(world["w"].tenant):
        certificate = Certificate.objects.get(user=world["ann"])
        Certificate.objects.filter(pk=certificate.pk).update(expires_at=timezone.now() + timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        certificates_due_task.delay()
        certificates_due_task.delay()  # twice: each warning goes out once
    with tenant_context(world["w"].tenant):
        warned = list(
            Notification.objects.filter(kind="training.certificate_expiring").values_list("user_id", flat=True)
        )
        assert sorted(warned) == sorted([world["ann"].pk, world["supervisor"].pk])
        Certificate.objects.filter(pk=certificate.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        certificates_due_task.delay()
    with tenant_context(world["w"].tenant):
        assert Certificate.objects.get(pk=certificate.pk).expiry_applied_at is not None
        assert Notification.objects.filter(kind="training.certificate_expired", user=world["ann"]).count() == 1
    (row,) = world["w"].api(world["ann"]).get(CERTIFICATES).json()["results"]
    assert row["state"] == "expired"


def test_revoking_needs_a_reason_and_a_trainer(world):
    _certification(world)
    _pass(world, world["ann"])
    (row,) = world["w"].api(world["ann"]).get(CERTIFICATES).json()["results"]
    url = f"{CERTIFICATES}/{row['id']}/revoke"
    assert world["w"].api(world["ann"]).post(url, {"reason": "no"}, format="json").status_code == 403
    trainer = world["w"].api(world["trainer"])
    assert trainer.post(url, {"reason": ""}, format="json").status_code == 400
    revoked = trainer.post(url, {"reason": "Failed a QA audit"}, format="json").json()
    assert revoked["state"] == "revoked" and revoked["revoke_reason"] == "Failed a QA audit"
    assert trainer.post(url, {"reason": "again"}, format="json").json()["code"] == "already_revoked"


def test_certificates_stay_in_their_tenant(world, globex):
    _certification(world)
    _pass(world, world["ann"])
    with tenant_context(globex.tenant):
        outsider = globex.user("trainer")
    api = globex.api(outsider)
    assert api.get(CERTIFICATIONS).json()["results"] == []
    assert api.get(CERTIFICATES).json()["results"] == []
    with tenant_context(world["w"].tenant):
        certificate = Certificate.objects.get(user=world["ann"])
    assert api.post(f"{CERTIFICATES}/{certificate.pk}/revoke", {"reason": "x"}, format="json").status_code == 404


def test_a_typing_test_is_measured_by_the_server(world):
    trainer = world["w"].api(world["trainer"])
    test = trainer.post(
        "/api/v1/training/typing-tests",
        {
            "title": "中文录入",
            "language": "zh",
            "passage": "您好欢迎致电客户服务中心请问有什么可以帮您",
            "duration_seconds": 60,
        },
        format="json",
    ).json()
    assert test["pass_cpm"] == 30 and test["pass_accuracy"] == 90
    ann = world["w"].api(world["ann"])
    attempt = ann.post(f"/api/v1/training/typing-tests/{test['id']}/attempts").json()
    with tenant_context(world["w"].tenant):
        # 20 seconds used: 21 characters → 63 a minute (less the request's own time).
        TypingAttempt.objects.filter(pk=attempt["id"]).update(started_at=timezone.now() - timedelta(seconds=20))
    result = ann.post(
        f"/api/v1/training/typing-attempts/{attempt['id']}/submit",
        {"typed": "您好欢迎致电客户服务中心请问有什么可以帮你"},
        format="json",
    ).json()
    assert result["characters"] == 21 and result["accuracy"] == 95.24 and result["passed"] is True
    assert 58 <= result["cpm"] <= 63
    late = ann.post(f"/api/v1/training/typing-tests/{test['id']}/attempts").json()
    with tenant_context(world["w"].tenant):
        TypingAttempt.objects.filter(pk=late["id"]).update(deadline=timezone.now() - timedelta(minutes=5))
    refused = ann.post(f"/api/v1/training/typing-attempts/{late['id']}/submit", {"typed": "您好"}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "attempt_expired"
    assert (
        world["w"]
        .api(world["bob"])
        .post(f"/api/v1/training/typing-attempts/{attempt['id']}/submit", {"typed": "x"}, format="json")
        .status_code
        == 404
    )
    assert ann.post("/api/v1/training/typing-tests", {"title": "x", "passage": "y"}, format="json").status_code == 403
