"""The career ladder (issue 16 item 4): requirements (certifications, QA average, tenure), who
meets them, a person's level and next level, the page and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.training.models import CareerLevel, Certificate, Certification
from apps.training.services.careers import (
    career_level_save,
    career_standing,
    level_check,
    people_meeting,
    tenure_months,
)
from tests.accounts.helpers import web_login
from tests.qa.factories import make_agent_call, make_evaluation, make_scorecard, qa_user


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        trainer, ann = acme.user("trainer"), acme.user("agent")
        User.objects.filter(pk=ann.pk).update(date_joined=timezone.now() - dt.timedelta(days=400))
        ann.refresh_from_db()
        cert = Certification.objects.create(name="Billing", valid_months=12)
        csr = career_level_save(actor=trainer, data={"name": "CSR", "rank": 1})
        senior = career_level_save(
            actor=trainer,
            data={
                "name": "Senior CSR",
                "rank": 2,
                "min_qa_average": "85",
                "min_tenure_months": 12,
                "certifications": [cert.pk],
            },
        )
        lead = career_level_save(actor=trainer, data={"name": "Team leader", "rank": 3, "min_tenure_months": 24})
    return {"w": acme, "trainer": trainer, "ann": ann, "cert": cert, "csr": csr, "senior": senior, "lead": lead}


def test_level_check_lists_what_is_missing(world):
    with tenant_context(world["w"].tenant):
        senior = world["senior"]
        missing = level_check(senior, certified=set(), qa=Decimal("80"), tenure=6)
        assert len(missing) == 3
        assert level_check(senior, certified={world["cert"].pk}, qa=Decimal("85"), tenure=12) == []
        assert len(level_check(senior, certified={world["cert"].pk}, qa=None, tenure=12)) == 1


def test_tenure_counts_whole_months():
    user = User(date_joined=dt.datetime(2025, 1, 31, 12, tzinfo=dt.UTC))
    assert tenure_months(user, dt.date(2025, 3, 30)) == 1
    assert tenure_months(user, dt.date(2026, 2, 1)) == 12


def test_standing_climbs_the_ladder_with_certificates_and_qa(world):
    with tenant_context(world["w"].tenant):
        standing = career_standing(world["ann"])
        assert standing["level"] == world["csr"] and standing["next_level"] == world["senior"]
        assert standing["tenure_months"] >= 13
        Certificate.objects.create(
            user=world["ann"], certification=world["cert"], expires_at=timezone.now() + dt.timedelta(days=90)
        )
        scorecard, evaluator = make_scorecard(), qa_user()
        make_evaluation(make_agent_call(world["ann"]), scorecard, evaluator)  # 100
        standing = career_standing(world["ann"])
        assert standing["qa_average"] == Decimal("100.00") and standing["qa_evaluations"] == 1
        assert standing["level"] == world["senior"] and standing["next_level"] == world["lead"]
        assert people_meeting(world["senior"], [world["ann"]]) == [world["ann"]]
        # An expired certificate no longer counts.
        Certificate.objects.update(expires_at=timezone.now() - dt.timedelta(days=1))
        assert career_standing(world["ann"])["level"] == world["csr"]


def test_levels_through_the_api_and_page(world):
    api = world["w"].api(world["trainer"])
    dup = api.post("/api/v1/training/career-levels", {"name": "Other", "rank": 1}, format="json")
    assert dup.status_code == 400 and "rank" in dup.json()["fields"]
    bad = api.post("/api/v1/training/career-levels", {"name": "X", "rank": 9, "min_qa_average": "120"}, format="json")
    assert bad.status_code == 400 and "min_qa_average" in bad.json()["fields"]
    agent_api = world["w"].api(world["ann"])
    assert agent_api.post("/api/v1/training/career-levels", {"name": "Y", "rank": 8}, format="json").status_code == 403
    assert agent_api.get("/api/v1/training/career").json()["level"] == world["csr"].pk
    page = web_login(world["w"], world["ann"].email).get("/training/careers/").content.decode()
    assert "Senior CSR" in page and "Who meets it" not in page
    trainer_page = web_login(world["w"], world["trainer"].email).get("/training/careers/").content.decode()
    assert "Who meets it" in trainer_page
    with tenant_context(world["w"].tenant):
        assert CareerLevel.objects.count() == 3
