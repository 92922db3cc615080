"""One HTTP POST to a subscriber, to the address that was checked, with a timeout. No redirects."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from webhooks.targets import Target

TIMEOUT_SECONDS = 10.0
#: We read (and discard) at most this much of a receiver's answer.
MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Response:
    """What came back: a status code, or an error when there was no HTTP answer."""

    status_code: int | None
    retry_after: str | None
    error: str | None
    duration_ms: int


def post(
    target: Target, body: bytes, headers: Mapping[str, str], *, timeout: float = TIMEOUT_SECONDS
) -> Response:
    """POST ``body`` to ``target``; never raises for network trouble, it is part of the answer."""
    started = time.monotonic()
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def pinned(_address: Any, timeout: Any = None, source_address: Any = None) -> socket.socket:
        # Connect to the address that was checked; TLS still verifies the certificate for the host.
        return socket.create_connection((target.address, target.port), timeout, source_address)

    conn._create_connection = pinned  # type: ignore[attr-defined]
    try:
        conn.request("POST", target.path, body=body, headers={**headers, "Content-Length": str(len(body))})
        answer = conn.getresponse()
        answer.read(MAX_RESPONSE_BYTES)
        return Response(answer.status, answer.getheader("Retry-After"), None, _ms(started))
    except TimeoutError:
        return Response(None, None, f"timed out after {timeout:g} s", _ms(started))
    except ssl.SSLError as exc:
        return Response(None, None, f"TLS error: {exc.reason or type(exc).__name__}", _ms(started))
    except (OSError, http.client.HTTPException) as exc:
        return Response(None, None, f"{type(exc).__name__}: {exc}"[:300], _ms(started))
    finally:
        conn.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
