"""A delivery worker in its own process, for the crash test: ``python -m tests.webhooks.worker_process
URL SCHEMA NOW WORKER_ID`` runs one ``deliver_pending`` at the given time and prints the attempt count."""

from __future__ import annotations

import sys
from datetime import datetime

from engine.clock import ManualClock
from storage.db import make_engine
from webhooks.dispatch import deliver_pending


def main(argv: list[str]) -> int:
    url, schema, now, worker_id = argv
    kwargs = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema != "-" else {}
    db = make_engine(url, **kwargs)
    config = {
        "WEBHOOKS_ALLOW_INSECURE": True,
        "PUBLIC_BASE_URL": "https://dl.example.nl",
        "SECRET_KEY": "test-secret-key",
    }
    made = deliver_pending(db, ManualClock(datetime.fromisoformat(now)), config, worker_id=worker_id)
    print(made, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
