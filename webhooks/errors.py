"""The webhooks package's error hierarchy."""

from __future__ import annotations

from typing import Any


class WebhookError(Exception):
    """Base of every error this package raises on purpose."""


class SignatureError(WebhookError):
    """Missing or wrong Standard Webhooks signature headers, or a timestamp out of tolerance."""


class InvalidEventError(WebhookError):
    """An inbound body that is not a valid event; ``errors`` names each bad field."""

    def __init__(self, detail: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class UnreadableBodyError(WebhookError):
    """An inbound body that cannot be read as JSON at all (syntax, encoding, nesting, numbers)."""


class UnsafeTargetError(WebhookError):
    """A subscription URL we refuse to call (scheme, credentials, or a non-public address)."""
