from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.telephony.models import PhoneNumber, Seat, Trunk


@login_required
def home(request):
    """The tenant's start page: who you are, what the company has, what needs attention."""
    context = {
        "seat_count": Seat.objects.count(),
        "trunk_count": Trunk.objects.count(),
        "numbers": list(PhoneNumber.objects.values_list("number", flat=True)),
        "number_pending": request.tenant.number_pending,
    }
    return render(request, "core/home.html", context)
