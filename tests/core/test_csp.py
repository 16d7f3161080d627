"""Content-Security-Policy: sent on every page, and no template needs what it forbids.

The policy allows scripts and styles only from our origin, so an inline ``<script>``
without a nonce, an ``on…=`` event-handler attribute, a ``style=`` attribute or a
``javascript:`` URL in a template would silently stop working in the browser. The grep
below keeps them out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_TAG = re.compile(r"<style\b", re.IGNORECASE)


def _directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def test_templates_exist():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT / "templates")))
def test_template_has_no_inline_script_or_handler(template):
    text = template.read_text()
    for tag in SCRIPT_TAG.findall(text):
        assert "src=" in tag or "nonce=" in tag, f"inline <script> without a nonce: {tag}"
    assert not EVENT_HANDLER.findall(text), "inline event handler (use data-confirm / data-autosubmit, static/js/ui.js)"
    assert not STYLE_ATTRIBUTE.findall(text), "inline style attribute (use a class in static/css/app.css)"
    assert not STYLE_TAG.findall(text), "inline <style> element"
    assert "javascript:" not in text.lower()


def test_the_grep_catches_what_it_forbids(tmp_path):
    bad = '<form onsubmit="return confirm(1)"><script>alert(1)</script><p style="x">'
    assert EVENT_HANDLER.search(bad)
    assert any("src=" not in tag for tag in SCRIPT_TAG.findall(bad))
    assert STYLE_ATTRIBUTE.search(bad)


def test_login_page_sends_a_strict_policy(acme):
    response = acme.client().get("/accounts/login/")

    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert set(policy["connect-src"]) >= {"'self'", "ws:", "wss:"}
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_the_public_host_and_the_api_send_it_too(acme, public_api):
    assert "script-src 'self'" in public_api.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in acme.api().get("/api/v1/me")["Content-Security-Policy"]


def test_api_docs_need_no_inline_script(acme):
    """Swagger UI's start-up script is served as a file (SpectacularSwaggerSplitView)."""
    client = acme.api(acme.admin())
    page = client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    for tag in SCRIPT_TAG.findall(html):
        assert "src=" in tag, tag
    assert client.get("/api/docs/?script=").status_code == 200


def test_base_layout_loads_the_delegated_behaviours(acme):
    html = acme.client().get("/accounts/login/").content.decode()

    assert "/static/js/ui.js" in html
    assert '"includeIndicatorStyles": false' in html


def test_only_the_api_docs_allow_inline_styles_and_still_no_inline_script(acme):
    client = acme.api(acme.admin())
    policy = _directives(client.get("/api/docs/")["Content-Security-Policy"])

    assert "'unsafe-inline'" in policy["style-src"]
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in client.get("/api/v1/me")["Content-Security-Policy"]
