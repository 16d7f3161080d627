from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from apps.core.navigation import home_redirect, tools_for
from apps.telephony.models import PhoneNumber, Seat, Trunk


@login_required
def home(request):
    """The tenant's start page: who you are, what the company has, what needs attention.

    Agents and supervisors land on their workspace instead (apps/core/navigation.py)."""
    target = home_redirect(request.user)
    if target is not None:
        return redirect(target)
    context = {
        "seat_count": Seat.objects.count(),
        "trunk_count": Trunk.objects.count(),
        "numbers": list(PhoneNumber.objects.values_list("number", flat=True)),
        "number_pending": request.tenant.number_pending,
        "tools": tools_for(request.user),
    }
    return render(request, "core/home.html", context)
