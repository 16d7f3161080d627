"""Knowledge-base pages under /kb/: search and article pages for everyone, the editors' list,
editor, versions, categories and phrases, the trainers' "what agents look up", and the desk's
panel (an htmx partial beside the call: telephony's desk only loads it by URL).

Thin: forms validate shape, apps/crm/services/kb.py decides, apps/crm/selectors/kb.py reads.
Searching and opening an article leave a usage record (an access log, like a recording's
plays); nothing else a GET does writes.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.forms import apply_error
from apps.crm.forms.kb import ArticleFilterForm, ArticleForm, CategoryForm, PhraseForm, SearchForm
from apps.crm.kb.choices import ArticleStatus, PhraseCategory
from apps.crm.kb.markup import render as render_body
from apps.crm.models import Article, ArticleCategory, StandardPhrase
from apps.crm.roles import READ_ROLES
from apps.crm.selectors.kb import (
    article_search,
    article_versions,
    articles_due_for_review,
    articles_for_editors,
    most_looked_up,
    phrases_most_used,
    phrases_offered,
    top_searches,
)
from apps.crm.services.kb import (
    KB_EDITOR_ROLES,
    KB_INSIGHT_ROLES,
    article_create,
    article_restore,
    article_update,
    article_viewed,
    category_create,
    phrase_create,
    phrase_update,
    phrase_used,
    search_recorded,
)
from apps.telephony.selectors.calls import access_call, ivr_steps

PAGE_SIZE = 50
PANEL_RESULTS = 5


ID_MAX = 2**63 - 1


def _id(pk: int) -> int:
    """A path id PostgreSQL's bigint can hold (a larger one names nothing: 404, not 500)."""
    if pk > ID_MAX:
        raise Http404
    return pk


def _readable(request, pk: int) -> Article:
    _id(pk)
    articles = Article.objects.select_related("category", "owner", "updated_by")
    if not request.user.has_role(*KB_EDITOR_ROLES):
        articles = articles.filter(status=ArticleStatus.PUBLISHED)
    return get_object_or_404(articles, pk=pk)


# --- everyone: search and read ------------------------------------------------------------------


@role_required(*READ_ROLES)
def kb_search(request):
    form = SearchForm(request.GET or None)
    terms, hits, q = None, [], ""
    if form.is_valid() and form.cleaned_data["q"].strip():
        q = form.cleaned_data["q"].strip()
        category = form.cleaned_data["category"]
        terms, hits = article_search(
            q=q, language=form.cleaned_data["language"] or None, category_id=category.pk if category else None, limit=20
        )
        search_recorded(user=request.user, query=q, result_count=len(hits))
    context = {
        "form": form,
        "q": q,
        "hits": hits,
        "popular": [] if q else most_looked_up(days=30, limit=10),
        "can_edit": request.user.has_role(*KB_EDITOR_ROLES),
    }
    return render(request, "crm/kb/search.html", context)


@role_required(*READ_ROLES)
def kb_article(request, pk: int):
    article = _readable(request, pk)
    article_viewed(user=request.user, article=article, call_uid=request.GET.get("call", ""))
    context = {
        "article": article,
        "body_html": render_body(article.body),
        "can_edit": request.user.has_role(*KB_EDITOR_ROLES),
    }
    return render(request, "crm/kb/article.html", context)


# --- editors: the list, the editor, versions, categories -----------------------------------------


@role_required(*KB_EDITOR_ROLES)
def kb_manage(request):
    form = ArticleFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": form,
        "page": Paginator(articles_for_editors(filters=filters), PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "due": articles_due_for_review()[:10],
        "due_count": articles_due_for_review().count(),
    }
    return render(request, "crm/kb/manage.html", context)


def _form_values(form: ArticleForm) -> dict:
    data = dict(form.cleaned_data)
    data["tags"] = data.get("tags") or ""
    return data


@role_required(*KB_EDITOR_ROLES)
def kb_article_new(request):
    form = ArticleForm(request.POST or None, initial={"language": "zh-hans", "status": ArticleStatus.PUBLISHED})
    if request.method == "POST" and form.is_valid():
        try:
            article = article_create(actor=request.user, **_form_values(form))
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Article saved."))
            return redirect("kb:article", pk=article.pk)
    return render(request, "crm/kb/form.html", {"form": form, "article": None})


@role_required(*KB_EDITOR_ROLES)
def kb_article_edit(request, pk: int):
    article = get_object_or_404(Article.objects.select_related("category"), pk=_id(pk))
    initial = {
        "title": article.title,
        "body": article.body,
        "tags": ", ".join(article.tags),
        "language": article.language,
        "category": article.category,
        "status": article.status,
        "review_date": article.review_date,
    }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            article = article_update(actor=request.user, article=article, **_form_values(form))
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Article saved as version %(n)d.") % {"n": article.version})
            return redirect("kb:article", pk=article.pk)
    return render(request, "crm/kb/form.html", {"form": form, "article": article})


@role_required(*KB_EDITOR_ROLES)
def kb_article_versions(request, pk: int):
    article = get_object_or_404(Article, pk=_id(pk))
    return render(request, "crm/kb/versions.html", {"article": article, "versions": article_versions(article)})


@require_POST
@role_required(*KB_EDITOR_ROLES)
def kb_article_restore(request, pk: int, version: int):
    article = get_object_or_404(Article, pk=_id(pk))
    try:
        article = article_restore(actor=request.user, article=article, version=version)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request, _("Version %(old)d restored as version %(n)d.") % {"old": version, "n": article.version}
        )
    return redirect("kb:versions", pk=pk)


@role_required(*KB_EDITOR_ROLES)
def kb_categories(request):
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            category_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Category added."))
            return redirect("kb:categories")
    categories = ArticleCategory.objects.all()
    return render(request, "crm/kb/categories.html", {"form": form, "categories": categories})


# --- standard phrases ---------------------------------------------------------------------------


@role_required(*KB_EDITOR_ROLES)
def kb_phrases(request):
    form = PhraseForm(request.POST or None, initial={"language": "zh-hans", "active": True})
    if request.method == "POST" and form.is_valid():
        try:
            phrase_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Phrase added."))
            return redirect("kb:phrases")
    phrases = StandardPhrase.objects.order_by("category", "position", "id")
    return render(request, "crm/kb/phrases.html", {"form": form, "phrases": phrases})


@role_required(*KB_EDITOR_ROLES)
def kb_phrase_edit(request, pk: int):
    phrase = get_object_or_404(StandardPhrase, pk=_id(pk))
    fields = ("category", "text", "language", "active", "active_from", "active_until", "position")
    form = PhraseForm(request.POST or None, initial={name: getattr(phrase, name) for name in fields})
    if request.method == "POST" and form.is_valid():
        try:
            phrase_update(actor=request.user, phrase=phrase, **form.cleaned_data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Phrase saved."))
            return redirect("kb:phrases")
    return render(request, "crm/kb/phrase_form.html", {"form": form, "phrase": phrase})


@require_POST
@role_required(*READ_ROLES)
def kb_phrase_use(request, pk: int):
    """The desk's one-click insert: count it (the text itself is put in the notes by kb.js)."""
    phrase = get_object_or_404(StandardPhrase, pk=_id(pk))
    try:
        phrase = phrase_used(user=request.user, phrase=phrase, call_uid=request.POST.get("call", ""))
    except ApplicationError as error:
        return render(request, "crm/kb/_phrase_count.html", {"error": error.message}, status=400)
    return render(request, "crm/kb/_phrase_count.html", {"phrase": phrase})


# --- trainers: what agents look up --------------------------------------------------------------


@role_required(*KB_INSIGHT_ROLES)
def kb_insights(request):
    try:
        days = max(1, min(int(request.GET.get("days") or 30), 365))
    except ValueError:
        days = 30
    context = {
        "days": days,
        "looked_up": most_looked_up(days=days),
        "searches": top_searches(days=days),
        "unanswered": top_searches(days=days, without_results=True),
        "phrases": phrases_most_used(),
    }
    return render(request, "crm/kb/insights.html", context)


# --- the desk's panel ---------------------------------------------------------------------------


def _call_context(request) -> dict:
    """What the call says about the question: its queue, the IVR choices and the disposition.

    The desk sends the call ID and the queue's name; the call's row (through telephony's
    selectors) adds the IVR path and the disposition once they are known."""
    queue = (request.GET.get("queue") or "").strip()[:100]
    ivr: list[str] = [step for step in request.GET.getlist("ivr") if step.strip()][:5]
    disposition = (request.GET.get("disposition") or "").strip()[:100]
    uid = (request.GET.get("call") or "").strip()[:64]
    if uid:
        try:
            call = access_call(user=request.user, uid=uid)
        except NotFoundError:
            call = None
        if call is not None:
            queue = queue or (call.queue.name if call.queue else "")
            # "Billing: pressed 2" → "Billing": the node's label is the words that mean something.
            ivr = ivr or [step.split(":")[0].split("：")[0] for step in ivr_steps(call)]
            disposition = disposition or (call.disposition.name if call.disposition else "")
    return {"call": uid, "queue": queue, "ivr": ivr, "disposition": disposition}


@role_required(*READ_ROLES)
def kb_panel(request):
    """The KB panel beside the call: pre-searched from the call, or the agent's own words."""
    context = _call_context(request)
    q = (request.GET.get("q") or "").strip()[:200]
    presearch = " ".join([context["queue"], *context["ivr"], context["disposition"]]).strip()
    _terms, hits = article_search(q=q or presearch, limit=PANEL_RESULTS) if (q or presearch) else (None, [])
    if q:
        search_recorded(user=request.user, query=q, result_count=len(hits), call_uid=context["call"])
    phrases = list(phrases_offered(on=timezone.localdate()))
    groups: dict[str, list[StandardPhrase]] = {}
    for phrase in phrases:
        groups.setdefault(phrase.category, []).append(phrase)
    labels = dict(PhraseCategory.choices)
    context.update(
        {
            "q": q,
            "presearch": presearch,
            "hits": hits,
            "phrase_groups": [(labels.get(category, category), items) for category, items in groups.items()],
        }
    )
    template = "crm/kb/_panel_results.html" if request.GET.get("results") else "crm/kb/_panel.html"
    return render(request, template, context)


@role_required(*READ_ROLES)
def kb_panel_article(request, pk: int):
    """One article inside the desk's panel (counted as looked up during that call)."""
    article = _readable(request, pk)
    if article.status != ArticleStatus.PUBLISHED:
        raise Http404
    call = (request.GET.get("call") or "")[:64]
    article_viewed(user=request.user, article=article, call_uid=call)
    return render(
        request,
        "crm/kb/_panel_article.html",
        {"article": article, "body_html": render_body(article.body), "call": call},
    )
