"""The prompts console (/console/ivr/prompts/): upload, play, replace, rename and delete the
tenant's prompt audio. Views validate input, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.forms import apply_error
from apps.core.http import stream_for
from apps.telephony.forms.prompts import PromptEditForm, PromptForm
from apps.telephony.models import Prompt
from apps.telephony.services import prompts as prompt_services

admin_only = role_required(Role.TENANT_ADMIN)


@admin_only
def prompts(request):
    form = PromptForm(request.POST or None, request.FILES or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            prompt_services.prompt_create(
                name=data["name"], description=data["description"], upload=data["file"], user=request.user
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Prompt uploaded; it plays once converted (a few seconds)."))
            return redirect("ivr:prompts")
    context = {
        "prompts": Prompt.objects.select_related("uploaded_by").order_by("name"),
        "form": form,
        "system_prompts": prompt_services.SYSTEM_PROMPTS,
    }
    return render(request, "telephony/prompts/list.html", context)


@admin_only
def prompt_edit(request, pk: int):
    prompt = get_object_or_404(Prompt, pk=pk)
    initial = {"name": prompt.name, "description": prompt.description}
    form = PromptEditForm(request.POST or None, request.FILES or None, initial=initial, prefix="edit")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            prompt_services.prompt_update(
                prompt=prompt,
                name=data["name"],
                description=data["description"],
                upload=data.get("file") or None,
                user=request.user,
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Prompt saved."))
            return redirect("ivr:prompts")
    return render(request, "telephony/prompts/edit.html", {"prompt": prompt, "form": form})


@require_POST
@admin_only
def prompt_delete(request, pk: int):
    prompt = get_object_or_404(Prompt, pk=pk)
    try:
        prompt_services.prompt_delete(prompt=prompt)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Prompt “%(name)s” deleted.") % {"name": prompt.name})
    return redirect("ivr:prompts")


@admin_only
def prompt_audio(request, pk: int):
    """The converted WAV for the page's <audio> player (session-authenticated, administrators)."""
    prompt = get_object_or_404(Prompt, pk=pk)
    try:
        handle = prompt_services.prompt_open(prompt=prompt)
    except NotFoundError as error:
        raise Http404(str(error.message)) from error
    response = FileResponse(handle, filename=f"{prompt.name}.wav", content_type="audio/wav")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return stream_for(request, response)
