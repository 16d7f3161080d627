"""Signing secrets at rest: encrypted, because every delivery needs the secret in clear to sign.

A hash (like API tokens have) would make signing impossible. The key is derived from
``WEBHOOK_SECRET_KEY`` (else ``SECRET_KEY``) with SHA-256 and used by Fernet (AES-128-CBC with an
HMAC-SHA256 tag), so a database dump alone does not give an attacker the power to forge
deliveries. Rotating ``SECRET_KEY`` without setting ``WEBHOOK_SECRET_KEY`` to the old value makes
the stored secrets unreadable: deliveries then fail with "secret unreadable" until an
administrator rotates each subscription's secret (docs/webhooks.md).
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 -- a public prefix, not a secret


class SecretUnreadable(Exception):
    """The stored secret was encrypted with another key."""


def _fernet() -> Fernet:
    material = getattr(settings, "WEBHOOK_SECRET_KEY", "") or settings.SECRET_KEY
    key = hashlib.sha256(b"webhooks.secret.v1:" + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def secret_generate() -> str:
    """A new signing secret: ``whsec_`` and 32 random bytes, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable from error
