"""Media files (recordings, prompts) are never served straight from MEDIA_ROOT.

They are tenant data: only views that check a signed link or the caller's role hand them out
(apps/telephony/views/calls.py ``recording_file``). A ``static()`` media route, even under
DEBUG, would serve every tenant's recordings to anyone who guesses a path.
"""

from __future__ import annotations

import importlib

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver
from django.views.static import serve


def _callbacks(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _callbacks(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


@pytest.mark.parametrize("urlconf", ["config.urls_public", "config.urls_tenant"])
@pytest.mark.parametrize("debug", [False, True])
def test_no_url_serves_files_from_disk(urlconf, debug, settings):
    settings.DEBUG = debug
    module = importlib.reload(importlib.import_module(urlconf))
    try:
        served = [route for route, callback in _callbacks(module.urlpatterns) if callback is serve]
        media = [route for route, _ in _callbacks(module.urlpatterns) if route.startswith(("media", "^media"))]
    finally:
        settings.DEBUG = False
        importlib.reload(module)
    assert served == []
    assert media == []


def test_whitenoise_never_sees_media_root():
    media = settings.MEDIA_ROOT.resolve()
    assert not str(settings.STATIC_ROOT.resolve()).startswith(str(media))
    assert not str(media).startswith(str(settings.STATIC_ROOT.resolve()))
    for entry in settings.STATICFILES_DIRS:
        path = entry[1] if isinstance(entry, tuple) else entry
        assert not str(media).startswith(str(path.resolve())), path
        assert not str(path.resolve()).startswith(str(media)), path
    assert getattr(settings, "WHITENOISE_ROOT", None) is None


def test_a_media_path_is_not_found_on_either_host(acme, public_api, settings):
    assert public_api.get("/media/acme/recordings/1.wav").status_code == 404
    assert acme.client().get("/media/acme/recordings/1.wav").status_code in (302, 404)
