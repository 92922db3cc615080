"""Pure parts: backoff schedule, Retry-After, signatures against the injected clock, URL checks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from webhooks import backoff
from webhooks.errors import SignatureError, UnsafeTargetError
from webhooks.events import build_event, thin_data
from webhooks.signing import new_secret, sign_headers, verify
from webhooks.targets import check_url, resolve

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def test_backoff_doubles_up_to_the_cap_and_sums_to_about_a_day() -> None:
    plain = [backoff.backoff(n) for n in range(1, backoff.MAX_ATTEMPTS)]
    assert plain[0] == timedelta(seconds=30)
    assert plain[1] == timedelta(seconds=60)
    assert max(plain) == backoff.MAX_DELAY
    assert timedelta(hours=22) <= sum(plain, timedelta()) <= timedelta(hours=26)
    with pytest.raises(ValueError):
        backoff.backoff(0)


def test_backoff_jitter_stays_in_its_band() -> None:
    rng = random.Random(6)
    for attempt in range(1, 20):
        base = backoff.backoff(attempt)
        for _ in range(50):
            got = backoff.backoff(attempt, rng)
            assert base * (1 - backoff.JITTER) <= got <= base * (1 + backoff.JITTER)
    assert len({backoff.backoff(5, rng) for _ in range(10)}) > 1


def test_exhaustion_by_attempts_or_age() -> None:
    assert not backoff.is_exhausted(3, NOW, NOW + timedelta(hours=1))
    assert backoff.is_exhausted(backoff.MAX_ATTEMPTS, NOW, NOW + timedelta(hours=1))
    assert backoff.is_exhausted(3, NOW, NOW + backoff.MAX_AGE)


def test_retry_after_seconds_dates_and_nonsense() -> None:
    assert backoff.retry_after("120", NOW) == timedelta(seconds=120)
    assert backoff.retry_after("Mon, 04 Jan 2027 09:10:00 GMT", NOW) == timedelta(minutes=10)
    assert backoff.retry_after("0", NOW) == backoff.MIN_RETRY_AFTER
    assert backoff.retry_after("99999999", NOW) == backoff.MAX_RETRY_AFTER
    assert backoff.retry_after("soon", NOW) is None
    assert backoff.retry_after(None, NOW) is None


def test_signatures_verify_with_the_library_and_against_our_clock() -> None:
    secret = new_secret()
    body = b'{"a": 1}'
    headers = sign_headers(secret, "msg_1", NOW, body)
    assert verify(secret, body, headers, NOW) == "msg_1"
    assert verify(secret, body, headers, NOW + timedelta(minutes=5)) == "msg_1"
    with pytest.raises(SignatureError):
        verify(secret, body, headers, NOW + timedelta(minutes=5, seconds=1))
    with pytest.raises(SignatureError):
        verify(new_secret(), body, headers, NOW)
    with pytest.raises(SignatureError):
        verify(secret, body + b" ", headers, NOW)
    with pytest.raises(SignatureError):
        verify(secret, body, {**headers, "webhook-timestamp": "1e9"}, NOW)
    # Several signatures (key rotation): one that matches is enough.
    rotated = {**headers, "webhook-signature": "v1,AAAA " + headers["webhook-signature"]}
    assert verify(secret, body, rotated, NOW) == "msg_1"
    # And what we sign, the official library accepts (at the wall-clock time it checks against).
    live = sign_headers(secret, "msg_2", datetime.now(UTC), body)
    assert Webhook(secret).verify(body, live) == {"a": 1}


def test_events_are_thin() -> None:
    data = {"processInstanceId": "i", "gemeente": "GM0363", "moment": "na-koppeling", "vNummer": "1234567890"}
    assert thin_data(data) == {"processInstanceId": "i", "gemeente": "GM0363", "moment": "na-koppeling"}
    assert thin_data({"scenario": {"nested": "x"}, "bsn": "123456782"}) == {}
    message = build_event(
        event_id="e1",
        short_type="klantprofiel-gedeeld",
        time=NOW,
        instance_id="i",
        data=data,
        source="urn:nld:oin:1:systeem:dl",
        base_url="https://x.nl/",
    )
    assert b"1234567890" not in message.body
    assert b'"dataref": "https://x.nl/api/v1/process-instances/i"' in message.body
    assert b'"time": "2027-01-04T09:00:00Z"' in message.body


@pytest.mark.parametrize(
    "url",
    [
        "http://example.nl",
        "ftp://example.nl",
        "https://u@example.nl",
        "https://example.nl/#x",
        "",
        "https://:80",
    ],
)
def test_urls_refused_by_form(url: str) -> None:
    with pytest.raises(UnsafeTargetError):
        check_url(url, allow_insecure=False)


def test_urls_accepted_by_form() -> None:
    assert check_url("https://Example.nl:8443/a?b=1", allow_insecure=False) == (
        "https",
        "example.nl",
        8443,
        "/a?b=1",
    )
    assert check_url("http://127.0.0.1:9/x", allow_insecure=True) == ("http", "127.0.0.1", 9, "/x")


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.1.1",
        "[fe80::1]",
        "0.0.0.0",
        "[::]",
        "100.64.0.1",
    ],
)
def test_non_public_addresses_are_refused(host: str) -> None:
    with pytest.raises(UnsafeTargetError):
        resolve(f"https://{host}/hook", allow_insecure=False)
    assert resolve(f"https://{host}/hook", allow_insecure=True).port == 443


def test_a_public_address_is_allowed_and_pinned() -> None:
    target = resolve("https://8.8.8.8/hook", allow_insecure=False)
    assert (target.address, target.host, target.path) == ("8.8.8.8", "8.8.8.8", "/hook")
