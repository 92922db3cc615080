"""Rotating ``INBURGERING_SECRET_KEY``: re-seal what was sealed and re-derive what was keyed with it.

Two things in the database depend on the key:

* subscription signing secrets, sealed with a key derived from it (``webhooks.sealing``): each is
  opened with the new or a previous key and sealed again under the new key (plain secrets stored
  without a key are sealed now);
* the ``subjectHash`` of inbound TVS events, an HMAC of the V-nummer under the key: a V-nummer is
  never stored with the event, so the hash is re-derived through the business keys of the stored
  instances (old hash -> V-nummer -> new hash). Hashes of V-nummers no instance carries (rejected
  events of people never started) cannot be re-derived and are left as they are (counted).

The rotation is online: every row is changed in its own short transaction with a conditional
UPDATE (only if it still holds what was read), while nodes run with the new key and the previous
ones in ``INBURGERING_SECRET_KEY_PREVIOUS``. Running it twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select, update

from storage.db import write_connection
from storage.schema import process_instances
from storage.webhook_schema import inbound_events, subscriptions
from webhooks.inbound import subject_hash
from webhooks.sealing import SealError, is_sealed_with, reseal


class RotationError(Exception):
    """The rotation cannot start (no new key, or the new key among the previous ones)."""


@dataclass(frozen=True)
class RotationReport:
    """What a rotation changed."""

    resealed: int
    already_current: int
    unreadable: int
    rehashed: int
    hashes_left: int

    def lines(self) -> list[str]:
        out = [
            f"subscription secrets re-sealed under the new key: {self.resealed}",
            f"subscription secrets already under the new key: {self.already_current}",
            f"inbound event subject hashes re-derived: {self.rehashed}",
        ]
        if self.unreadable:
            out.append(f"subscription secrets that no given key opens (left as they are): {self.unreadable}")
        if self.hashes_left:
            out.append(
                "inbound event hashes of V-nummers no instance carries (left as they are): "
                f"{self.hashes_left}"
            )
        return out


def rotate_secret_key(
    db: Engine, new_key: str, previous: Sequence[str], *, tvs_secret: str | None = None
) -> RotationReport:
    """Re-seal and re-derive everything keyed with a previous key under ``new_key``.

    ``tvs_secret`` is the key inbound hashes were made with while no secret key was configured.
    """
    if not new_key:
        raise RotationError("INBURGERING_SECRET_KEY (the new key) is not set")
    if new_key in previous:
        raise RotationError("the new key is among the previous keys")
    resealed = current = unreadable = 0
    with db.connect() as conn:
        rows = conn.execute(select(subscriptions.c.id, subscriptions.c.secret)).all()
    for row in rows:
        if is_sealed_with(row.secret, new_key):
            current += 1
            continue
        try:
            stored = reseal(row.secret, new_key, previous)
        except SealError:
            unreadable += 1
            continue
        with write_connection(db) as conn, conn.begin():
            changed = conn.execute(
                update(subscriptions)
                .where(subscriptions.c.id == row.id, subscriptions.c.secret == row.secret)
                .values(secret=stored)
            ).rowcount
        resealed += changed
    rehashed, left = _rehash_inbound(db, new_key, [*previous, *([tvs_secret] if tvs_secret else [])])
    return RotationReport(resealed, current, unreadable, rehashed, left)


def _rehash_inbound(db: Engine, new_key: str, old_keys: Sequence[str]) -> tuple[int, int]:
    with db.connect() as conn:
        business_keys = set(
            conn.execute(
                select(process_instances.c.business_key).where(process_instances.c.business_key.is_not(None))
            ).scalars()
        )
        events = conn.execute(
            select(inbound_events.c.id, inbound_events.c.subject_hash).where(
                inbound_events.c.subject_hash.is_not(None)
            )
        ).all()
    current = {subject_hash(new_key, bk) for bk in business_keys}
    renamed = {subject_hash(old, bk): subject_hash(new_key, bk) for old in old_keys for bk in business_keys}
    rehashed = left = 0
    for event in events:
        if event.subject_hash in current:
            continue
        new_hash = renamed.get(event.subject_hash)
        if new_hash is None:
            left += 1
            continue
        with write_connection(db) as conn, conn.begin():
            rehashed += conn.execute(
                update(inbound_events)
                .where(inbound_events.c.id == event.id, inbound_events.c.subject_hash == event.subject_hash)
                .values(subject_hash=new_hash)
            ).rowcount
    return rehashed, left
