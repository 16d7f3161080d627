"""A new company works at once, in its own language (issue 12, item 7): the starting data speaks
the sign-up's language, the landing page leads people to their company's login page, the
sign-up ends on a page showing the new address, and the invitation names the company."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.models import User
from apps.accounts.services import user_send_invite
from apps.telephony.models import BusinessHours, Disposition, IvrFlow, PauseReason, Queue, Skill
from apps.tenants.services.provisioning import tenant_provision
from apps.tenants.views.public import address_slug
from tests.conftest import PASSWORD


def provision(slug: str, language: str):
    with schema_context("public"):
        return tenant_provision(
            company="Initech 科技",
            slug=slug,
            admin_email=f"admin@{slug}.test",
            admin_password=PASSWORD,
            seats=2,
            plan="standard",
            language=language,
        )


def _seed(result) -> dict:
    with tenant_context(result.tenant):
        flow = IvrFlow.objects.get()
        nodes = flow.published.graph["nodes"]
        return {
            "break": PauseReason.objects.get(code="break").name,
            "resolved": Disposition.objects.get(code="resolved").name,
            "skill": Skill.objects.get(code="general").name,
            "queue": Queue.objects.get(code="general").name,
            "flow": flow.name,
            "hours": BusinessHours.objects.get().name,
            "welcome": nodes["welcome"]["prompt"],
            "menu": nodes["menu"]["prompt"],
            "voicemail": nodes["voicemail"]["prompt"],
            "label": nodes["hours"]["label"],
        }


def test_a_chinese_company_starts_with_chinese_data(db):
    seed = _seed(provision("chuangxin", "zh-hans"))
    assert seed == {
        "break": "小休",
        "resolved": "已解决",
        "skill": "综合",
        "queue": "综合",
        "flow": "主菜单",
        "hours": "默认工作时间",
        "welcome": "您好，欢迎致电Initech 科技。",
        "menu": "咨询请按1，留言请按2，人工服务请按0。",
        "voicemail": "请在提示音后留言，我们会尽快回复您。",
        "label": "工作时间",
    }


def test_an_english_company_starts_with_english_data(db):
    seed = _seed(provision("initech", "en"))
    assert seed["break"] == "Break"
    assert seed["resolved"] == "Resolved"
    assert seed["skill"] == seed["queue"] == "General"
    assert (seed["flow"], seed["hours"], seed["label"]) == ("Main menu", "Default hours", "Opening hours")
    assert seed["welcome"] == "Hello, thank you for calling Initech 科技."
    # No Chinese in an English company's prompts (and none of English in a Chinese one's, above).
    assert not any("\u4e00" <= char <= "\u9fff" for char in seed["menu"] + seed["voicemail"])


# --- the landing page's way to one's own login page ----------------------------------------------


@pytest.mark.parametrize(
    "typed", ["acme", " ACME ", "acme.localhost", "https://acme.localhost/", "http://acme.localhost:8000/desk/"]
)
def test_the_address_a_person_types_names_the_company(typed):
    assert address_slug(typed) == "acme"


def test_the_landing_page_offers_to_log_in_to_ones_contact_center(acme):
    page = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()
    assert "Log in to your contact center" in page
    assert 'name="address"' in page


def test_the_landing_page_sends_a_known_address_to_its_login_page(acme):
    response = Client(HTTP_HOST="localhost").get("/", {"address": "acme.localhost"})
    assert response.status_code == 302
    assert response["Location"] == "http://acme.localhost/accounts/login/"


def test_the_public_forms_may_send_the_browser_on_to_a_company_host(acme):
    """CSP form-action also holds a form's redirects: 'self' alone would stop the browser after
    the sign-up and after the landing page's login entry."""
    for path in ("/", "/signup/"):
        policy = Client(HTTP_HOST="localhost").get(path)["Content-Security-Policy"]
        form_action = next(part for part in policy.split(";") if part.strip().startswith("form-action"))
        assert "'self'" in form_action
        assert "*.localhost:*" in form_action


def test_an_unknown_address_is_explained_on_the_landing_page(acme):
    response = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en").get("/", {"address": "no-such-company"})
    assert response.status_code == 200
    assert "No contact center has this address." in response.content.decode()


# --- the sign-up's result page ------------------------------------------------------------------


def test_the_sign_up_ends_on_a_page_showing_the_new_address(db):
    public = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
    response = public.post(
        "/signup/",
        {
            "company": "Initech Ltd",
            "slug": "initech",
            "admin_email": "admin@initech.test",
            "admin_password": PASSWORD,
            "seats": "2",
            "plan": "standard",
            "language": "en",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "http://initech.localhost/accounts/login/?welcome=1"
    page = Client(HTTP_HOST="initech.localhost", HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/?welcome=1")
    text = page.content.decode()
    assert "Your contact center is ready." in text
    assert "http://initech.localhost/" in text
    assert "Log in to Initech Ltd" in text


# --- the invitation ---------------------------------------------------------------------------


def test_the_invitation_names_the_company_its_address_and_the_inviter(acme):
    with tenant_context(acme.tenant):
        admin = User.objects.get(email=acme.admin_email)
        invited = User.objects.create_user("newagent@acme.test", None, name="New Agent", roles=["agent"])
        user_send_invite(user=invited, base_url=f"http://{acme.host}", invited_by=admin)
    message = mail.outbox[-1]
    assert message.to == ["newagent@acme.test"]
    assert acme.tenant.name in message.subject
    assert acme.tenant.name in message.body
    assert f"http://{acme.host}/accounts/reset/" in message.body
    assert admin.get_full_name() in message.body


def test_the_set_password_page_names_the_company(acme):
    page = Client(HTTP_HOST=acme.host, HTTP_ACCEPT_LANGUAGE="en").get("/accounts/reset/MQ/set-password/", follow=True)
    # An invalid link still names whose page this is.
    assert acme.tenant.name in page.content.decode()


# --- Django's own messages, in Chinese and in the product's tone --------------------------------
# Django 5.2's "too short" msgid has no zh_Hans translation in Django's catalog, and its help texts
# say 你: apps/accounts/django_messages.py keeps ours in locale/zh_Hans.


def test_password_rules_read_in_chinese_with_the_polite_you():
    with translation.override("zh-hans"):
        texts = password_validators_help_texts()
    assert all("您" in text and "你" not in text.replace("您", "") for text in texts), texts


@pytest.mark.parametrize("password", ["abc12", "password", "12345678901"])
def test_password_refusals_read_in_chinese(password):
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as refused:
            validate_password(password, user=User(email="wang@acme.test", name="Wang"))
        messages = refused.value.messages
    assert all(any("\u4e00" <= char <= "\u9fff" for char in message) for message in messages), messages
