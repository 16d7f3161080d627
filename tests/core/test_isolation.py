"""Cross-tenant isolation of the tenant API.

Every route under ``api/v1/`` is found from the URL resolver, so a route added later is
covered without touching this file. Each one is called on acme's host by an anonymous
client, with a globex token and with a globex session; all three must be refused.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from apps.accounts.models import User
from tests.accounts.helpers import web_login

TENANT_URLCONF = "config.urls_tenant"
API_PREFIX = "api/v1/"
# Routes that must answer strangers: getting a token is how one stops being a stranger.
PUBLIC_ROUTES = {"api/v1/auth/token"}
# Routes whose signed link is the authority (handed to a browser or an e-mail without the API
# token): they ignore credentials, so every stranger is refused by the signature (403) or the method (405).
SIGNED_ROUTES = {"api/v1/reports/runs/1/download"}
KNOWN_ROUTES = {
    "api/v1/me",
    "api/v1/users",
    "api/v1/users/1",
    "api/v1/seats",
    "api/v1/seats/1",
    "api/v1/seats/1/reset-secret",
    "api/v1/trunks",
    "api/v1/trunks/1",
    "api/v1/numbers",
    "api/v1/numbers/1",
    "api/v1/audit",
    "api/v1/audit/1",
    "api/v1/audit/export",
    "api/v1/audit/settings",
}
PARAMETER_VALUE = "1"


def _replace_regex_groups(regex: str) -> str:
    """``^seats/(?P<pk>[^/.]+)/x$`` → ``seats/1/x``: every group becomes one parameter value."""
    regex = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    out: list[str] = []
    index = 0
    while index < len(regex):
        char = regex[index]
        if char == "\\" and index + 1 < len(regex):
            out.append(regex[index + 1])
            index += 2
        elif char == "(":
            depth = 0
            in_class = False
            while index < len(regex):
                current = regex[index]
                if current == "\\":
                    index += 2
                    continue
                if in_class:
                    in_class = current != "]"
                elif current == "[":
                    in_class = True
                elif current == "(":
                    depth += 1
                elif current == ")":
                    depth -= 1
                    if depth == 0:
                        break
                index += 1
            out.append(PARAMETER_VALUE)
            index += 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _concrete(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        text = str(pattern)
        out, rest = [], text
        while "<" in rest:
            before, _, after = rest.partition("<")
            out.append(before + PARAMETER_VALUE)
            rest = after.partition(">")[2]
        return "".join(out) + rest
    if isinstance(pattern, RegexPattern):
        return _replace_regex_groups(str(pattern))
    raise TypeError(f"unknown URL pattern type {type(pattern).__name__}")


def _methods(callback) -> list[str]:
    """The HTTP methods a route answers, read from the view itself."""
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset: method → action
        methods = set(actions)
    else:  # a DRF function view (@api_view) or APIView
        cls = getattr(callback, "cls", None)
        if cls is None:
            raise AssertionError(f"{callback!r} is not a DRF view; the isolation walk cannot read its methods")
        methods = {method for method in cls.http_method_names if method != "trace"}
    methods.add("options")
    return sorted(methods)


def _walk(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        path = prefix + _concrete(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry, path)
        elif isinstance(entry, URLPattern) and path.startswith(API_PREFIX):
            yield path, entry


def api_routes() -> dict[str, list[str]]:
    """``{"api/v1/seats/1": ["delete", "get", "options"], ...}`` for every tenant API route."""
    routes: dict[str, list[str]] = {}
    for path, entry in _walk(get_resolver(TENANT_URLCONF)):
        routes.setdefault(path, [])
        routes[path] = sorted(set(routes[path]) | set(_methods(entry.callback)))
    return routes


ROUTES = api_routes()
# One case per route (all its methods inside): the same requests as one case per method,
# at a third of the run time.
CASES = [
    pytest.param(path, methods, id=f"/{path}") for path, methods in sorted(ROUTES.items()) if path not in PUBLIC_ROUTES
]


def _call(client, method: str, path: str, **extra):
    return client.generic(method.upper(), f"/{path}", data=json.dumps({}), content_type="application/json", **extra)


def _statuses(client, path: str, methods: list[str], **extra) -> dict[str, int]:
    return {method: _call(client, method, path, **extra).status_code for method in methods}


# --- the walk itself --------------------------------------------------------------------------


def test_walk_finds_every_known_route():
    missing = KNOWN_ROUTES - set(ROUTES)

    assert not missing, f"the resolver walk lost routes: {sorted(missing)}"


def test_walk_reads_methods_from_the_views():
    assert {"get", "post"} <= set(ROUTES["api/v1/users"])
    assert {"get", "patch", "delete"} <= set(ROUTES["api/v1/users/1"])
    assert "post" in ROUTES["api/v1/seats/1/reset-secret"]
    assert "get" in ROUTES["api/v1/me"]
    assert "post" not in ROUTES["api/v1/trunks"]


def test_walk_produces_paths_that_resolve_to_their_own_view():
    for path, entry in _walk(get_resolver(TENANT_URLCONF)):
        assert resolve(f"/{path}", urlconf=TENANT_URLCONF).func is entry.callback, path


def test_only_the_token_route_is_exempt():
    assert set(ROUTES) & PUBLIC_ROUTES == PUBLIC_ROUTES
    assert len(CASES) >= len(KNOWN_ROUTES)
    assert sum(len(methods) for methods in ROUTES.values()) > 2 * len(KNOWN_ROUTES)


# --- positive controls: the credentials used below do work at home --------------------------------


def test_acme_admin_token_works_on_acme(acme):
    response = acme.api(acme.admin()).get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["tenant"] == "acme"


def test_globex_token_works_on_globex(globex):
    response = globex.api(globex.admin()).get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["tenant"] == "globex"


def test_globex_session_works_on_globex(globex):
    client = web_login(globex, globex.admin_email)

    response = client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["email"] == globex.admin_email


def test_shared_session_client_is_logged_in_on_globex(globex, stranger):
    """The walk's session client really holds a working globex session."""
    web_login(globex, globex.admin_email, client=stranger.session)

    response = stranger.session.get("/api/v1/me", HTTP_HOST=globex.host)

    assert response.status_code == 200
    assert response.json()["tenant"] == "globex"


# --- every route, three kinds of stranger ------------------------------------------------------


@pytest.fixture(scope="module")
def shared_clients():
    """Clients reused across the many cases below: each new client builds its middleware stack
    (WhiteNoise scans every static file), which would dominate this module's run time."""
    return SimpleNamespace(anonymous=APIClient(), token=APIClient(), session=Client())


@pytest.fixture
def stranger(shared_clients):
    for client in vars(shared_clients).values():
        client.cookies.clear()
    return shared_clients


@pytest.mark.parametrize(("path", "methods"), CASES)
def test_strangers_are_refused_on_every_method(acme, globex, stranger, path, methods):
    """(a) anonymous → 401/403; (b) a globex token → 401; (c) a globex session → 401/403.

    The three strangers share one case per route to keep the walk fast; the failure message
    names the stranger and the methods that were let through.
    """
    token = globex.token(globex.admin())
    web_login(globex, globex.admin_email, client=stranger.session)
    if path.removeprefix("/") in SIGNED_ROUTES:
        refused = (403, 405)
        methods = [method for method in methods if method != "options"]  # DRF's metadata: no data
        let_through = {
            who: {
                method: status
                for method, status in _statuses(client, path, methods, **extra).items()
                if status not in refused
            }
            for who, client, extra in (
                ("anonymous", stranger.anonymous, {"HTTP_HOST": acme.host}),
                ("globex token", stranger.token, {"HTTP_HOST": acme.host, "HTTP_AUTHORIZATION": f"Token {token}"}),
                ("globex session", stranger.session, {"HTTP_HOST": acme.host}),
            )
        }
        assert {who: found for who, found in let_through.items() if found} == {}
        return

    let_through = {
        "anonymous": {
            method: status
            for method, status in _statuses(stranger.anonymous, path, methods, HTTP_HOST=acme.host).items()
            if status not in (401, 403)
        },
        "globex token": {
            method: status
            for method, status in _statuses(
                stranger.token, path, methods, HTTP_HOST=acme.host, HTTP_AUTHORIZATION=f"Token {token}"
            ).items()
            if status != 401
        },
        "globex session": {
            method: status
            for method, status in _statuses(stranger.session, path, methods, HTTP_HOST=acme.host).items()
            if status not in (401, 403)
        },
    }

    assert {who: found for who, found in let_through.items() if found} == {}


@pytest.mark.parametrize("path", ["api/schema/", "api/docs/"])
def test_api_schema_and_docs_refuse_another_tenants_token(acme, globex, path):
    client = APIClient(HTTP_HOST=acme.host, HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")

    assert client.get(f"/{path}").status_code == 401
    assert acme.api().get(f"/{path}").status_code in (401, 403)


def test_api_schema_is_served_to_the_tenants_own_users(acme):
    response = acme.api(acme.admin()).get("/api/schema/")

    assert response.status_code == 200


# --- objects of one tenant are not reachable through another -------------------------------------


@pytest.fixture
def acme_only_user(acme, globex):
    """An acme user whose id does not exist in globex (ids are per schema and may coincide)."""
    with tenant_context(globex.tenant):
        globex_ids = set(User.objects.values_list("pk", flat=True))
    user = acme.user("agent", email="acme-secret-person@acme.test")
    while user.pk in globex_ids:
        with tenant_context(acme.tenant):
            User.objects.filter(pk=user.pk).delete()
        user = acme.user("agent", email="acme-secret-person@acme.test")
    return user


def test_acme_user_id_is_404_on_globex(acme, globex, acme_only_user):
    client = globex.api(globex.admin())

    response = client.get(f"/api/v1/users/{acme_only_user.pk}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert b"acme-secret-person" not in response.content


def test_acme_user_cannot_be_changed_or_deleted_from_globex(acme, globex, acme_only_user):
    client = globex.api(globex.admin())

    patch = client.patch(f"/api/v1/users/{acme_only_user.pk}", {"name": "Pwned"}, format="json")
    delete = client.delete(f"/api/v1/users/{acme_only_user.pk}")

    assert patch.status_code == 404
    assert delete.status_code == 404
    with tenant_context(acme.tenant):
        stored = User.objects.get(pk=acme_only_user.pk)
    assert stored.name == acme_only_user.name


def test_globex_user_list_does_not_contain_acme_users(globex, acme_only_user):
    response = globex.api(globex.admin()).get("/api/v1/users")

    emails = {user["email"] for user in response.json()["results"]}
    assert acme_only_user.email not in emails
    assert "admin@acme.test" not in emails
