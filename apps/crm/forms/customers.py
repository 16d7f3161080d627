"""Forms of the customer pages. They only shape input: the services validate (one set of rules for
the pages, the API and the import)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.core.widgets import DateInput, FileInput
from apps.crm.choices import VIP_LEVEL_MAX, CustomFieldType
from apps.crm.custom_fields import display_text, may_unmask, present
from apps.crm.models import Customer, CustomField

LIST_HELP = _("One per line (or separated by commas).")


def _lines(raw: str) -> list[str]:
    raw = (raw or "").replace(",", "\n").replace("，", "\n").replace(";", "\n")
    return [line.strip() for line in raw.splitlines() if line.strip()]


class CustomerForm(forms.Form):
    """The customer's own fields, then one input per custom field the user may see; a sensitive
    value the user may not see whole shows masked and is kept unless they type a new one."""

    name = forms.CharField(label=_("Name"), max_length=200)
    phones = forms.CharField(
        label=_("Phone numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line (or separated by commas); the first is the primary number."),
    )
    emails = forms.CharField(
        label=_("E-mail addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line; the first is the primary address."),
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))
    vip_level = forms.TypedChoiceField(
        label=_("VIP level"),
        coerce=int,
        choices=[(0, _("Not a VIP")), *[(level, str(level)) for level in range(1, VIP_LEVEL_MAX + 1)]],
        initial=0,
        required=False,
        empty_value="0",
        help_text=_("1 is the highest level."),
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, fields: list[CustomField], roles: list[str], customer: Customer | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_fields = [
            field for field in fields if not field.visible_roles or set(field.visible_roles) & set(roles)
        ]
        self.roles = roles
        self.customer = customer
        people = User.objects.filter(is_active=True).order_by("name", "email").values_list("pk", "name", "email")
        owner = cast(forms.ChoiceField, self.fields["owner"])
        owner.choices = [
            ("", _("Nobody")),
            (_("People"), [(f"user:{pk}", name or email) for pk, name, email in people]),
            (
                _("Teams"),
                [(f"team:{pk}", name) for pk, name in Team.objects.order_by("name").values_list("pk", "name")],
            ),
        ]
        for field in self.custom_fields:
            self.fields[f"custom_{field.key}"] = self._input(field)
        if customer is not None and not self.is_bound:
            self.initial.update(
                {
                    "name": customer.name,
                    "phones": "\n".join(customer.phones),
                    "emails": "\n".join(customer.emails),
                    "tags": ", ".join(customer.tags),
                    "vip_level": customer.vip_level,
                    "owner": f"user:{customer.owner_user_id}"
                    if customer.owner_user_id
                    else (f"team:{customer.owner_team_id}" if customer.owner_team_id else ""),
                    "notes": customer.notes,
                }
            )
            for field in self.custom_fields:
                value, masked = present(field, customer.custom.get(field.key), roles)
                if field.field_type == CustomFieldType.MULTI_CHOICE and not masked:
                    self.initial[f"custom_{field.key}"] = value or []
                else:
                    self.initial[f"custom_{field.key}"] = value if masked else display_text(value)

    def _input(self, field: CustomField) -> forms.Field:
        common: dict[str, Any] = {"label": field.label, "required": False}
        if field.sensitive and not may_unmask(field, self.roles):
            common["help_text"] = _("Masked: type a new value to replace it.")
        kind = field.field_type
        if kind == CustomFieldType.DATE and may_unmask(field, self.roles):
            return forms.CharField(widget=DateInput(), **common)
        if kind == CustomFieldType.CHOICE and may_unmask(field, self.roles):
            return forms.ChoiceField(choices=[("", "—"), *[(c, c) for c in field.choices]], **common)
        if kind == CustomFieldType.MULTI_CHOICE and may_unmask(field, self.roles):
            return forms.MultipleChoiceField(
                choices=[(c, c) for c in field.choices], widget=forms.CheckboxSelectMultiple, **common
            )
        return forms.CharField(**common)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        owner = data.get("owner") or ""
        kind, _sep, pk = owner.partition(":")
        custom: dict[str, Any] = {}
        for field in self.custom_fields:
            value = data.get(f"custom_{field.key}")
            if self.customer is not None and not may_unmask(field, self.roles):
                shown, masked = present(field, self.customer.custom.get(field.key), self.roles)
                if masked and value == shown:
                    continue  # the mask came back unchanged: keep the stored value
            custom[field.key] = value
        return {
            "name": data["name"],
            "phones": _lines(data["phones"]),
            "emails": _lines(data["emails"]),
            "tags": [tag.strip() for tag in data["tags"].replace("，", ",").split(",") if tag.strip()],
            "vip_level": data["vip_level"],
            "owner_user": int(pk) if kind == "user" else None,
            "owner_team": int(pk) if kind == "team" else None,
            "notes": data["notes"],
            "custom": custom,
        }

    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[f"custom_{field.key}"] for field in self.custom_fields]


class CustomFieldForm(forms.Form):
    key = forms.SlugField(
        label=_("Key"), max_length=50, help_text=_("Lower-case letters, digits and _; fixed once saved.")
    )
    label = forms.CharField(label=_("Label"), max_length=100)
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Choice fields: one per line."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    unique = forms.BooleanField(label=_("Unique"), required=False)
    sensitive = forms.BooleanField(
        label=_("Sensitive"), required=False, help_text=_("Masked (1101**********1234) for roles not listed below.")
    )
    unmasked_roles = forms.MultipleChoiceField(
        label=_("Roles that see sensitive values whole"),
        required=False,
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Role.TENANT_ADMIN],
    )
    visible_roles = forms.MultipleChoiceField(
        label=_("Shown to roles"),
        required=False,
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every role."),
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)

    def __init__(self, *args: Any, field: CustomField | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if field is not None:
            self.fields["key"].disabled = True
            self.fields["field_type"].disabled = True
            if not self.is_bound:
                self.initial.update(
                    {
                        name: getattr(field, name)
                        for name in (
                            "key",
                            "label",
                            "field_type",
                            "required",
                            "unique",
                            "sensitive",
                            "visible_roles",
                            "unmasked_roles",
                            "position",
                        )
                    }
                )
                self.initial["choices"] = "\n".join(field.choices)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["choices"] = [line.strip() for line in data.get("choices", "").splitlines() if line.strip()]
        return data


class CustomerImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        widget=FileInput(attrs={"accept": ".csv,.xlsx"}),
        help_text=_("CSV or XLSX; the first row names the columns."),
    )


TARGETS = [
    ("", _("Ignore")),
    ("name", _("Name")),
    ("phone", _("Phone number")),
    ("email", _("E-mail address")),
    ("tags", _("Tags")),
    ("vip_level", _("VIP level")),
    ("notes", _("Notes")),
    ("owner", _("Owner (user's e-mail)")),
]


class CustomerImportMappingForm(forms.Form):
    """One select per column of the file: which customer field it fills."""

    def __init__(self, *args: Any, columns: list[str], mapping: dict[str, str], fields: list[CustomField], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [*TARGETS, *[(f"custom.{field.key}", field.label) for field in fields]]
        self.columns = columns
        for index, column in enumerate(columns):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column or f"#{index + 1}", choices=choices, required=False, initial=mapping.get(column, "")
            )

    def mapping(self) -> dict[str, str]:
        return {
            column: self.cleaned_data.get(f"column_{index}") or ""
            for index, column in enumerate(self.columns)
            if column
        }


class CustomerMergeForm(forms.Form):
    other = forms.IntegerField(label=_("Customer number to merge into this one"), min_value=1)


class CustomerNoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
