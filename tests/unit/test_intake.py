"""Hardened XML intake: size cap, DOCTYPE/entity refusal in any encoding, syntax errors, roots."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lxml import etree

from engine.errors import DeployError
from engine.intake import DMN_NAMESPACES, MAX_DOCUMENT_BYTES, document_kind, parse_xml

COMPAT = Path(__file__).resolve().parent.parent / "fixtures" / "compat"

MINIMAL_BPMN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">\n'
    '  <bpmn:process id="p" isExecutable="true"/>\n'
    "</bpmn:definitions>\n"
)


def _refused(content: bytes) -> DeployError:
    with pytest.raises(DeployError) as caught:
        parse_xml(content)
    assert caught.value.problems, "a refusal must list at least one problem"
    return caught.value


def _messages(error: DeployError) -> str:
    return " | ".join(p.message for p in error.problems)


def test_minimal_bpmn_parses() -> None:
    root = parse_xml(MINIMAL_BPMN.encode())
    assert document_kind(root) == "bpmn"
    assert root.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process").get("id") == "p"


def test_xxe_is_refused_before_parsing() -> None:
    content = (
        b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;'
        b"</bpmn:definitions>"
    )
    error = _refused(content)
    text = _messages(error)
    assert "DOCTYPE" in text
    assert "external entities are not allowed" in text
    assert "root:" not in text  # nothing of /etc/passwd leaks into a message
    assert all(p.line == 2 for p in error.problems)


def test_billion_laughs_is_refused() -> None:
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE lolz [", '  <!ENTITY lol "lol">']
    for level in range(1, 10):
        previous = "lol" if level == 1 else f"lol{level - 1}"
        lines.append(f'  <!ENTITY lol{level} "{("&" + previous + ";") * 10}">')
    lines += ["]>", "<lolz>&lol9;</lolz>"]
    error = _refused("\n".join(lines).encode())
    text = _messages(error)
    assert "DOCTYPE" in text
    assert "entity declarations are not allowed" in text
    assert len([p for p in error.problems if "entity" in p.message]) == 10


def test_plain_doctype_is_refused() -> None:
    content = MINIMAL_BPMN.replace("<bpmn:definitions", "<!DOCTYPE definitions>\n<bpmn:definitions", 1)
    error = _refused(content.encode())
    assert "DOCTYPE" in _messages(error)
    assert error.problems[0].line == 2


def test_lowercase_doctype_after_utf8_bom_is_refused() -> None:
    content = (
        b"\xef\xbb\xbf" + MINIMAL_BPMN.replace("<bpmn:definitions", "<!doctype x><bpmn:definitions").encode()
    )
    assert "DOCTYPE" in _messages(_refused(content))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_doctype_is_refused(encoding: str) -> None:
    text = MINIMAL_BPMN.replace(
        'encoding="UTF-8"', 'encoding="UTF-16"' if "16" in encoding else 'encoding="UTF-32"'
    )
    text = text.replace(
        "<bpmn:definitions", '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions', 1
    )
    error = _refused(text.encode(encoding))
    assert "DOCTYPE" in _messages(error)


def test_utf16_document_without_doctype_parses() -> None:
    text = MINIMAL_BPMN.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    root = parse_xml(text.encode("utf-16"))
    assert document_kind(root) == "bpmn"


def test_fifty_megabytes_is_refused_before_parsing() -> None:
    content = b"<a>" + b"x" * (50 * 1024 * 1024) + b"</a>"
    started = time.perf_counter()
    error = _refused(content)
    elapsed = time.perf_counter() - started
    assert "5 MB" in _messages(error)
    assert elapsed < 1.0, "the size check must not parse or scan the document"


def test_size_limit_is_exact() -> None:
    head = MINIMAL_BPMN.encode()
    padding = MAX_DOCUMENT_BYTES - len(head) - len(b"<!---->")
    at_limit = head + b"<!--" + b"x" * padding + b"-->"
    assert len(at_limit) == MAX_DOCUMENT_BYTES
    assert document_kind(parse_xml(at_limit)) == "bpmn"
    over = head + b"<!--" + b"x" * (padding + 1) + b"-->"
    assert "at most" in _messages(_refused(over))


def test_malformed_xml_reports_message_and_line() -> None:
    content = MINIMAL_BPMN.replace(
        '<bpmn:process id="p" isExecutable="true"/>', '<bpmn:process id="p">'
    ).encode()
    error = _refused(content)
    problem = error.problems[0]
    assert "not well-formed" in problem.message
    assert "mismatch" in problem.message
    assert problem.line == 4


def test_undefined_entity_reference_is_not_well_formed() -> None:
    content = MINIMAL_BPMN.replace('id="p"', 'id="p" name="&x;"').encode()
    assert "not well-formed" in _messages(_refused(content))


def test_empty_document_is_refused() -> None:
    assert "empty" in _messages(_refused(b"  \n"))


def test_unusual_encoding_is_refused() -> None:
    content = MINIMAL_BPMN.replace('encoding="UTF-8"', 'encoding="cp037"').encode()
    assert "encoding 'cp037'" in _messages(_refused(content))


@pytest.mark.parametrize(
    "xml",
    [
        b"<definitions/>",
        b'<definitions xmlns="http://example.com/not-bpmn"/>',
        b'<bpmn:process xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="p"/>',
        b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
    ],
)
def test_wrong_root_is_refused(xml: bytes) -> None:
    error = _refused(xml)
    assert "expected BPMN 2.0 'definitions'" in error.problems[0].message
    assert error.problems[0].line == 1


@pytest.mark.parametrize("namespace", sorted(DMN_NAMESPACES))
def test_dmn_roots_are_accepted(namespace: str) -> None:
    root = parse_xml(f'<definitions xmlns="{namespace}" id="d"><decision id="x"/></definitions>'.encode())
    assert document_kind(root) == "dmn"


def test_document_kind_refuses_other_roots() -> None:
    with pytest.raises(DeployError):
        document_kind(etree.fromstring(b"<other/>"))


def test_name_appears_in_messages() -> None:
    with pytest.raises(DeployError) as caught:
        parse_xml(b"<a>", name="upload.bpmn")
    assert caught.value.problems[0].message.startswith("upload.bpmn:")


def test_parser_keeps_comments_and_leaves_no_entities() -> None:
    root = parse_xml(MINIMAL_BPMN.replace("<bpmn:process", "<!-- note --><bpmn:process").encode())
    assert any(isinstance(node, etree._Comment) for node in root.iter())


@pytest.mark.parametrize(
    "path", sorted(p for p in COMPAT.iterdir() if p.suffix in (".bpmn", ".dmn", ".xml")), ids=lambda p: p.name
)
def test_every_compat_file_parses(path: Path) -> None:
    root = parse_xml(path.read_bytes(), name=path.name)
    assert document_kind(root) == ("dmn" if "dmn" in path.name else "bpmn")
