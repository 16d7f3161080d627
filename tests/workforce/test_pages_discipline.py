"""Discipline pages: HR issues warning letters with evidence (a file too); the third within six
months flags the employee for dismissal review; the review page shows the evidence as counted and
records the decision (audited); the employee reads their own letters; others are refused."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.audit.models import AuditEntry
from apps.workforce.models import DisciplineWarning, DismissalReviewFlag
from tests.workforce.pages_helpers import login, person


@pytest.fixture
def world(acme):
    return {"hr": person(acme, Role.HR, name="Helen HR"), "ann": person(acme, Role.AGENT, name="Ann Agent")}


def test_three_warnings_flag_a_review_that_hr_decides(acme, world):
    hr = login(acme, world["hr"])
    for n in range(3):
        data = {"user": world["ann"].pk, "reason": f"Late again {n}", "evidence": "Clock records of the week"}
        if n == 0:
            data["evidence_file"] = SimpleUploadedFile("note.txt", b"seen by the supervisor", content_type="text/plain")
        assert hr.post("/workforce/discipline/warnings/new/", data).status_code == 302
    with tenant_context(acme.tenant):
        warnings = list(DisciplineWarning.objects.filter(user=world["ann"]).order_by("issued_at"))
        flag = DismissalReviewFlag.objects.get(user=world["ann"])
    assert len(warnings) == 3 and warnings[0].evidence_file and flag.rule == "warnings"
    listing = hr.get("/workforce/discipline/").content.decode()
    assert f'data-flag="{flag.pk}"' in listing and f'data-warning="{warnings[0].pk}"' in listing
    review = hr.get(f"/workforce/discipline/flags/{flag.pk}/").content.decode()
    assert all(f'data-warning="{w.pk}"' in review for w in warnings)
    hr.post(f"/workforce/discipline/flags/{flag.pk}/decide/", {"decision": "keep", "note": "Family trouble; coached"})
    with tenant_context(acme.tenant):
        flag.refresh_from_db()
        assert flag.decision == "keep" and flag.reviewed_by_id == world["hr"].pk
        assert AuditEntry.objects.filter(action="workforce.review_decided").count() == 1

    agent = login(acme, world["ann"])
    own = agent.get("/workforce/").content.decode()
    assert f'data-warning="{warnings[0].pk}"' in own
    assert agent.get(f"/workforce/discipline/warnings/{warnings[0].pk}/file/").status_code == 200


def test_a_warning_without_a_reason_is_refused(acme, world):
    refused = login(acme, world["hr"]).post("/workforce/discipline/warnings/new/", {"user": world["ann"].pk})
    assert refused.status_code == 400
    with tenant_context(acme.tenant):
        assert not DisciplineWarning.objects.exists()


def test_agents_and_supervisors_are_refused(acme, world):
    for role in (Role.AGENT, Role.SUPERVISOR):
        browser = login(acme, person(acme, role))
        assert browser.get("/workforce/discipline/").status_code == 403
        assert (
            browser.post("/workforce/discipline/warnings/new/", {"user": world["ann"].pk, "reason": "x"}).status_code
            == 403
        )
    with tenant_context(acme.tenant):
        assert not DisciplineWarning.objects.exists()


def test_another_companys_hr_sees_no_flag(acme, globex, world):
    with tenant_context(acme.tenant):
        flag = DismissalReviewFlag.objects.create(user=world["ann"], rule="warnings", evidence={"dates": []})
    stranger = login(globex, person(globex, Role.HR))
    assert stranger.get(f"/workforce/discipline/flags/{flag.pk}/").status_code == 404
    assert stranger.post(f"/workforce/discipline/flags/{flag.pk}/decide/", {"decision": "dismiss"}).status_code == 404
