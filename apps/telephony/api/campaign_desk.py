"""The outbound side of the agent desk under /api/v1/: a campaign call's contact, script and
dispositions, and preview dialing (show, dial, skip). Agents act on themselves only; the engine
carries out preview actions (202) and answers over /ws/agent/ (docs/realtime.md)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from apps.accounts.choices import Role
from apps.core.api.permissions import HasRole
from apps.telephony.selectors.campaigns.pages import campaign_call_context, preview_contact_labels
from apps.telephony.services.agent_state import agent_ensure
from apps.telephony.services.campaigns import preview

IsAgent = HasRole.of(Role.AGENT)


class CampaignDispositionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["final", "retry", "dnc"])
    min_gap_minutes = serializers.IntegerField()
    max_attempts = serializers.IntegerField()


class CampaignContactSerializer(serializers.Serializer):
    contact_id = serializers.IntegerField()
    name = serializers.CharField()
    number = serializers.CharField()
    attempt = serializers.IntegerField()
    # The offer message's key (docs/realtime.md); DRF's metaclass moves it out of the class attributes.
    fields = serializers.DictField(help_text="Standard and custom fields.")  # type: ignore[assignment]
    labels = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="Custom fields' names as the contact list's columns called them (key → column header).",
    )


class CampaignCallSerializer(serializers.Serializer):
    call_uid = serializers.CharField()
    campaign_id = serializers.IntegerField()
    campaign_name = serializers.CharField()
    contact = CampaignContactSerializer()
    script = serializers.CharField(help_text="The campaign's script filled in for this contact.")
    dispositions = CampaignDispositionSerializer(many=True)


class PreviewRequestSerializer(serializers.Serializer):
    contact_id = serializers.IntegerField(required=False, allow_null=True)


class PreviewSkipRequestSerializer(serializers.Serializer):
    contact_id = serializers.IntegerField()


class PreviewAcceptedSerializer(serializers.Serializer):
    type = serializers.CharField()
    agent_id = serializers.IntegerField()
    contact_id = serializers.IntegerField(allow_null=True)


class PreviewLabelsQuerySerializer(serializers.Serializer):
    contact_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class PreviewLabelsSerializer(serializers.Serializer):
    contact_id = serializers.IntegerField()
    labels = serializers.DictField(
        child=serializers.CharField(),
        help_text="Custom fields' names as the contact list's columns called them (key → column header).",
    )


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@extend_schema(request=None, responses={200: CampaignCallSerializer})
@api_view(["GET"])
@permission_classes([IsAgent])
def campaign_call(request, uid: str):
    """The campaign part of the agent's own call (404 ``not_campaign_call`` for other calls)."""
    context = campaign_call_context(agent=agent_ensure(user=request.user), call_uid=uid)
    return Response(CampaignCallSerializer(context).data)


@extend_schema(request=PreviewRequestSerializer, responses={202: PreviewAcceptedSerializer})
@api_view(["POST"])
@permission_classes([IsAgent])
def preview_dial(request):
    """Dial the contact shown for preview (give its ``contact_id`` so a stale click dials nobody)."""
    data = _valid(PreviewRequestSerializer, request)
    message = preview.preview_dial(agent=agent_ensure(user=request.user), contact_id=data.get("contact_id"))
    return Response(message, status=status.HTTP_202_ACCEPTED)


@extend_schema(request=PreviewSkipRequestSerializer, responses={202: PreviewAcceptedSerializer})
@api_view(["POST"])
@permission_classes([IsAgent])
def preview_skip(request):
    """Skip the contact shown for preview; it goes back in line and the next one is shown."""
    data = _valid(PreviewSkipRequestSerializer, request)
    message = preview.preview_skip(agent=agent_ensure(user=request.user), contact_id=data["contact_id"])
    return Response(message, status=status.HTTP_202_ACCEPTED)


@extend_schema(request=None, responses={202: PreviewAcceptedSerializer})
@api_view(["POST"])
@permission_classes([IsAgent])
def preview_next(request):
    """Show the contact to preview again (a reloaded desk has lost it); it arrives as ``campaign.preview``."""
    message = preview.preview_next(agent=agent_ensure(user=request.user))
    return Response(message, status=status.HTTP_202_ACCEPTED)


@extend_schema(parameters=[PreviewLabelsQuerySerializer], responses={200: PreviewLabelsSerializer})
@api_view(["GET"])
@permission_classes([IsAgent])
def preview_labels(request):
    """The column headers for the custom fields of the contact on the preview card (``campaign.preview``
    carries the fields by key only); the campaign-call panel gets the same from ``calls/<uid>/campaign``."""
    query = PreviewLabelsQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    contact_id = query.validated_data["contact_id"]
    return Response({"contact_id": contact_id, "labels": preview_contact_labels(contact_id=contact_id)})
