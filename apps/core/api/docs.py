"""The Swagger UI page under the Content-Security-Policy.

``SpectacularSwaggerSplitView`` serves Swagger UI's start-up script as a file, so no inline
script is needed; Swagger UI's React components still set ``style`` attributes, so this one
page (and only it) allows inline *styles*. Inline styles cannot run code.
"""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularSwaggerSplitView


def api_docs_view(url_name: str = "schema"):
    return csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name=url_name))
