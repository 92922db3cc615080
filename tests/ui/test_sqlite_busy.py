"""The server waits for the SQLite writer too: failed logins while another process writes never 500."""

from __future__ import annotations

import threading

from sqlalchemy import text

from storage.db import make_engine, write_connection
from tests.api.conftest import Api
from tests.ui.conftest import csrf_of

ATTEMPTS = 30


def test_failed_logins_wait_for_a_busy_writer(ui: Api) -> None:
    stop = threading.Event()
    writes = 0

    def busy_writer() -> None:
        nonlocal writes
        writer = make_engine(ui.db.url.render_as_string(hide_password=False))
        while not stop.is_set():
            with write_connection(writer) as conn, conn.begin():
                conn.execute(text("UPDATE organisations SET name = name WHERE code = 'GM0344'"))
            writes += 1
        writer.dispose()

    thread = threading.Thread(target=busy_writer)
    thread.start()
    try:
        statuses = []
        for attempt in range(ATTEMPTS):
            page = ui.client.get("/tasklist/inloggen")
            answer = ui.client.post(
                "/tasklist/inloggen",
                data={
                    "gebruikersnaam": f"niemand{attempt}",
                    "wachtwoord": "fout",
                    "csrf_token": csrf_of(page.text),
                },
            )
            statuses.append(answer.status_code)
    finally:
        stop.set()
        thread.join()
    assert set(statuses) <= {401, 429}, statuses
    assert writes > ATTEMPTS
