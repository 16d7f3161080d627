"""Certification pages: the list (authors create one; authors, supervisors and HR see every
certificate with its expiry and revoke), and a person's certificates (one's own, or anyone's for
those readers)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.training.forms.certifications import CertificationForm, RevokeForm
from apps.training.models import Certificate, Certification
from apps.training.selectors.attempts import AUTHOR_ROLES, is_author
from apps.training.selectors.certifications import certificate_state, certificates_all, certificates_of
from apps.training.services import certifications as services

READ_ALL_ROLES = (*AUTHOR_ROLES, Role.SUPERVISOR, Role.HR)
TAKER_ROLES = tuple(Role.values)


def _rows(certificates):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return [{"certificate": c, "state": certificate_state(c, now)} for c in certificates]


@role_required(*TAKER_ROLES)
def certifications(request):
    author = is_author(request.user)
    form = CertificationForm(request.POST or None) if author else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                services.certification_create(actor=request.user, data=form.as_data())
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Certification created."))
                return redirect("training:certifications")
    context = {
        "certifications": Certification.objects.select_related("exam", "skill").order_by("name"),
        "form": form,
        "certificates": _rows(certificates_all()[:500]) if request.user.has_role(*READ_ALL_ROLES) else None,
        "can_revoke": author,
    }
    return render(request, "training/certifications.html", context)


@role_required(*TAKER_ROLES)
def my_certificates(request):
    return render(
        request,
        "training/certificates.html",
        {"person": request.user, "rows": _rows(certificates_of(request.user)), "own": True},
    )


@role_required(*READ_ALL_ROLES)
def person_certificates(request, user_id: int):
    person = get_object_or_404(User, pk=user_id)
    return render(
        request, "training/certificates.html", {"person": person, "rows": _rows(certificates_of(person)), "own": False}
    )


@require_POST
@role_required(*AUTHOR_ROLES)
def certificate_revoke(request, pk: int):
    certificate = get_object_or_404(Certificate, pk=pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the certificate is revoked."))
    else:
        try:
            services.certificate_revoke(actor=request.user, certificate=certificate, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Certificate revoked: the skill it granted stops routing calls."))
    return redirect("training:certifications")
