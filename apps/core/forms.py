"""Form helpers shared by the web views."""

from datetime import UTC

import django_filters
from django import forms
from django.utils import timezone

from apps.core.errors import ApplicationError


def apply_error(form, error: ApplicationError) -> None:
    """Show a service's field errors on the form, and its message when no field fits."""
    placed = False
    for field, messages in error.fields.items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
                placed = True
    if not placed:
        form.add_error(None, str(error.message))


class InstantField(forms.DateTimeField):
    """A date-time the database can hold: converted to UTC here, so an offset beyond PostgreSQL's
    ±15:59 (ISO 8601 parsing accepts ±23:59) or a year-1 instant east of UTC is a field error,
    never a database error (a 500)."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return (timezone.make_aware(result) if timezone.is_naive(result) else result).astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class InstantFilter(django_filters.DateTimeFilter):
    """``DateTimeFilter`` on :class:`InstantField`: the filters of every list API and page."""

    field_class = InstantField
