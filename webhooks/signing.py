"""Standard Webhooks signatures: secrets, signing outbound deliveries, verifying inbound events.

Verification checks the timestamp tolerance against our injected clock, not the wall clock:
``standardwebhooks.Webhook.verify`` reads ``datetime.now()`` itself, which would make the 5-minute
window untestable without sleeping or patching the library, and it raises ``ValueError`` (not its
own error) on a malformed signature header. So the tolerance is checked here, and the expected
signature still comes from the library's ``Webhook.sign`` and is compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from webhooks.errors import SignatureError

TOLERANCE = timedelta(minutes=5)
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign_headers(secret: str, msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers for ``body``."""
    at = at.astimezone(UTC)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def verify(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
    tolerance: timedelta = TOLERANCE,
) -> str:
    """Check a Standard Webhooks signature; return the ``webhook-id`` or raise SignatureError."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id", "").strip()
    stamp = lowered.get("webhook-timestamp", "").strip()
    signatures = lowered.get("webhook-signature", "").strip()
    if not (msg_id and stamp and signatures):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not stamp.isdigit() or len(stamp) > 12:
        raise SignatureError("webhook-timestamp is not a Unix time in seconds")
    sent_at = datetime.fromtimestamp(int(stamp), tz=UTC)
    if abs(now - sent_at) > tolerance:
        raise SignatureError("webhook-timestamp is more than 5 minutes off")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SignatureError("the body is not UTF-8") from exc
    expected = base64.b64decode(Webhook(secret).sign(msg_id=msg_id, timestamp=sent_at, data=text)[3:])
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, given):
            return msg_id
    raise SignatureError("no matching signature")
