"""Each audited action writes exactly one row, with the actor, the client address and user agent,
and before/after where something changed. Driven through the real API and pages, so the
wiring from request to row is what is tested."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tenants.utils import schema_context, tenant_context
from rest_framework.test import APIClient

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.services import token_create
from apps.audit.choices import ActorKind, AuditAction
from apps.sip.models import TrunkAddress
from apps.telephony.choices import CallEndReason
from apps.telephony.models import DoNotCall, PhoneNumber, Seat, Trunk
from apps.telephony.services import cdr
from apps.telephony.services.recordings import recording_create, recording_link
from apps.tenants.models import PoolNumber
from tests.accounts.helpers import web_login
from tests.audit.conftest import IP, USER_AGENT, from_known_address, last_id, only_row, rows
from tests.conftest import PASSWORD
from tests.telephony.call_factories import at, make_agent, make_queue, uid
from tests.telephony.campaign_factories import make_campaign


def _assert_actor(entry, user, kind=ActorKind.USER):
    assert entry.actor_kind == kind
    assert entry.actor_id == user.pk
    assert entry.actor_email == user.email
    assert entry.actor_name == user.name


def _assert_from_known_address(entry):
    assert entry.ip_address == IP
    assert entry.user_agent == USER_AGENT


# --- people and access ----------------------------------------------------------------------------


def test_role_change_writes_one_row_with_before_and_after(acme, admin_api):
    person = acme.user(Role.AGENT)
    start = last_id(acme)

    response = admin_api.patch(f"/api/v1/users/{person.pk}", {"roles": ["supervisor"]}, format="json")

    assert response.status_code == 200
    entry = only_row(acme, AuditAction.USER_ROLE_CHANGED, start)
    _assert_actor(entry, acme.admin())
    _assert_from_known_address(entry)
    assert entry.target_type == "accounts.user" and entry.target_id == str(person.pk)
    assert entry.before == {"roles": ["agent"]}
    assert entry.after == {"roles": ["supervisor"]}


def test_saving_the_same_roles_writes_nothing(acme, admin_api):
    person = acme.user(Role.AGENT)
    start = last_id(acme)

    admin_api.patch(f"/api/v1/users/{person.pk}", {"roles": ["agent"]}, format="json")

    assert last_id(acme) == start


def test_password_change_is_logged_without_the_password(acme, admin_api):
    person = acme.user(Role.AGENT)
    start = last_id(acme)

    response = admin_api.patch(f"/api/v1/users/{person.pk}", {"password": "An0ther-Long-Passw0rd"}, format="json")

    assert response.status_code == 200
    entry = only_row(acme, AuditAction.USER_PASSWORD_CHANGED, start)
    _assert_actor(entry, acme.admin())
    _assert_from_known_address(entry)
    assert entry.target_id == str(person.pk)
    assert entry.before is None and entry.after is None
    assert entry.extra == {"by": "administrator", "tokens_revoked": 0}
    assert "An0ther" not in str(entry.__dict__)


def test_password_reset_link_is_logged_once_with_the_user_as_actor(acme):
    person = acme.user(Role.AGENT)
    with tenant_context(acme.tenant):
        token_create(user=person, name="old script")
        link = f"/accounts/reset/{urlsafe_base64_encode(force_bytes(person.pk))}/{default_token_generator.make_token(person)}/"
    client = from_known_address(acme.client())
    start = last_id(acme)

    form = client.get(link)
    done = client.post(
        form["Location"], {"new_password1": "Brand-New-Passw0rd!", "new_password2": "Brand-New-Passw0rd!"}
    )

    assert done.status_code == 302
    entry = only_row(acme, AuditAction.USER_PASSWORD_CHANGED, start)
    _assert_actor(entry, person)
    _assert_from_known_address(entry)
    assert entry.extra == {"by": "reset_link", "tokens_revoked": 1}


def test_deactivation_is_logged(acme, admin_api):
    person = acme.user(Role.AGENT)
    start = last_id(acme)

    admin_api.patch(f"/api/v1/users/{person.pk}", {"is_active": False}, format="json")

    entry = only_row(acme, AuditAction.USER_DEACTIVATED, start)
    assert entry.before == {"is_active": True} and entry.after == {"is_active": False}


def test_user_created_and_deleted_are_logged(acme, admin_api):
    start = last_id(acme)

    created = admin_api.post(
        "/api/v1/users", {"email": "new@acme.test", "roles": ["agent"], "password": PASSWORD}, format="json"
    )
    deleted = admin_api.delete(f"/api/v1/users/{created.json()['id']}")

    assert (created.status_code, deleted.status_code) == (201, 204)
    made = only_row(acme, AuditAction.USER_CREATED, start)
    gone = only_row(acme, AuditAction.USER_DELETED, start)
    assert made.after["email"] == "new@acme.test" and made.after["roles"] == ["agent"]
    assert gone.before["email"] == "new@acme.test"
    assert gone.target_repr == "new@acme.test"
    _assert_from_known_address(gone)


def test_token_issued_and_revoked_are_logged(acme):
    person = acme.user(Role.SUPERVISOR)
    client = from_known_address(acme.api(person))
    start = last_id(acme)

    issued = client.post("/api/v1/auth/tokens", {"name": "wallboard"}, format="json")
    revoked = client.delete(f"/api/v1/auth/tokens/{issued.json()['id']}")

    assert (issued.status_code, revoked.status_code) == (201, 204)
    created = only_row(acme, AuditAction.TOKEN_CREATED, start)
    gone = only_row(acme, AuditAction.TOKEN_REVOKED, start)
    for entry in (created, gone):
        _assert_actor(entry, person)
        _assert_from_known_address(entry)
        assert entry.target_id == str(issued.json()["id"])
    assert created.after == {"owner": person.email, "name": "wallboard", "prefix": issued.json()["prefix"]}
    assert gone.before["name"] == "wallboard"
    assert issued.json()["token"] not in str(created.__dict__)


def test_admin_revoking_someone_elses_token_names_both(acme, admin_api):
    person = acme.user(Role.AGENT)
    with tenant_context(acme.tenant):
        token = token_create(user=person, name="script").token
    start = last_id(acme)

    admin_api.delete(f"/api/v1/auth/tokens/{token.pk}")

    entry = only_row(acme, AuditAction.TOKEN_REVOKED, start)
    _assert_actor(entry, acme.admin())
    assert entry.before["owner"] == person.email


def test_password_login_for_a_token_is_logged_with_the_user_as_actor(acme):
    person = acme.user(Role.AGENT)
    start = last_id(acme)

    response = from_known_address(acme.api()).post(
        "/api/v1/auth/token", {"email": person.email, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    entry = only_row(acme, AuditAction.TOKEN_CREATED, start)
    _assert_actor(entry, person)
    _assert_from_known_address(entry)


# --- telephony plant ------------------------------------------------------------------------------


def test_seats_added_removed_and_secret_reset_are_logged(acme, admin_api):
    start = last_id(acme)

    added = admin_api.post("/api/v1/seats", {"count": 1}, format="json")
    seat_id = added.json()[0]["id"]
    reset = admin_api.post(f"/api/v1/seats/{seat_id}/reset-secret")
    removed = admin_api.delete(f"/api/v1/seats/{seat_id}")

    assert (added.status_code, reset.status_code, removed.status_code) == (201, 200, 204)
    add = only_row(acme, AuditAction.SEAT_ADDED, start)
    secret = only_row(acme, AuditAction.SEAT_SECRET_RESET, start)
    remove = only_row(acme, AuditAction.SEAT_REMOVED, start)
    for entry in (add, secret, remove):
        _assert_actor(entry, acme.admin())
        _assert_from_known_address(entry)
    assert add.before == {"seats": 5}
    assert add.after == {"seats": 6, "extensions": [added.json()[0]["extension"]]}
    assert remove.before["seats"] == 6 and remove.after == {"seats": 5}
    assert remove.target_id == str(seat_id)
    assert reset.json()["secret"] not in str(secret.__dict__)


def test_seat_registration_mode_change_is_a_seat_change(acme, admin_api):
    with tenant_context(acme.tenant):
        seat = _first(Seat)
    start = last_id(acme)

    response = admin_api.patch(f"/api/v1/seats/{seat.pk}", {"registration_mode": "desk_phone"}, format="json")
    admin_api.patch(f"/api/v1/seats/{seat.pk}", {"registration_mode": "desk_phone"}, format="json")  # no change

    assert response.status_code == 200
    entry = only_row(acme, AuditAction.SEAT_CHANGED, start)
    _assert_actor(entry, acme.admin())
    _assert_from_known_address(entry)
    assert entry.before == {"registration_mode": "browser"}
    assert entry.after == {"registration_mode": "desk_phone"}
    assert entry.target_id == str(seat.pk)


def test_agent_allowed_seats_change_is_logged(acme, admin_api):
    with tenant_context(acme.tenant):
        agent = make_agent(acme.user(Role.AGENT))
    start = last_id(acme)

    response = admin_api.put(f"/api/v1/agents/{agent.pk}/allowed-seats", {"seats": ["1002", "1001"]}, format="json")

    assert response.status_code == 200
    entry = only_row(acme, AuditAction.AGENT_SEATS_CHANGED, start)
    _assert_actor(entry, acme.admin())
    _assert_from_known_address(entry)
    assert entry.before == {"allowed_seats": []}
    assert entry.after == {"allowed_seats": ["1001", "1002"]}
    assert entry.target_type == "telephony.agent" and entry.target_id == str(agent.pk)


def test_seat_page_add_is_logged_with_the_browser_address(acme):
    client = from_known_address(web_login(acme, acme.admin_email))
    start = last_id(acme)

    client.post("/console/seats/", {"count": 1})

    entry = only_row(acme, AuditAction.SEAT_ADDED, start)
    _assert_actor(entry, acme.admin())
    _assert_from_known_address(entry)


def _first(model):
    return model.objects.order_by("pk").first()


@pytest.fixture
def second_number(acme) -> str:
    """A second number of acme's: a caller ID must be one of the tenant's own numbers."""
    with tenant_context(acme.tenant):
        PhoneNumber.objects.create(number="+861088880000", name="Branch", trunk=_first(Trunk))
    return "+861088880000"


def test_trunk_caller_id_change_is_its_own_action(acme, admin_api, second_number):
    with tenant_context(acme.tenant):
        trunk = _first(Trunk)
    start = last_id(acme)

    response = admin_api.patch(f"/api/v1/trunks/{trunk.pk}", {"caller_id": "+861088880000"}, format="json")

    assert response.status_code == 200
    entry = only_row(acme, AuditAction.TRUNK_CALLER_ID_CHANGED, start)
    _assert_actor(entry, acme.admin())
    _assert_from_known_address(entry)
    assert entry.before == {"name": trunk.name, "caller_id": trunk.caller_id}
    assert entry.after == {"name": trunk.name, "caller_id": "+861088880000"}
    assert entry.target_type == "telephony.trunk" and entry.target_id == str(trunk.pk)


def test_trunk_rename_is_a_trunk_change(acme, admin_api):
    with tenant_context(acme.tenant):
        trunk = _first(Trunk)
    start = last_id(acme)

    admin_api.patch(f"/api/v1/trunks/{trunk.pk}", {"name": "Beijing E1"}, format="json")

    entry = only_row(acme, AuditAction.TRUNK_CHANGED, start)
    assert entry.after["name"] == "Beijing E1"
    assert rows_after(acme, start, AuditAction.TRUNK_CALLER_ID_CHANGED) == 0


def rows_after(world, start, action) -> int:
    return len([entry for entry in rows(world, action) if entry.pk > start])


def test_number_caller_id_change_is_logged(acme, admin_api, second_number):
    with tenant_context(acme.tenant):
        number = _first(PhoneNumber)
    start = last_id(acme)

    response = admin_api.patch(f"/api/v1/numbers/{number.pk}", {"caller_id": second_number}, format="json")

    assert response.status_code == 200
    entry = only_row(acme, AuditAction.NUMBER_CALLER_ID_CHANGED, start)
    _assert_actor(entry, acme.admin())
    _assert_from_known_address(entry)
    assert entry.before["caller_id"] == number.caller_id
    assert entry.after["caller_id"] == second_number


def test_campaign_caller_id_change_is_logged(acme, admin_api, second_number):
    with tenant_context(acme.tenant):
        campaign = make_campaign(running=False)
    start = last_id(acme)

    response = admin_api.patch(f"/api/v1/campaigns/{campaign.pk}", {"caller_id": second_number}, format="json")
    admin_api.patch(f"/api/v1/campaigns/{campaign.pk}", {"name": "Renamed"}, format="json")  # caller ID unchanged

    assert response.status_code == 200, response.content
    entry = only_row(acme, AuditAction.CAMPAIGN_CALLER_ID_CHANGED, start)
    _assert_actor(entry, acme.admin())
    _assert_from_known_address(entry)
    assert entry.before == {"caller_id": campaign.caller_id}
    assert entry.after == {"caller_id": second_number}
    assert entry.target_type == "telephony.campaign"


def test_refused_change_writes_no_row(acme, admin_api):
    with tenant_context(acme.tenant):
        trunk = _first(Trunk)
    start = last_id(acme)

    response = admin_api.patch(f"/api/v1/trunks/{trunk.pk}", {"caller_id": "not a number"}, format="json")

    assert response.status_code == 400
    assert last_id(acme) == start


# --- do-not-call, exports, recordings -----------------------------------------------------------


def test_dnc_deletion_is_logged_with_what_was_removed(acme, admin_api):
    created = admin_api.post("/api/v1/dnc", {"number": "+8613900001111", "reason": "complaint"}, format="json")
    start = last_id(acme)

    response = admin_api.delete(f"/api/v1/dnc/{created.json()['id']}")

    assert response.status_code == 204
    entry = only_row(acme, AuditAction.DNC_DELETED, start)
    _assert_actor(entry, acme.admin())
    _assert_from_known_address(entry)
    assert entry.before["number"] == "+8613900001111"
    assert entry.before["reason"] == "complaint"
    with tenant_context(acme.tenant):
        assert not DoNotCall.objects.filter(number="+8613900001111").exists()


def test_campaign_export_is_logged(acme):
    with tenant_context(acme.tenant):
        campaign = make_campaign()
    supervisor = acme.user(Role.SUPERVISOR)
    client = from_known_address(acme.api(supervisor))
    start = last_id(acme)

    response = client.get(f"/api/v1/campaigns/{campaign.pk}/export", {"file_format": "csv"})
    b"".join(response.streaming_content)

    assert response.status_code == 200
    entry = only_row(acme, AuditAction.EXPORT_DOWNLOADED, start)
    _assert_actor(entry, supervisor)
    _assert_from_known_address(entry)
    assert entry.extra == {"kind": "campaign_results", "format": "csv"}
    assert entry.target_type == "telephony.campaign" and entry.target_id == str(campaign.pk)


@pytest.fixture
def recording(acme):
    with tenant_context(acme.tenant):
        queue = make_queue(wrapup_seconds=0)
        agent = make_agent(acme.user(Role.AGENT))
        call = cdr.call_open(uid=uid(), direction="inbound", caller="13900000001", callee="400", at=at(0))
        cdr.call_queued(call, queue=queue, at=at(0))
        cdr.call_answered(call, agent=agent, at=at(2))
        cdr.call_close(call, at=at(5.5), end_reason=CallEndReason.COMPLETED)
        return recording_create(call=call, duration_seconds=1.0, seed=3)


@pytest.mark.parametrize(
    ("link_action", "audit_action"),
    [("play", AuditAction.RECORDING_PLAYED), ("download", AuditAction.RECORDING_DOWNLOADED)],
)
def test_recording_play_and_download_are_logged(acme, recording, link_action, audit_action):
    supervisor = acme.user(Role.SUPERVISOR)
    with tenant_context(acme.tenant):
        url = recording_link(recording=recording, user=supervisor, action=link_action).url
    client = from_known_address(web_login(acme, supervisor.email))
    start = last_id(acme)

    response = client.get(url)
    b"".join(response.streaming_content)

    assert response.status_code == 200
    entry = only_row(acme, audit_action, start)
    _assert_actor(entry, supervisor)
    _assert_from_known_address(entry)
    assert entry.target_type == "telephony.recording" and entry.target_id == str(recording.pk)
    assert entry.extra == {"call": str(recording.call.uid)}


# --- the platform operator ----------------------------------------------------------------------


@pytest.fixture
def staff(db) -> User:
    with schema_context("public"):
        return User.objects.create_superuser("ops@platform.test", PASSWORD, name="Ops Person")


def _console(user: User) -> Client:
    client = from_known_address(Client(HTTP_HOST=settings.PLATFORM_DOMAIN))
    with schema_context("public"):
        client.force_login(user)
    return client


def test_platform_suspend_and_resume_are_written_to_the_tenants_log(acme, globex, staff):
    client = _console(staff)
    start, globex_start = last_id(acme), last_id(globex)

    suspended = client.post(f"/platform/tenants/{acme.tenant.slug}/status/", {"action": "suspend", "reason": "unpaid"})
    resumed = client.post(f"/platform/tenants/{acme.tenant.slug}/status/", {"action": "resume"})

    assert (suspended.status_code, resumed.status_code) == (302, 302)
    suspend = only_row(acme, AuditAction.PLATFORM_TENANT_SUSPENDED, start)
    resume = only_row(acme, AuditAction.PLATFORM_TENANT_RESUMED, start)
    for entry in (suspend, resume):
        _assert_actor(entry, staff, kind=ActorKind.PLATFORM)
        _assert_from_known_address(entry)
        assert entry.target_type == "tenants.tenant" and entry.target_repr == "acme"
    assert suspend.before == {"status": "active"} and suspend.after == {"status": "suspended"}
    assert suspend.extra == {"reason": "unpaid"}
    assert resume.after == {"status": "active"}
    assert last_id(globex) == globex_start


def test_platform_api_suspend_is_logged_with_the_staff_token_user(acme, staff):
    with schema_context("public"):
        raw = token_create(user=staff).raw
    client = from_known_address(APIClient(HTTP_HOST=settings.PLATFORM_DOMAIN))
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    start = last_id(acme)

    response = client.post(f"/api/v1/platform/tenants/{acme.tenant.slug}/suspend", {"reason": "abuse"}, format="json")
    client.post(f"/api/v1/platform/tenants/{acme.tenant.slug}/resume", format="json")

    assert response.status_code == 200
    entry = only_row(acme, AuditAction.PLATFORM_TENANT_SUSPENDED, start)
    _assert_actor(entry, staff, kind=ActorKind.PLATFORM)
    _assert_from_known_address(entry)


def test_platform_number_assignment_is_logged(acme, staff):
    with schema_context("public"):
        PoolNumber.objects.create(number="4009998887")
    client = _console(staff)
    start = last_id(acme)

    response = client.post(f"/platform/tenants/{acme.tenant.slug}/number/", {"number": "4009998887"})

    assert response.status_code == 302
    entry = only_row(acme, AuditAction.PLATFORM_NUMBER_ASSIGNED, start)
    _assert_actor(entry, staff, kind=ActorKind.PLATFORM)
    assert entry.after == {"number": "4009998887"}


def test_platform_caller_id_rule_change_is_logged(acme, staff):
    client = _console(staff)
    start = last_id(acme)

    client.post(f"/platform/tenants/{acme.tenant.slug}/caller-id/", {"unrestricted": "on"})
    client.post(f"/platform/tenants/{acme.tenant.slug}/caller-id/", {"unrestricted": "on"})  # no change

    entry = only_row(acme, AuditAction.PLATFORM_CALLER_ID_RULE_CHANGED, start)
    _assert_actor(entry, staff, kind=ActorKind.PLATFORM)
    _assert_from_known_address(entry)
    assert entry.before == {"caller_id_unrestricted": False}
    assert entry.after == {"caller_id_unrestricted": True}


def test_platform_carrier_address_changes_are_logged(acme, staff):
    with tenant_context(acme.tenant):
        trunk = _first(Trunk)
    client = _console(staff)
    start = last_id(acme)

    client.post("/platform/trunks/add/", {"tenant": "acme", "trunk": trunk.pk, "address": "198.51.100.4"})
    with schema_context("public"):
        row = TrunkAddress.objects.get(address="198.51.100.4")
    client.post(f"/platform/trunks/{row.pk}/remove/")

    added = only_row(acme, AuditAction.PLATFORM_TRUNK_ADDRESS_ADDED, start)
    removed = only_row(acme, AuditAction.PLATFORM_TRUNK_ADDRESS_REMOVED, start)
    _assert_actor(added, staff, kind=ActorKind.PLATFORM)
    assert added.after == {"address": "198.51.100.4", "port": 5060, "outbound": False}
    assert removed.before == {"address": "198.51.100.4"}
    assert added.target_id == str(trunk.pk)


def test_provisioning_seats_are_logged_as_system(acme):
    first = rows(acme, AuditAction.SEAT_ADDED)[0]

    assert first.actor_kind == ActorKind.SYSTEM
    assert first.actor_id is None and first.actor_email == ""
    assert first.before == {"seats": 0}
    with tenant_context(acme.tenant):
        assert first.after["seats"] == Seat.objects.count() == 5
