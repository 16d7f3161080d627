"""``GET /api/v1/calls/{uid}/analysis``: the automatic analysis of a call's recording.

Same visibility as the call itself (administrators, supervisors and QA every call; an agent the
calls they answered); 404 when the call is not visible or has not been analysed yet. A failed
analysis is returned (status ``failed`` with its ``error``), so a client can tell "not yet" from
"cannot be analysed".
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.generics import RetrieveAPIView

from apps.core.api.permissions import HasRole
from apps.core.errors import NotFoundError
from apps.telephony.models import CallAnalysis
from apps.telephony.selectors.analysis import analysis_of
from apps.telephony.selectors.calls import CALL_ROLES, access_call


class CallAnalysisSerializer(serializers.ModelSerializer):
    call = serializers.CharField(source="call.uid", read_only=True)
    segments = serializers.JSONField(
        read_only=True,
        help_text='Stretches in seconds from the start of the recording: {"agent": [[start, end], …], "caller": …, '
        '"overtalk": …, "hold": …} (a mono recording: "speech" and "hold").',
    )
    flags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = CallAnalysis
        fields = [
            "call",
            "status",
            "error",
            "version",
            "analysed_at",
            "channels",
            "duration_seconds",
            "talk_seconds",
            "agent_talk_seconds",
            "caller_talk_seconds",
            "agent_talk_ratio",
            "longest_silence_seconds",
            "silence_seconds",
            "overtalk_count",
            "overtalk_seconds",
            "agent_speech_rate_proxy",
            "hold_music_seconds",
            "agent_peak_dbfs",
            "caller_peak_dbfs",
            "agent_loud_frames",
            "caller_loud_frames",
            "flags",
            "agent_words_per_minute",
            "caller_words_per_minute",
            "transcript_longest_gap_seconds",
            "segments",
        ]
        read_only_fields = fields


class CallAnalysisView(RetrieveAPIView):
    """The call's automatic analysis: talk per party, silence, overtalk, hold music, loudness and
    flags (definitions: docs/calls-and-recordings.md, "Automatic call analysis")."""

    permission_classes = [HasRole.of(*CALL_ROLES)]
    serializer_class = CallAnalysisSerializer

    def get_object(self):
        call = access_call(user=self.request.user, uid=self.kwargs["uid"])
        analysis = analysis_of(call)
        if analysis is None:
            raise NotFoundError("not_analysed", _("This call has not been analysed yet."))
        return analysis
