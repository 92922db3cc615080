"""The XML intake: mutated valid diagrams are deployed or refused with problems, never a crash, a 5xx
or a hang, whether parsed directly or sent to ``POST /process-definitions``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from engine.definition import SpecLibrary
from engine.errors import DeployError
from tests.api.conftest import Api, make_api
from tests.conftest import FIXTURES, T0
from tests.properties import bounded

HANG_SECONDS = 10.0
DIAGRAMS = [
    (FIXTURES / "aanvraag.bpmn").read_bytes(),
    (FIXTURES / "engine" / "hostile_values.bpmn").read_bytes(),
    (FIXTURES / "compat" / "fraudRating.dmn").read_bytes(),
]
SNIPPETS = [
    b"<",
    b">",
    b"/>",
    b'"',
    b"'",
    b"&",
    b"&amp;",
    b"&lt;",
    b"&#0;",
    b"&#x110000;",
    b"&xxe;",
    b'<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    b'<!ENTITY a "aaaaaaaaaa">',
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"<?xml version='1.0'?>",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b'<bpmn:userTask id="t" name="x">',
    b"</bpmn:process>",
    b'<bpmn:scriptTask id="s"><bpmn:script>',
    b"__import__('os').system('id')",
    b"${",
    b"#{",
    b"}",
    b'camunda:class="x.Y"',
    b'xmlns:x="urn:x"',
    b'<xi:include href="/etc/passwd" xmlns:xi="http://www.w3.org/2001/XInclude"/>',
    b"\t",
    b"\n",
    b"R/PT0S",
    b"P99999999Y",
    b"a" * 3000,
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    document = bytearray(draw(st.sampled_from(DIAGRAMS)))
    for _ in range(draw(st.integers(1, 6))):
        size = len(document)
        at = draw(st.integers(0, max(0, size - 1)))
        operation = draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "truncate", "flip"]))
        if operation == "insert":
            document[at:at] = draw(st.one_of(st.sampled_from(SNIPPETS), st.binary(min_size=1, max_size=8)))
        elif operation == "delete":
            del document[at : at + draw(st.integers(1, 200))]
        elif operation == "replace":
            document[at : at + draw(st.integers(1, 40))] = draw(st.sampled_from(SNIPPETS))
        elif operation == "duplicate":
            length = draw(st.integers(1, 400))
            document[at:at] = document[at : at + length] * draw(st.integers(1, 5))
        elif operation == "truncate":
            del document[at:]
        elif size:
            document[at] = draw(st.integers(0, 255))
    return bytes(document)


@bounded(150)
@given(mutated())
def test_a_mutated_document_is_parsed_or_refused_with_problems(document: bytes) -> None:
    started = time.monotonic()
    try:
        SpecLibrary().parse("mutated.bpmn", document)
    except DeployError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
    finally:
        assert time.monotonic() - started < HANG_SECONDS


@pytest.fixture(scope="module")
def module_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from engine.clock import ManualClock
    from storage.db import make_engine
    from storage.migrate import upgrade

    path: Path = tmp_path_factory.mktemp("intake") / "intake.db"
    engine: Engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield make_api(engine, ManualClock(T0))
    engine.dispose()


@bounded(40)
@given(document=mutated())
def test_a_mutated_document_never_gets_a_5xx(module_api: Api, document: bytes) -> None:
    started = time.monotonic()
    response = module_api.post("/process-definitions", "po", data=document, content_type="application/xml")
    assert time.monotonic() - started < HANG_SECONDS
    assert response.status_code in (200, 201, 422), response.get_data(as_text=True)[:500]
    assert response.mimetype in ("application/json", "application/problem+json")
