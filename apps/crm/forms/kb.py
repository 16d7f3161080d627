"""Knowledge-base forms: the editor, phrases, categories, and the filter bars of the lists."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.widgets import DateInput
from apps.crm.kb.choices import ArticleLanguage, ArticleStatus, PhraseCategory
from apps.crm.models import ArticleCategory


def _blank(choices) -> list[tuple[str, str]]:
    return [("", _("Any")), *choices]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Question"), max_length=200, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=_blank(ArticleLanguage.choices), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ArticleCategory.objects.all(), required=False, empty_label=_("Any")
    )


class ArticleFilterForm(forms.Form):
    text = forms.CharField(label=_("Words"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=_blank(ArticleStatus.choices), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=_blank(ArticleLanguage.choices), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ArticleCategory.objects.all(), required=False, empty_label=_("Any")
    )
    tag = forms.CharField(label=_("Tag"), max_length=50, required=False)
    due = forms.BooleanField(label=_("Due for review"), required=False)


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Plain text. Blank line: new paragraph; ## heading; - or 1. for lists; **bold**."),
    )
    tags = forms.CharField(label=_("Tags"), max_length=1100, required=False, help_text=_("Separated by commas."))
    language = forms.ChoiceField(label=_("Language"), choices=ArticleLanguage.choices)
    category = forms.ModelChoiceField(label=_("Category"), queryset=ArticleCategory.objects.all(), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=ArticleStatus.choices)
    review_date = forms.DateField(label=_("Review by"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Change note"), max_length=200, required=False)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=32767, initial=0, required=False)


class PhraseForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=PhraseCategory.choices)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)
    language = forms.ChoiceField(label=_("Language"), choices=ArticleLanguage.choices)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    active_from = forms.DateField(
        label=_("Offered from"), required=False, widget=DateInput(), help_text=_("For holiday greetings.")
    )
    active_until = forms.DateField(label=_("Offered until"), required=False, widget=DateInput())
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=32767, initial=0, required=False)
