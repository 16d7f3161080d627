"""Form helpers shared by the web views."""

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
