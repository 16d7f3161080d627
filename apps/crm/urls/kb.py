"""Knowledge-base pages under /kb/ (config/urls_tenant.py), namespace ``kb``."""

from django.urls import path

from apps.crm.views import kb

app_name = "kb"

urlpatterns = [
    path("", kb.kb_search, name="search"),
    path("articles/<int:pk>/", kb.kb_article, name="article"),
    path("manage/", kb.kb_manage, name="manage"),
    path("manage/new/", kb.kb_article_new, name="new"),
    path("manage/<int:pk>/edit/", kb.kb_article_edit, name="edit"),
    path("manage/<int:pk>/versions/", kb.kb_article_versions, name="versions"),
    path("manage/<int:pk>/versions/<int:version>/restore/", kb.kb_article_restore, name="restore"),
    path("manage/categories/", kb.kb_categories, name="categories"),
    path("phrases/", kb.kb_phrases, name="phrases"),
    path("phrases/<int:pk>/edit/", kb.kb_phrase_edit, name="phrase"),
    path("phrases/<int:pk>/use/", kb.kb_phrase_use, name="phrase-use"),
    path("insights/", kb.kb_insights, name="insights"),
    path("panel/", kb.kb_panel, name="panel"),
    path("panel/articles/<int:pk>/", kb.kb_panel_article, name="panel-article"),
]
