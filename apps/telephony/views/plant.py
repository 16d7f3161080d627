"""Administrator console pages for seats, trunks and numbers."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.sip.selectors import seat_registrations
from apps.telephony.choices import SeatRegistrationMode
from apps.telephony.forms.plant import RenameForm, SeatAddForm, SeatModeForm
from apps.telephony.models import PhoneNumber, Seat, Trunk
from apps.telephony.services import phone_number_update, seat_delete, seat_reset_secret, seats_add, trunk_update
from apps.telephony.services.seat_credentials import seat_set_registration_mode


@role_required(Role.TENANT_ADMIN)
def seats(request):
    form = SeatAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = seats_add(tenant=request.tenant, count=form.cleaned_data["count"])
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("%(n)d seats added.") % {"n": len(added)})
            return redirect("console:seats")
    seats = list(Seat.objects.order_by("extension"))
    registrations = seat_registrations(request.tenant)
    for seat in seats:
        seat.registrations = registrations.get(seat.extension, [])
    context = {"form": form, "seats": seats, "plan": request.tenant.plan, "modes": SeatRegistrationMode.choices}
    template = "telephony/_seat_table.html" if request.htmx and request.method == "GET" else "telephony/seats.html"
    return render(request, template, context)


@require_POST
@role_required(Role.TENANT_ADMIN)
def seat_reset_secret_view(request, pk: int):
    issued = seat_reset_secret(tenant=request.tenant, seat=get_object_or_404(Seat, pk=pk))
    return render(request, "telephony/seat_secret.html", {"seat": issued.seat, "secret": issued.secret})


@require_POST
@role_required(Role.TENANT_ADMIN)
def seat_mode_view(request, pk: int):
    """Switch a seat between browser softphone and desk phone (the seats page's per-row form)."""
    seat = get_object_or_404(Seat, pk=pk)
    form = SeatModeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose browser or desk phone."))
        return redirect("console:seats")
    seat = seat_set_registration_mode(seat=seat, mode=form.cleaned_data["registration_mode"])
    if seat.registration_mode == SeatRegistrationMode.DESK_PHONE:
        messages.success(
            request,
            _("Seat %(extension)s now registers as a desk phone: reset its secret and enter it in the phone.")
            % {"extension": seat.extension},
        )
    else:
        messages.success(
            request,
            _("Seat %(extension)s now registers in the browser, with a new credential at every login.")
            % {"extension": seat.extension},
        )
    return redirect("console:seats")


@require_POST
@role_required(Role.TENANT_ADMIN)
def seat_delete_view(request, pk: int):
    try:
        seat_delete(tenant=request.tenant, seat=get_object_or_404(Seat, pk=pk))
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Seat removed."))
    return redirect("console:seats")


@role_required(Role.TENANT_ADMIN, Role.SUPERVISOR)
def telephony(request):
    context = {
        "trunks": Trunk.objects.all(),
        "numbers": PhoneNumber.objects.select_related("trunk"),
        "number_pending": request.tenant.number_pending,
        "can_edit": request.user.has_role(Role.TENANT_ADMIN),
    }
    return render(request, "telephony/telephony.html", context)


def _edit(request, obj, service, title):
    form = RenameForm(request.POST or None, initial={"name": obj.name, "caller_id": obj.caller_id})
    if request.method == "POST" and form.is_valid():
        try:
            service(obj, **form.cleaned_data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("console:telephony")
    return render(request, "telephony/rename.html", {"form": form, "subject": obj, "title": title})


@role_required(Role.TENANT_ADMIN)
def trunk_edit(request, pk: int):
    return _edit(request, get_object_or_404(Trunk, pk=pk), lambda o, **f: trunk_update(trunk=o, **f), _("Trunk"))


@role_required(Role.TENANT_ADMIN)
def number_edit(request, pk: int):
    return _edit(
        request,
        get_object_or_404(PhoneNumber, pk=pk),
        lambda o, **f: phone_number_update(number=o, **f),
        _("Phone number"),
    )
