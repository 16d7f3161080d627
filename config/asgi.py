"""HTTP and websockets. Websockets resolve the tenant from the Host header, then the user
from the session cookie or ``?token=``, before any consumer runs. The Origin check lets a
token socket without ``Origin`` through (apps/accounts/channels.py)."""

import gc

from django.core.asgi import get_asgi_application

from config.entrypoint import require_settings_module

require_settings_module()
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.accounts.channels import TenantAuthMiddleware, TokenOrOriginValidator  # noqa: E402
from apps.tenants.channels import TenantWebsocketMiddleware  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

websocket_application = TenantWebsocketMiddleware(TenantAuthMiddleware(URLRouter(websocket_urlpatterns)))

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": TokenOrOriginValidator(websocket_application),
    }
)

# Everything imported so far (Django, the apps, their module-level data: most of the heap) lives
# as long as the process. Moving it out of the collector's reach keeps full collections short:
# otherwise one comes due after a burst of websocket connects and stalls every socket of the
# process for 150+ ms while it walks the whole heap (decisions/0004).
gc.collect()
gc.freeze()
