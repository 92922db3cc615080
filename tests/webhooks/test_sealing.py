"""Subscription secrets are stored sealed under the service's secret key."""

from __future__ import annotations

import pytest

from webhooks.sealing import PREFIX, SealError, seal, unseal

SECRET = "whsec_" + "c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="


def test_sealed_with_a_key_and_opened_with_it() -> None:
    stored = seal(SECRET, "service-key")
    assert stored.startswith(PREFIX) and SECRET not in stored
    assert unseal(stored, "service-key") == SECRET


def test_another_or_no_key_cannot_open_it() -> None:
    stored = seal(SECRET, "service-key")
    with pytest.raises(SealError):
        unseal(stored, "other-key")
    with pytest.raises(SealError):
        unseal(stored, None)


def test_without_a_key_secrets_pass_through() -> None:
    assert seal(SECRET, None) == SECRET
    assert unseal(SECRET, "service-key") == SECRET
