"""API routes of the knowledge base under /api/v1/ (included by apps/crm/api/urls.py)."""

from django.urls import path

from apps.crm.api import kb

urlpatterns: list = [
    path("kb/articles", kb.ArticleListView.as_view(), name="kb-articles"),
    path("kb/articles/<int:pk>", kb.ArticleDetailView.as_view(), name="kb-article"),
    path("kb/articles/<int:pk>/versions", kb.ArticleVersionsView.as_view(), name="kb-article-versions"),
    path("kb/search", kb.SearchView.as_view(), name="kb-search"),
    path("kb/categories", kb.CategoryListView.as_view(), name="kb-categories"),
    path("kb/phrases", kb.PhraseListView.as_view(), name="kb-phrases"),
    path("kb/phrases/<int:pk>", kb.PhraseDetailView.as_view(), name="kb-phrase"),
    path("kb/phrases/<int:pk>/use", kb.PhraseUseView.as_view(), name="kb-phrase-use"),
]
