"""The stand-alone worker's own ``/metrics`` listener (``inburgering worker --metrics-listen``).

A worker on another machine than ``serve`` cannot share ``PROMETHEUS_MULTIPROC_DIR`` with it, so
Prometheus scrapes the worker itself: ``GET /metrics`` on the address given, in the Prometheus text
format (OpenMetrics and gzip when the scraper asks, as ``prometheus_client`` serves them), to a
beheerder's bearer token only, exactly as the service's ``/metrics`` (401 without a valid token, 403
for any other role). A bare port listens on 127.0.0.1 only; ``0.0.0.0:PORT`` (or ``[::]:PORT``) is
needed for a scraper on another machine.

It serves what this process counted: its timer sweeps, the timers it fired and how late, its engine
steps. The database series (timers overdue, deliveries, incidents, instances) are the service's
``/metrics``: they count every node's work already, and served twice they would alert twice.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sqlalchemy import Engine

from storage.orgs import principal_for_token

if TYPE_CHECKING:  # prometheus_client is imported once the worker has chosen its metrics mode
    from prometheus_client import CollectorRegistry

BEHEERDER = "beheerder"
DEFAULT_HOST = "127.0.0.1"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class ListenAddress:
    host: str
    port: int

    def is_loopback(self) -> bool:
        return self.host in {"localhost", "::1"} or self.host.startswith("127.")

    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"


def parse_listen(value: str) -> ListenAddress:
    """``PORT``, ``HOST:PORT`` or ``[IPv6]:PORT``; a bare port means 127.0.0.1."""
    text = value.strip()
    host, port_text = DEFAULT_HOST, text
    if text.startswith("["):
        inner, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ValueError(f"INBURGERING_WORKER_METRICS_LISTEN: {value!r} is not [HOST]:PORT")
        host, port_text = inner, rest[1:]
    elif ":" in text:
        host, _, port_text = text.rpartition(":")
    if not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"INBURGERING_WORKER_METRICS_LISTEN: {value!r} is not [HOST:]PORT (0 to 65535)")
    return ListenAddress(host, int(port_text))


def metrics_app(registry: CollectorRegistry, db: Engine) -> WsgiApp:
    """A WSGI app: ``GET /metrics`` with ``registry``'s series, for a beheerder's bearer token."""
    from prometheus_client import make_wsgi_app

    exposition = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            return _problem(start_response, 404, "Not Found", "only /metrics is served here")
        if environ.get("REQUEST_METHOD") not in {"GET", "HEAD"}:
            return _problem(start_response, 405, "Method Not Allowed", "only GET", [("Allow", "GET, HEAD")])
        scheme, _, token = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
        token = token.strip()
        challenge = [("WWW-Authenticate", "Bearer")]
        if scheme.lower() != "bearer" or not token:
            return _problem(start_response, 401, "Unauthorized", "a bearer token is required", challenge)
        principal = None
        if len(token) <= 200:
            with db.connect() as conn:
                principal = principal_for_token(conn, token)
        if principal is None:
            return _problem(start_response, 401, "Unauthorized", "the token is not valid", challenge)
        if principal.role != BEHEERDER:
            detail = f"the role {principal.role} may not read metrics"
            return _problem(start_response, 403, "Forbidden", detail)
        return exposition(environ, start_response)  # type: ignore[no-any-return]

    return app


def _problem(
    start_response: StartResponse,
    status: int,
    title: str,
    detail: str,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    start_response(
        f"{status} {title}",
        [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body))), *(headers or [])],
    )
    return [body]


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # a scrape every few seconds is no news; the worker logs what it does


class MetricsListener:
    """The listener on its own daemon thread; :meth:`close` stops it."""

    def __init__(self, address: ListenAddress, registry: CollectorRegistry, db: Engine) -> None:
        server_class = _Server6 if ":" in address.host else _Server
        self._server = make_server(
            address.host,
            address.port,
            metrics_app(registry, db),
            server_class=server_class,
            handler_class=_QuietHandler,
        )
        bound = self._server.server_address
        self.address = ListenAddress(address.host, int(bound[1]))
        self._thread = threading.Thread(target=self._server.serve_forever, name="worker-metrics", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
