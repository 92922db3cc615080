"""Subscription signing secrets at rest: sealed with a key derived from INBURGERING_SECRET_KEY.

A delivery must be signed with the subscriber's own secret, so it cannot be stored as a hash. It is
stored encrypted (Fernet: AES-128-CBC with HMAC-SHA256) under a key derived with HKDF from the
service's secret key, and unsealed only at the moment of signing. Without a secret key (local
development) secrets are stored as they are; ``inburgering serve`` says so at start-up.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "fernet:"


class SealError(Exception):
    """A sealed secret that cannot be opened (another or no secret key)."""


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"doorlopende-lijn subscription secrets"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret: str, secret_key: str | None) -> str:
    """The stored form of ``secret``: sealed when a secret key is configured."""
    if not secret_key:
        return secret
    return PREFIX + _fernet(secret_key).encrypt(secret.encode()).decode()


def _keys(secret_key: str | None, previous: Sequence[str]) -> list[str]:
    return [k for k in (secret_key, *previous) if k]


def unseal(stored: str, secret_key: str | None, previous: Sequence[str] = ()) -> str:
    """The secret from its stored form; plain values (stored without a key) pass through.

    ``previous`` are the keys in use before a rotation (``INBURGERING_SECRET_KEY_PREVIOUS``):
    secrets not yet re-sealed open with them until ``inburgering secrets rotate`` has run.
    """
    if not stored.startswith(PREFIX):
        return stored
    keys = _keys(secret_key, previous)
    if not keys:
        raise SealError("a sealed subscription secret needs INBURGERING_SECRET_KEY")
    try:
        return MultiFernet([_fernet(k) for k in keys]).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise SealError("the subscription secret was sealed with another secret key") from exc


def reseal(stored: str, secret_key: str, previous: Sequence[str] = ()) -> str:
    """The stored form under ``secret_key`` of a secret sealed under it or a previous key, or plain."""
    return seal(unseal(stored, secret_key, previous), secret_key)


def is_sealed_with(stored: str, secret_key: str) -> bool:
    """Whether ``stored`` opens with ``secret_key`` alone."""
    if not stored.startswith(PREFIX):
        return False
    try:
        _fernet(secret_key).decrypt(stored[len(PREFIX) :].encode())
    except InvalidToken:
        return False
    return True
