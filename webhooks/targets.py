"""Which subscription URLs we call: https only, and only public addresses.

Both are relaxed by the development setting ``WEBHOOKS_ALLOW_INSECURE`` (tests use a receiver on
127.0.0.1). The host is resolved when a subscription is made and again before every delivery (a DNS
answer may change); the delivery then connects to the address that was checked.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from webhooks.errors import UnsafeTargetError

MAX_URL_LENGTH = 2000


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``) and what to ask for (host, port, path)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


#: IPv6 global unicast; every other IPv6 block (``::/8`` with its IPv4-compatible, mapped and
#: translated forms, ``fc00::/7``, ``fe80::/10``, the deprecated site-local ``fec0::/10``,
#: multicast, ``100::/64``, the local-use NAT64 ``64:ff9b:1::/48``) is refused outright.
_IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
#: The well-known NAT64 prefix: allowed only when the IPv4 address inside is itself public.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
#: Inside 2000::/3 but not a destination: documentation (RFC 3849, RFC 9637) and SRv6 SIDs.
_IPV6_REFUSED = (
    ipaddress.IPv6Network("2001:db8::/32"),
    ipaddress.IPv6Network("3fff::/20"),
    ipaddress.IPv6Network("5f00::/16"),
)
#: Not a destination although the standard library calls it global: the 6to4 relay anycast.
_IPV4_REFUSED = (ipaddress.IPv4Network("192.88.99.0/24"),)


def _is_public_v4(ip: ipaddress.IPv4Address) -> bool:
    return ip.is_global and not ip.is_multicast and not any(ip in net for net in _IPV4_REFUSED)


def _is_public(address: str) -> bool:
    """Whether ``address`` is globally routable, with every address embedded in it.

    An IPv6 address that carries an IPv4 address (NAT64, 6to4, Teredo) is public only when the
    IPv4 address is; the mapped, compatible and translated forms in ``::/8`` never are.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return _is_public_v4(ip)
    if ip in _NAT64:
        return _is_public_v4(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip not in _IPV6_GLOBAL_UNICAST or any(ip in net for net in _IPV6_REFUSED):
        return False
    if ip.sixtofour is not None:
        return _is_public_v4(ip.sixtofour)
    if ip.teredo is not None:
        return False
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_insecure: bool) -> tuple[str, str, int, str]:
    """Validate the form of ``url``; return (scheme, host, port, path with query). No DNS."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeTargetError(f"must be an absolute URL of at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTargetError("is not a valid URL") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UnsafeTargetError("must be an https URL")
    if scheme == "http" and not allow_insecure:
        raise UnsafeTargetError("must be an https URL (http is allowed in development only)")
    if not parts.hostname:
        raise UnsafeTargetError("has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTargetError("must not contain credentials")
    if parts.fragment:
        raise UnsafeTargetError("must not contain a fragment")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def resolve(url: str, *, allow_insecure: bool) -> Target:
    """Check ``url`` and resolve its host; refuse non-public addresses unless allowed."""
    scheme, host, port, path = check_url(url, allow_insecure=allow_insecure)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTargetError("host does not resolve") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise UnsafeTargetError("host does not resolve")
    if not allow_insecure and not all(_is_public(a) for a in addresses):
        raise UnsafeTargetError("resolves to a private, loopback or link-local address")
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
