"""WSGI entry point (the product runs under ASGI; this is for WSGI-only hosts)."""

from django.core.wsgi import get_wsgi_application

from config.entrypoint import require_settings_module

require_settings_module()
application = get_wsgi_application()
