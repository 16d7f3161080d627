"""Prompt audio (/api/v1/prompts): administrators upload, replace, rename and delete;
supervisors list and play.

Create and update take ``multipart/form-data`` with ``file`` (WAV or MP3, at most 20 MB and
10 minutes). The request checks the size and the type (400 under ``fields.file``: codes
``not_audio``, ``unsupported_format``, ``empty_file``, ``file_too_large``; nothing is stored);
a worker then decodes it (``status``: ``converting`` → ``ready``, or ``failed`` with
``error_message`` — ``too_long``, undecodable audio; a replaced prompt keeps playing its
previous audio). The stored audio is 8 kHz mono 16-bit PCM WAV, streamed by
``GET /api/v1/prompts/{id}/audio``.
"""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.accounts.choices import Role
from apps.core.api.permissions import HasRole
from apps.core.http import stream_for
from apps.telephony.models import Prompt
from apps.telephony.services import prompts as prompt_services

AdminWritesSupervisorReads = HasRole.of(Role.TENANT_ADMIN, read=(Role.SUPERVISOR,))


class PromptSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.IntegerField(source="uploaded_by_id", read_only=True, allow_null=True)
    audio_url = serializers.SerializerMethodField()

    class Meta:
        model = Prompt
        fields = [
            "id",
            "name",
            "description",
            "original_filename",
            "duration_seconds",
            "size_bytes",
            "uploaded_by",
            "created_at",
            "updated_at",
            "status",
            "error_message",
            "audio_url",
        ]
        read_only_fields = fields

    def get_audio_url(self, prompt: Prompt) -> str:
        return reverse("prompt-audio", args=[prompt.pk])


class PromptCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="Letters, digits, “.”, “_”, “-”; unique in the tenant.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    # Empty files reach the service, which refuses them with its own code (``empty_file``).
    file = serializers.FileField(allow_empty_file=True, help_text="WAV or MP3, at most 20 MB and 10 minutes.")


class PromptUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    file = serializers.FileField(
        required=False, allow_empty_file=True, help_text="New audio (WAV or MP3) replacing the current one."
    )


class PromptViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Uploaded prompt audio, played by IVR nodes (``audio``) or instead of a system sound."""

    permission_classes = [AdminWritesSupervisorReads]
    serializer_class = PromptSerializer
    queryset = Prompt.objects.all().order_by("name")
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(request={"multipart/form-data": PromptCreateSerializer}, responses={201: PromptSerializer})
    def create(self, request):
        serializer = PromptCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        prompt = prompt_services.prompt_create(
            name=data["name"], description=data["description"], upload=data["file"], user=request.user
        )
        return Response(PromptSerializer(prompt).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": PromptUpdateSerializer}, responses={200: PromptSerializer})
    def partial_update(self, request, pk=None):
        serializer = PromptUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        prompt = prompt_services.prompt_update(
            prompt=self.get_object(),
            name=data.get("name"),
            description=data.get("description"),
            upload=data.get("file"),
            user=request.user,
        )
        return Response(PromptSerializer(prompt).data)

    def destroy(self, request, pk=None):
        prompt_services.prompt_delete(prompt=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={(200, "audio/wav"): OpenApiResponse(OpenApiTypes.BINARY, description="8 kHz mono PCM WAV")}
    )
    @action(detail=True, methods=["get"], url_path="audio", url_name="audio")
    def audio(self, request, pk=None):
        """Stream the converted audio (``?download=1``: as an attachment)."""
        prompt = self.get_object()
        response = FileResponse(
            prompt_services.prompt_open(prompt=prompt),
            as_attachment=request.query_params.get("download") == "1",
            filename=f"{prompt.name}.wav",
            content_type="audio/wav",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return stream_for(request, response)
