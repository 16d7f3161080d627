"""DRF authentication. Tokens and sessions are looked up in the current tenant's schema
only, so a credential of tenant A is simply unknown on tenant B's host."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from apps.accounts.services import token_user


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
        user = token_user(raw)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        return (user, None)

    def authenticate_header(self, request) -> str:
        return self.keyword


class SessionAuthentication(authentication.SessionAuthentication):
    """Session auth that answers 401 (not 403) when nobody is logged in."""

    def authenticate_header(self, request) -> str:
        return "Session"
