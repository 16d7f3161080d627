"""The agent desk's softphone: the per-login SIP credential of the seat the agent is logged into.

Only the agent's own current seat, only while logged in, and only a browser seat: anyone else
(another agent, a supervisor, an administrator, an agent logged out) gets 404, as if there were
nothing to see; an agent at a desk phone seat gets 404 ``desk_phone_seat`` (the phone rings
instead). Why handing out this HA1 is acceptable is told in apps.sip.selectors.softphone_credentials.
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
from apps.telephony import agent_states
from apps.telephony.choices import SeatRegistrationMode
from apps.telephony.models import Agent


class SoftphoneCredentialsSerializer(serializers.Serializer):
    extension = serializers.CharField()
    uri = serializers.CharField(help_text="The seat's SIP address of record.")
    authorization_user = serializers.CharField(help_text="Digest username: <extension>@<slug>.")
    realm = serializers.CharField(help_text="Digest realm: the tenant's SIP domain.")
    ha1 = serializers.CharField(
        help_text="The digest HA1 of this login: issued when the agent logged into the seat, void once they leave it."
    )
    ws_url = serializers.CharField(help_text="Kamailio's WebSocket listener (SIP_WS_PUBLIC_URL).")
    ice_servers = serializers.ListField(
        child=serializers.DictField(),
        help_text=(
            "RTCIceServer entries: the TURN server (turn:/turns: URLs) with a time-limited credential,"
            " username '<expiry>:<tenant>:<user>'; empty when TURN is off."
        ),
    )
    ice_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the TURN credential expires: fetch this again before then."
    )
    ice_transport_policy = serializers.ChoiceField(
        choices=["all", "relay"], help_text="'relay': the platform sends every softphone's media through TURN."
    )


@extend_schema(request=None, responses={200: SoftphoneCredentialsSerializer})
@api_view(["GET"])
@permission_classes([HasRole.of(Role.AGENT)])
def me_sip(request):
    """The current login's SIP credential for the browser softphone (404 when not logged into a browser seat)."""
    agent = Agent.objects.select_related("seat").filter(user=request.user).first()
    session = getattr(request, "session", None)
    # The TURN credential never outlives the agent's web session (a session-less API client: the TTL alone).
    not_after = session.get_expiry_date() if session is not None and session.session_key else None
    credentials = softphone_credentials(connection.tenant, agent, not_after=not_after)
    if credentials is None:
        logged_in = agent is not None and agent.seat_id is not None and agent.state != agent_states.OFFLINE
        if logged_in and agent.seat.registration_mode == SeatRegistrationMode.DESK_PHONE:
            raise NotFoundError(
                "desk_phone_seat", _("This seat uses a desk phone: calls ring on the phone, not in the browser.")
            )
        raise NotFoundError("not_logged_in", _("You are not logged into a seat."))
    response = Response(credentials.as_dict())
    response["Cache-Control"] = "no-store"
    return response
