"""The agent desk's softphone: the SIP credentials of the seat the agent is logged into.

Only the agent's own current seat, and only while logged in: anyone else (another agent, a
supervisor, an administrator, an agent logged out) gets 404, as if there were nothing to see.
Why handing out the seat's HA1 is acceptable is told in apps.sip.selectors.softphone_credentials.
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from apps.accounts.choices import Role
from apps.core.api.permissions import HasRole
from apps.core.errors import NotFoundError
from apps.sip.selectors import softphone_credentials
from apps.telephony.models import Agent


class SoftphoneCredentialsSerializer(serializers.Serializer):
    extension = serializers.CharField()
    uri = serializers.CharField(help_text="The seat's SIP address of record.")
    authorization_user = serializers.CharField(help_text="Digest username: <extension>@<slug>.")
    realm = serializers.CharField(help_text="Digest realm: the tenant's SIP domain.")
    ha1 = serializers.CharField(help_text="md5(authorization_user:realm:secret); the secret is never stored.")
    ws_url = serializers.CharField(help_text="Kamailio's WebSocket listener (SIP_WS_PUBLIC_URL).")


@extend_schema(request=None, responses={200: SoftphoneCredentialsSerializer})
@api_view(["GET"])
@permission_classes([HasRole.of(Role.AGENT)])
def me_sip(request):
    """The current seat's SIP credentials for the browser softphone (404 when not logged into a seat)."""
    agent = Agent.objects.select_related("seat").filter(user=request.user).first()
    credentials = softphone_credentials(connection.tenant, agent)
    if credentials is None:
        raise NotFoundError("not_logged_in", _("You are not logged into a seat."))
    response = Response(credentials.as_dict())
    response["Cache-Control"] = "no-store"
    return response
