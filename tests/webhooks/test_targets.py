"""The webhook address check: only globally routable addresses, embedded IPv4 addresses unwrapped."""

from __future__ import annotations

import ipaddress

import pytest

from webhooks.errors import UnsafeTargetError
from webhooks.targets import resolve

REFUSED = [
    "127.0.0.1",
    "10.1.2.3",
    "100.64.0.1",
    "169.254.169.254",
    "0.0.0.0",
    "224.0.0.1",
    "192.88.99.1",  # 6to4 relay anycast
    "[::1]",
    "[::]",
    "[::127.0.0.1]",  # IPv4-compatible
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::ffff:8.8.8.8]",  # mapped, even around a public address
    "[::ffff:0:7f00:1]",  # IPv4-translated (SIIT)
    "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
    "[64:ff9b::a01:203]",  # NAT64 of 10.1.2.3
    "[64:ff9b:1::808:808]",  # local-use NAT64
    "[2002:7f00:1::1]",  # 6to4 of 127.0.0.1
    "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",  # Teredo
    "[fec0::1]",  # site-local (deprecated)
    "[fc00::1]",
    "[fe80::1]",
    "[ff0e::1]",
    "[2001:db8::1]",
    "[3fff::1]",
    "[100::1]",
]
ACCEPTED = ["8.8.8.8", "[2606:4700:4700::1111]", "[64:ff9b::808:808]", "[2002:808:808::1]"]


@pytest.mark.parametrize("host", REFUSED)
def test_addresses_that_are_not_globally_routable_are_refused(host: str) -> None:
    with pytest.raises(UnsafeTargetError, match="private, loopback or link-local"):
        resolve(f"https://{host}/hook", allow_insecure=False)


@pytest.mark.parametrize("host", ACCEPTED)
def test_globally_routable_addresses_are_accepted(host: str) -> None:
    target = resolve(f"https://{host}:8443/hook?x=1", allow_insecure=False)
    assert target.port == 8443 and target.path == "/hook?x=1"
    assert ipaddress.ip_address(target.address) == ipaddress.ip_address(host.strip("[]"))
