"""What a start and a task completion cost the database: statements and transactions, counted.

A start or completion reads in one transaction (token, task, instance) and writes in one (the
instance, its index rows, audit trail, outbox and the request's processing records), and answers
from what it wrote: nothing is read again after the commit. The answer is the instance as ``GET``
shows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from tests.api.conftest import Api


class Log:
    def __init__(self) -> None:
        self.transactions: list[list[str]] = []

    @property
    def statements(self) -> list[str]:
        return [s for t in self.transactions for s in t]


@contextmanager
def counted(db: Engine) -> Iterator[Log]:
    """Every statement, grouped by the transaction it ran in (in the order they began)."""
    log = Log()
    current: dict[int, list[str]] = {}

    def begin(conn: Any) -> None:
        current[id(conn)] = []
        log.transactions.append(current[id(conn)])

    def execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            return
        current.setdefault(id(conn), []).append(" ".join(statement.split())[:120])

    event.listen(db, "begin", begin)
    event.listen(db, "before_cursor_execute", execute)
    try:
        yield log
    finally:
        event.remove(db, "begin", begin)
        event.remove(db, "before_cursor_execute", execute)


def _writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]


def test_a_completion_reads_in_one_transaction_and_writes_in_one(api: Api) -> None:
    api.start("V1")  # the first step of a status holder registers the data subject
    instance = api.start("V2")
    task = api.open_task(instance)
    with counted(api.db) as log:
        response = api.post(
            f"/tasks/{task['id']}/complete", "km", json={"variables": {"besluit": "ja", "bedrag": 5}}
        )
    assert response.status_code == 200, response.get_json()
    assert len(log.transactions) == 2, log.transactions
    read, write = log.transactions
    assert not _writes(read)
    assert write[0].startswith("UPDATE process_instances")
    # the step, its audit trail, outbox and the request's processing record commit together
    assert any(s.startswith("INSERT INTO audit_entries") for s in write)
    assert any(s.startswith("INSERT INTO outbox_events") for s in write)
    assert any(s.startswith("INSERT INTO processing_records") for s in write)
    # the answer's case header comes from what was written: nothing but the pseudonym is read there
    assert [s for s in write if s.startswith("SELECT") and "FROM process_instances" in s] == []
    assert len(log.statements) <= 17, log.statements  # with the next task's form (stored once)
    assert response.get_json() == api.get(f"/process-instances/{instance['id']}", "km").get_json()


def test_a_start_reads_in_one_transaction_and_writes_in_one(api: Api) -> None:
    api.start("V1")
    with counted(api.db) as log:
        instance = api.start("V3")
    assert len(log.transactions) == 2, log.transactions
    read, write = log.transactions
    assert not _writes(read)
    assert write[0].startswith("INSERT INTO process_instances")
    assert not any(s.startswith("SELECT process_instances.id, process_instances.process_key") for s in write)
    assert any(s.startswith("INSERT INTO processing_records") for s in write)
    assert [s for s in write if s.startswith("SELECT") and "FROM process_instances" in s] == []
    assert len(log.statements) <= 15, log.statements
    assert instance == api.get(f"/process-instances/{instance['id']}", "cm").get_json()


def test_the_answer_shows_a_claim_made_before_the_step(api: Api) -> None:
    """Tasks that stay open keep their stored row (its assignee) in the answer."""
    instance = api.start("V4", behandelaar="jan")
    task = api.open_task(instance)
    api.post(f"/tasks/{task['id']}/claim", "km")
    api.clock.advance(hours=2)  # the reminder fires; the task stays open
    fired = api.app.extensions["inburgering"].workflow.fire_due(instance["id"])
    assert fired.status == "active"
    response = api.post(f"/tasks/{task['id']}/complete", "km", json={"variables": {"besluit": "ja"}})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == api.get(f"/process-instances/{instance['id']}", "km").get_json()


def test_a_failed_completion_still_records_its_processing(api: Api) -> None:
    instance = api.start("V5")
    task = api.open_task(instance)
    with counted(api.db) as log:
        response = api.post(f"/tasks/{task['id']}/complete", "km", json={"variables": {"besluit": "x"}})
    assert response.status_code == 422
    writes = _writes(log.statements)
    assert writes and all(
        s.startswith(("INSERT INTO processing_records", "INSERT INTO data_subjects")) for s in writes
    )
