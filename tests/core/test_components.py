"""The shared page components (templates/components/, CONTRIBUTING.md "Page components") render
the markup that static/js/ui.js and static/css/app.css rely on."""

from __future__ import annotations

import re
from pathlib import Path

from django import forms
from django.template import Context, Template
from django.test import RequestFactory

from apps.core.templatetags.ui import badge_kind

ROOT = Path(__file__).resolve().parents[2]


def _render(source: str, **context: object) -> str:
    request = RequestFactory().get("/calls/?agent=1")
    return Template("{% load i18n ui %}" + source).render(Context({"request": request, **context}))


def test_page_header_with_breadcrumbs():
    html = _render(
        '{% crumbs "Home" "/" "Console" "" as trail %}'
        '{% include "components/page_header.html" with title="Users" crumbs=trail subtitle="Who works here" %}'
    )

    assert '<nav class="crumbs"' in html
    assert '<a href="/">Home</a>' in html and "<span>Console</span>" in html
    assert '<li aria-current="page">Users</li>' in html
    assert "<h1>Users</h1>" in html and "Who works here" in html


def test_crumbs_resolve_url_names_and_drop_unknown_ones(acme):
    html = _render(
        '{% crumbs "A" "accounts:login" "B" "no-such-url" as trail %}{% for l, u in trail %}[{{ l }}|{{ u }}]{% endfor %}'
    )

    assert "[A|/accounts/login/]" in html and "[B|]" in html


def test_page_header_without_crumbs_has_no_nav():
    html = _render('{% include "components/page_header.html" with title="Calls" %}')

    assert "crumbs" not in html and "<h1>Calls</h1>" in html


def test_sortable_header():
    html = _render(
        '<table class="grid" data-sortable><thead><tr>'
        '{% include "components/sort_header.html" with label="Name" %}'
        '{% include "components/sort_header.html" with label="Talk (s)" type="number" %}'
        "</tr></thead></table>"
    )

    assert '<th data-sort="text" scope="col">Name</th>' in html
    assert '<th data-sort="number" class="num" scope="col">Talk (s)</th>' in html


def test_empty_state_as_a_table_row_and_alone():
    row = _render(
        '{% include "components/empty_state.html" with colspan=4 text="No calls match." hint="Try fewer filters." %}'
    )
    alone = _render(
        '{% include "components/empty_state.html" with text="No users yet." action_url="/new/" action_label="Add" %}'
    )

    assert '<tr class="empty-row" data-sort-fixed><td colspan="4">' in row
    assert '<p class="empty-text">No calls match.</p>' in row and "Try fewer filters." in row
    assert "<tr" not in alone and '<a class="button primary" href="/new/">Add</a>' in alone


def test_badge_colour_follows_the_state():
    assert badge_kind("suspended") == "bad" and badge_kind("Ready") == "good" and badge_kind("wrap-up") == "warn"
    assert badge_kind("something else") == "neutral" and badge_kind(None) == "neutral"
    html = _render('{% include "components/badge.html" with state="suspended" text="Suspended" %}')
    forced = _render('{% include "components/badge.html" with kind="info" text="Ringing" %}')

    assert '<span class="badge badge-bad" data-state="suspended">Suspended</span>' in html
    assert '<span class="badge badge-info">Ringing</span>' in forced


def test_confirm_button_carries_the_question():
    html = _render(
        '{% include "components/confirm_button.html" with action="/x/delete/" label="Delete" question="Delete this?" danger=True %}',
        csrf_token="t",
    )

    assert 'data-confirm="Delete this?"' in html and "data-danger" in html
    assert (
        'method="post" action="/x/delete/"' in html and '<button type="submit" class="danger">Delete</button>' in html
    )


def test_filter_bar_renders_the_form_fields():
    class Filter(forms.Form):
        agent = forms.CharField(label="Agent", required=False)

    html = _render('{% include "components/filter_bar.html" with form=form hx_target="#rows" %}', form=Filter())

    assert '<form method="get" class="filter-bar"' in html and 'role="search"' in html
    assert '<label for="id_agent">Agent</label>' in html
    assert 'hx-target="#rows"' in html and 'hx-get="/calls/"' in html
    assert '<a class="button" href="/calls/">' in html


def test_stat_card():
    html = _render(
        '{% include "components/stat_card.html" with label="Seats" value=5 hint="Seats you hold" href="/s/" %}'
    )

    assert html.strip().startswith('<a href="/s/" class="card stat-card"')
    assert '<span class="stat-value">5</span>' in html and 'title="Seats you hold"' in html


def test_ui_js_offers_the_api_other_scripts_call():
    script = (ROOT / "static/js/ui.js").read_text()

    assert "window.ui.toast = toast" in script
    assert "showModal" in script and "window.confirm(" not in script
    assert re.search(r"table\[data-sortable\] th\[data-sort\]", script)


def test_adopted_pages_use_the_components():
    pages = [
        "accounts/users.html",
        "telephony/seats.html",
        "audit/log.html",
        "calendar/tenant_calendar.html",
        "retention/retention.html",
        "crm/list.html",
        "telephony/calls/list.html",
    ]
    for page in pages:
        text = (ROOT / "templates" / page).read_text()
        assert "components/page_header.html" in text, page


def test_page_header_names_another_last_crumb_and_shows_a_badge_in_the_title():
    html = _render(
        '{% crumbs "Campaigns" "/c/" "Spring" "/c/1/" as trail %}'
        '{% include "components/page_header.html" with title="Spring" current="Live monitor" crumbs=trail '
        'after_title="components/badge.html" state="running" text="Running" class="campaign-status" %}'
    )

    assert '<li aria-current="page">Live monitor</li>' in html
    assert re.search(
        r'<h1>Spring\s+<span class="badge badge-info campaign-status" data-state="running">Running</span>', html
    )
