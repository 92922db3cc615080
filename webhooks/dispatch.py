"""Delivery from the transactional outbox: fan out, claim, send, record. At least once, in order.

``deliver_pending`` is the worker's job (scheduled on APScheduler by ``app/worker.py``); any number
of workers may run it against one database, the claims in ``storage.webhook_store`` decide who
sends what. Per (subscription, instance) one delivery is in flight at a time, the oldest first.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from engine.clock import Clock
from storage import incidents
from storage import webhook_store as store
from storage.db import write_connection
from webhooks import backoff as retry
from webhooks import sender, signing
from webhooks.errors import UnsafeTargetError
from webhooks.events import DEFAULT_SOURCE, build_event
from webhooks.sealing import SealError, unseal
from webhooks.targets import resolve

log = logging.getLogger(__name__)

#: Deliveries sent at the same time by one worker (to different instances or subscriptions).
CONCURRENCY = 8
#: How long a claim holds: longer than one attempt can take, so only a lost worker lets it lapse.
LEASE = timedelta(seconds=sender.TIMEOUT_SECONDS * 3 + 30)
USER_AGENT = "doorlopende-lijn-webhooks/1"

_rng = random.Random()  # noqa: S311 - jitter, not cryptography


def deliver_pending(
    db: Engine,
    clock: Clock,
    config: Mapping[str, Any],
    *,
    worker_id: str,
    limit: int = 100,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Fan out new outbox events and make up to ``limit`` delivery attempts; return how many were made.

    Once ``should_stop()`` answers true (the worker is shutting down) no further batch is claimed.
    """
    with write_connection(db) as conn, conn.begin():
        store.fan_out_events(
            conn, now=clock.now(), new_id=lambda: str(uuid.uuid4()), limit=max(limit, 1) * 10
        )
    lease = timedelta(seconds=float(config.get("WEBHOOK_LEASE_SECONDS") or LEASE.total_seconds()))
    made = 0
    while made < limit:
        if should_stop is not None and should_stop():
            break
        now = clock.now()
        with write_connection(db) as conn, conn.begin():
            batch = store.claim_deliveries(
                conn,
                worker_id=worker_id,
                now=now,
                lease_until=now + lease,
                limit=min(CONCURRENCY, limit - made),
            )
        if not batch:
            break
        if len(batch) == 1:
            answers = [_send(batch[0], clock, config)]
        else:
            with ThreadPoolExecutor(max_workers=len(batch)) as pool:
                answers = list(pool.map(lambda d: _send(d, clock, config), batch))
        for delivery, answer in zip(batch, answers, strict=True):
            _record(db, delivery, answer, clock.now(), worker_id)
        made += len(batch)
    return made


def _send(delivery: store.ClaimedDelivery, clock: Clock, config: Mapping[str, Any]) -> sender.Response:
    try:
        target = resolve(delivery.url, allow_insecure=bool(config.get("WEBHOOKS_ALLOW_INSECURE")))
    except UnsafeTargetError as exc:
        return sender.Response(None, None, f"refused target: URL {exc}", 0)
    message = build_event(
        event_id=delivery.event_id,
        short_type=delivery.event_type,
        time=delivery.event_time,
        instance_id=delivery.instance_id,
        data=delivery.event_data,
        source=str(config.get("EVENT_SOURCE") or DEFAULT_SOURCE),
        base_url=str(config.get("PUBLIC_BASE_URL") or ""),
    )
    try:
        secret = unseal(delivery.secret, config.get("SECRET_KEY"), config.get("SECRET_KEY_PREVIOUS") or ())
    except SealError as exc:
        return sender.Response(None, None, f"cannot sign: {exc}", 0)
    headers = {
        "Content-Type": message.headers.get("content-type", "application/cloudevents+json"),
        "User-Agent": USER_AGENT,
        **signing.sign_headers(secret, delivery.event_id, clock.now(), message.body),
    }
    return sender.post(target, message.body, headers)


def _record(
    db: Engine, delivery: store.ClaimedDelivery, answer: sender.Response, now: datetime, worker_id: str
) -> None:
    code = answer.status_code
    ok = code is not None and 200 <= code < 300
    error = answer.error
    if code is not None and not ok:
        error = f"HTTP {code}" + (" (redirects are not followed)" if 300 <= code < 400 else "")
    with write_connection(db) as conn, conn.begin():
        store.log_attempt(
            conn,
            delivery_id=delivery.id,
            worker_id=worker_id,
            at=now,
            status_code=code,
            duration_ms=answer.duration_ms,
            error=None if ok else error,
        )
        if ok:
            assert code is not None
            store.mark_delivered(conn, delivery_id=delivery.id, now=now, status_code=code)
            outcome = "delivered"
        elif code == 410:
            store.mark_failed(
                conn,
                delivery_id=delivery.id,
                worker_id=worker_id,
                status_code=code,
                error="HTTP 410 Gone: the subscription was disabled",
                retry_at=None,
            )
            store.disable_subscription(conn, delivery.subscription_id, "the receiver answered 410 Gone", now)
            outcome = "gone"
        else:
            retry_at = _retry_at(delivery, answer, now)
            store.mark_failed(
                conn,
                delivery_id=delivery.id,
                worker_id=worker_id,
                status_code=code,
                error=str(error),
                retry_at=retry_at,
            )
            outcome = "dead" if retry_at is None else "retry"
            if retry_at is None:
                # Given up: an incident for the beheerder, whose retry makes the delivery pending again.
                incidents.open_incident(
                    conn,
                    kind=incidents.DELIVERY,
                    subject_id=delivery.id,
                    instance_id=delivery.instance_id,
                    gemeente=delivery.event_data.get("gemeente"),
                    message=(
                        f"the {delivery.event_type} event could not be delivered to subscription "
                        f"{delivery.subscription_id} in {delivery.attempts} attempts: {error}"
                    ),
                    now=now,
                )
    log.info(
        "webhook delivery %s of subscription %s attempt %d: %s (%s)",
        delivery.id,
        delivery.subscription_id,
        delivery.attempts,
        outcome,
        code if code is not None else error,
    )


def _retry_at(delivery: store.ClaimedDelivery, answer: sender.Response, now: datetime) -> datetime | None:
    if retry.is_exhausted(delivery.attempts, delivery.first_attempt_at, now):
        return None
    wait = retry.retry_after(answer.retry_after, now) if answer.status_code == 429 else None
    planned = now + (wait if wait is not None else retry.backoff(delivery.attempts, _rng))
    # The last chance comes when the retry window closes, not a jittered delay after it.
    first = delivery.first_attempt_at or now
    return min(planned, first + retry.MAX_AGE)
