"""The case header storage function on SQLite and PostgreSQL: one query, scoped like every read."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, event

from engine.clock import ManualClock
from storage.case_header import case_header, case_headers
from storage.orgs import add_organisation
from storage.service import WorkflowService
from tests.conftest import FIXTURES, T0


@pytest.fixture
def service(db: Engine, clock: ManualClock) -> WorkflowService:
    svc = WorkflowService(db, clock)
    svc.deploy("aanvraag.bpmn", (FIXTURES / "aanvraag.bpmn").read_bytes(), actor="test")
    with db.begin() as conn:
        add_organisation(conn, "GM0344", "Utrecht", "gemeente", T0)
        add_organisation(conn, "GM0363", "Amsterdam", "gemeente", T0)
    return svc


def _start(svc: WorkflowService, key: str, gemeente: str, **variables: object) -> str:
    return svc.start("aanvraag", business_key=key, gemeente=gemeente, variables=variables, actor="t").id


def test_headers_of_a_set_of_instances_in_one_query(db: Engine, service: WorkflowService) -> None:
    full = _start(
        service, "1234567890", "GM0344", naam="Amira Haddad", azc="AZC-ZWL", koppeldatum="2027-01-04"
    )
    bare = _start(service, "1234567891", "GM0363")
    odd = _start(service, "1234567892", "GM0999", naam=" ", azc=17, koppeldatum="4 januari")
    statements: list[str] = []
    event.listen(db, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with db.connect() as conn:
        headers = case_headers(conn, [full, bare, odd, full, "no-such-id"], scope=None)
    assert [s for s in statements if s.lstrip().upper().startswith("SELECT")] == statements[-1:]
    assert set(headers) == {full, bare, odd}
    h = headers[full]
    assert (h.naam, h.v_nummer, h.azc, h.koppeldatum) == (
        "Amira Haddad",
        "1234567890",
        "AZC-ZWL",
        date(2027, 1, 4),
    )
    assert (h.gemeente, h.gemeente_naam, h.scenario) == ("GM0344", "Utrecht", None)
    b = headers[bare]
    assert (b.naam, b.azc, b.koppeldatum, b.gemeente_naam) == (None, None, None, "Amsterdam")
    o = headers[odd]
    assert (o.naam, o.azc, o.koppeldatum, o.gemeente_naam) == (None, "17", None, None)
    assert "Amira" not in repr(h) and "1234567890" not in repr(h)  # personal data stays out of reprs


def test_scope_leaves_out_other_gemeenten(db: Engine, service: WorkflowService) -> None:
    own = _start(service, "1234567890", "GM0344", naam="Amira Haddad")
    foreign = _start(service, "1234567891", "GM0363", naam="Bram de Vries")
    with db.connect() as conn:
        assert set(case_headers(conn, [own, foreign], scope="GM0344")) == {own}
        assert case_header(conn, foreign, scope="GM0344") is None
        assert case_header(conn, foreign, scope=None) is not None
        assert case_headers(conn, [], scope=None) == {}
