"""Forms of the prompts console (apps/telephony/views/prompts.py). Names, formats and sizes are
the prompt services' to check; these only collect the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from apps.core.widgets import FileInput

AUDIO_ACCEPT = ".wav,.mp3,audio/wav,audio/x-wav,audio/mpeg"


class PromptForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy(
            "Letters, digits, “.”, “_” or “-”. IVR nodes refer to it; a system name such as hold_music replaces "
            "the built-in sound."
        ),
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    file = forms.FileField(
        label=gettext_lazy("Audio file"),
        help_text=gettext_lazy("WAV or MP3, at most 20 MB and 10 minutes."),
        widget=FileInput(attrs={"accept": AUDIO_ACCEPT}),
    )


class PromptEditForm(PromptForm):
    file = forms.FileField(
        label=gettext_lazy("Replace the audio"),
        required=False,
        help_text=gettext_lazy("WAV or MP3; leave empty to keep the current audio."),
        widget=FileInput(attrs={"accept": AUDIO_ACCEPT}),
    )
