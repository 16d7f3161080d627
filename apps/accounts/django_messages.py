"""Django's own messages that this product translates itself.

Django 5.2's password validators speak Chinese with 你 and its "too short" message has no
zh_Hans translation at all. A project catalog (LOCALE_PATHS) wins over Django's, but
``makemessages`` only collects strings found in our sources: listing the msgids here, exactly as
Django writes them, keeps them in locale/zh_Hans with the product's tone (您). Nothing imports
this module; it exists for the catalog (tests/tenants/test_first_hour.py checks the result).
"""

from django.utils.translation import gettext_lazy, ngettext_lazy

PASSWORD_VALIDATOR_MESSAGES = (
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    gettext_lazy("The password is too similar to the %(verbose_name)s."),
    gettext_lazy("Your password can’t be too similar to your other personal information."),
    gettext_lazy("This password is too common."),
    gettext_lazy("Your password can’t be a commonly used password."),
    gettext_lazy("This password is entirely numeric."),
    gettext_lazy("Your password can’t be entirely numeric."),
    gettext_lazy("The two password fields didn’t match."),
)
