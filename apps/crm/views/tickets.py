"""Ticket pages: the list with its filters and due badges, the new-ticket form (pre-filled from a
call or a customer), the ticket page with its timeline and one form per allowed step."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.forms import apply_error
from apps.crm.filtersets import TicketFilterSet
from apps.crm.forms.tickets import (
    AssignForm,
    AttachmentForm,
    ChangeForm,
    FollowUpForm,
    NoteForm,
    ReasonForm,
    ResolveForm,
    SuperviseForm,
    TicketForm,
    VisitForm,
)
from apps.crm.models import Customer, TicketAttachment
from apps.crm.paging import EstimatedCountPaginator
from apps.crm.roles import TICKET_CREATE_ROLES, TICKET_READ_ROLES
from apps.crm.selectors.customers import customer_by_phone
from apps.crm.selectors.tickets import (
    access_ticket,
    actions_for,
    due_badge,
    ticket_detail,
    ticket_list,
    ticket_timeline,
)
from apps.crm.services import (
    ticket_assign,
    ticket_attach,
    ticket_change,
    ticket_close,
    ticket_create,
    ticket_follow_up,
    ticket_note,
    ticket_reopen,
    ticket_resolve,
    ticket_supervise,
    ticket_visit,
)
from apps.crm.ticket_states import TicketAction
from apps.telephony.selectors.calls import ALL_CALLS_ROLES, calls_visible_to

PAGE_SIZE = 50


@role_required(*TICKET_READ_ROLES)
def ticket_list_view(request):
    filterset = TicketFilterSet(request.GET or None, queryset=ticket_list(user=request.user), request=request)
    page = EstimatedCountPaginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for ticket in page:
        ticket.badge = due_badge(ticket, now)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "can_create": request.user.has_role(*TICKET_CREATE_ROLES),
        "can_configure": request.user.has_role("tenant_admin"),
    }
    return render(request, "crm/tickets/list.html", context)


def _prefill(request) -> tuple[dict, Customer | None, object | None]:
    """What a link from the desk (``?call=<uid>``) or a customer page (``?customer=<id>``) fills in."""
    initial: dict = {}
    customer = call = None
    uid = (request.GET.get("call") or "").strip()
    if uid:
        call = calls_visible_to(request.user).filter(uid=uid).first()
        if call is not None:
            initial["call"] = call.uid
            customer = call.customer or customer_by_phone(call.caller)
            initial["title"] = _("Call from %(caller)s") % {"caller": call.caller}
    customer_id = request.GET.get("customer", "")
    if customer is None and customer_id.isdigit():
        customer = Customer.objects.filter(pk=int(customer_id)).first()
    if customer is not None:
        initial["customer"] = customer.pk
        initial.setdefault("title", customer.name)
    return initial, customer, call


@role_required(*TICKET_CREATE_ROLES)
def ticket_new(request):
    initial, customer, call = _prefill(request)
    form = TicketForm(request.POST or None, initial=initial)
    if request.method == "POST":
        customer_id = request.POST.get("customer", "")
        customer = Customer.objects.filter(pk=int(customer_id)).first() if customer_id.isdigit() else None
        uid = request.POST.get("call", "")
        call = calls_visible_to(request.user).filter(uid=uid).first() if uid else None
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = ticket_create(
                    actor=request.user,
                    title=data["title"],
                    description=data["description"],
                    category=data["category"].pk,
                    priority=data["priority"],
                    customer=data["customer"],
                    call=data["call"] or None,
                )
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Ticket %(number)s received.") % {"number": ticket.number})
                return redirect("tickets:detail", pk=ticket.pk)
    return render(request, "crm/tickets/new.html", {"form": form, "customer": customer, "call": call})


ACTION_FORMS = {
    TicketAction.ASSIGN: AssignForm,
    TicketAction.SUPERVISE: SuperviseForm,
    TicketAction.FOLLOW_UP: FollowUpForm,
    TicketAction.RESOLVE: ResolveForm,
    TicketAction.VISIT: VisitForm,
    TicketAction.CLOSE: ReasonForm,
    TicketAction.REOPEN: ReasonForm,
    TicketAction.CHANGE: ChangeForm,
}


def _forms(ticket, allowed: list[str], bound: dict | None = None) -> dict:
    forms: dict[str, Any] = {}
    for action, form_class in ACTION_FORMS.items():
        if action.value not in allowed:
            continue
        initial = {"priority": ticket.priority, "category": ticket.category_id} if action == TicketAction.CHANGE else {}
        if action == TicketAction.ASSIGN:
            initial = {"department": ticket.department_id}
        forms[action.value] = (bound or {}).get(action.value) or form_class(initial=initial, prefix=action.value)
    if TicketAction.NOTE.value in allowed:
        forms["note"] = (bound or {}).get("note") or NoteForm(prefix="note")
        forms["attach"] = (bound or {}).get("attach") or AttachmentForm(prefix="attach")
    return forms


def _page(request, ticket, *, bound: dict | None = None, status: int = 200):
    ticket = ticket_detail(user=request.user, pk=ticket.pk)
    allowed = actions_for(request.user, ticket)
    sees_all_calls = request.user.has_role(*ALL_CALLS_ROLES)
    calls = list(ticket.calls.select_related("agent__user", "queue").order_by("-arrived_at"))
    for call in calls:
        call.linkable = sees_all_calls or (call.agent is not None and call.agent.user_id == request.user.pk)
    context = {
        "ticket": ticket,
        "badge": due_badge(ticket),
        "events": ticket_timeline(ticket=ticket),
        "notes": ticket.notes.select_related("author").order_by("created_at", "id"),
        "calls": calls,
        "allowed": allowed,
        "forms": _forms(ticket, allowed, bound),
    }
    return render(request, "crm/tickets/detail.html", context, status=status)


def _visible(request, pk: int):
    """The ticket if this user may see it; a 404 page otherwise (never reveal that it exists)."""
    try:
        return access_ticket(user=request.user, pk=pk)
    except NotFoundError as error:
        raise Http404(str(error.message)) from error


@role_required(*TICKET_READ_ROLES)
def ticket_detail_view(request, pk: int):
    return _page(request, _visible(request, pk))


def _run(action: str, ticket, user, data: dict):
    """One step through its service (the same ones the API calls)."""
    if action == TicketAction.ASSIGN:
        return ticket_assign(
            ticket=ticket,
            actor=user,
            assignee=data["assignee"].pk if data["assignee"] else None,
            department=data["department"].pk if data["department"] else None,
            note=data["note"],
        )
    if action == TicketAction.SUPERVISE:
        return ticket_supervise(ticket=ticket, actor=user, note=data["note"])
    if action == TicketAction.FOLLOW_UP:
        return ticket_follow_up(ticket=ticket, actor=user, body=data["body"], public=data["public"])
    if action == TicketAction.RESOLVE:
        return ticket_resolve(ticket=ticket, actor=user, resolution=data["resolution"])
    if action == TicketAction.VISIT:
        return ticket_visit(ticket=ticket, actor=user, **data)
    if action == TicketAction.CLOSE:
        return ticket_close(ticket=ticket, actor=user, reason=data["reason"])
    if action == TicketAction.REOPEN:
        return ticket_reopen(ticket=ticket, actor=user, reason=data["reason"])
    if action == TicketAction.CHANGE:
        return ticket_change(ticket=ticket, actor=user, priority=data["priority"], category=data["category"].pk)
    if action == "note":
        return ticket_note(ticket=ticket, actor=user, body=data["body"])
    return ticket_attach(ticket=ticket, actor=user, file=data["file"])


DONE_MESSAGES = {
    TicketAction.ASSIGN.value: gettext_lazy("Assigned."),
    TicketAction.SUPERVISE.value: gettext_lazy("Supervised."),
    TicketAction.FOLLOW_UP.value: gettext_lazy("Follow-up recorded."),
    TicketAction.RESOLVE.value: gettext_lazy("Resolved."),
    TicketAction.VISIT.value: gettext_lazy("Callback visit recorded; the ticket is closed."),
    TicketAction.CLOSE.value: gettext_lazy("Closed."),
    TicketAction.REOPEN.value: gettext_lazy("Reopened."),
    TicketAction.CHANGE.value: gettext_lazy("Saved."),
    "note": gettext_lazy("Note added."),
    "attach": gettext_lazy("File attached."),
}


def _form_for(action: str, request):
    if action == "note":
        return NoteForm(request.POST, prefix="note")
    if action == "attach":
        return AttachmentForm(request.POST, request.FILES, prefix="attach")
    return ACTION_FORMS[TicketAction(action)](request.POST, prefix=action)


@require_POST
@role_required(*TICKET_READ_ROLES)
def ticket_step(request, pk: int, action: str):
    """POST one step (``action``: a TicketAction value, ``note`` or ``attach``); on a refusal the
    page comes back with the form's messages and nothing changed."""
    if action not in DONE_MESSAGES:
        return HttpResponseNotAllowed(["POST"])
    ticket = _visible(request, pk)
    form = _form_for(action, request)
    if form.is_valid():
        try:
            _run(action, ticket, request.user, form.cleaned_data)
        except ApplicationError as error:
            if error.code in ("forbidden", "invalid_state"):  # not the form's fault: say it above the page
                messages.error(request, str(error.message))
                return _page(request, ticket, status=error.status)
            apply_error(form, error)
        else:
            messages.success(request, str(DONE_MESSAGES[action]))
            return redirect("tickets:detail", pk=ticket.pk)
    return _page(request, ticket, bound={action: form}, status=400)


@role_required(*TICKET_READ_ROLES)
def ticket_attachment(request, pk: int, attachment: int):
    ticket = _visible(request, pk)
    row = get_object_or_404(TicketAttachment, ticket=ticket, pk=attachment)
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=row.name, content_type=row.content_type)
