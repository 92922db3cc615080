"""Hardened intake of uploaded BPMN and DMN documents.

Every diagram that reaches the engine passes through :func:`parse_xml` first. It refuses what
could read local files, reach the network or exhaust memory (document type declarations,
entities, oversized documents), then parses with a locked-down lxml parser and checks that the
root element is a BPMN 2.0 or DMN ``definitions`` element.
"""

from __future__ import annotations

import codecs
import re
from typing import Literal

from lxml import etree

from engine.errors import DeployError, Problem

__all__ = [
    "BPMN_MODEL_NS",
    "MAX_ATTRIBUTE_LENGTH",
    "MAX_DOCUMENTATION_LENGTH",
    "MAX_ID_LENGTH",
    "MAX_LANE_NAME_LENGTH",
    "MAX_NAME_LENGTH",
    "check_lengths",
    "DMN_NAMESPACES",
    "FLOW_NODE_TAGS",
    "MAX_DOCUMENT_BYTES",
    "document_kind",
    "parse_xml",
]

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
"""Largest document accepted, in bytes (the HTTP contract's deploy limit)."""

BPMN_MODEL_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
"""Namespace of BPMN 2.0 model elements."""

#: The BPMN flow nodes by local name (activities, events, gateways).
FLOW_NODE_TAGS = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "scriptTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)

MAX_ID_LENGTH = 200
"""Longest element id (ids are stored as element and process keys)."""
MAX_NAME_LENGTH = 300
"""Longest element name (task names are shown in every worklist row)."""
MAX_LANE_NAME_LENGTH = 100
"""Longest lane name (stored with every open task)."""
MAX_DOCUMENTATION_LENGTH = 20_000
"""Longest ``documentation`` text (shown on the task page)."""
MAX_ATTRIBUTE_LENGTH = 10_000
"""Longest value of any other attribute (expressions have the same limit in the evaluator)."""

DMN_NAMESPACES: frozenset[str] = frozenset(
    {
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",  # DMN 1.1
        "http://www.omg.org/spec/DMN/20151101/dmn11.xsd",  # DMN 1.1 as older Camunda tools write it
        "http://www.omg.org/spec/DMN/20180521/MODEL/",  # DMN 1.2
        "https://www.omg.org/spec/DMN/20191111/MODEL/",  # DMN 1.3
    }
)
"""Namespaces of the DMN ``definitions`` root element we accept."""

# Encodings a document may declare. Anything else (EBCDIC, UTF-7, ...) could hide markup from
# the byte-level checks below, so it is refused rather than trusted to the parser.
_ALLOWED_ENCODINGS = frozenset(
    {
        "utf-8",
        "utf8",
        "utf-16",
        "utf-16le",
        "utf-16be",
        "utf-32",
        "utf-32le",
        "utf-32be",
        "us-ascii",
        "ascii",
        "iso-8859-1",
        "latin-1",
        "latin1",
        "iso-8859-15",
        "windows-1252",
        "cp1252",
    }
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# First bytes of "<?" (or "<" plus a name) without a byte order mark, per XML 1.0 appendix F.
_NO_BOM_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)

_DOCTYPE_RE = re.compile(r"<!\s*DOCTYPE", re.IGNORECASE)
_ENTITY_RE = re.compile(r"<!\s*ENTITY\b(?P<body>[^>]*)", re.IGNORECASE)
_EXTERNAL_ID_RE = re.compile(r"\b(SYSTEM|PUBLIC)\b", re.IGNORECASE)
_ENCODING_DECL_RE = re.compile(r"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _make_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def _sniff_encoding(content: bytes) -> str:
    """Guess the transport encoding from a byte order mark or the first bytes."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return encoding
    for signature, encoding in _NO_BOM_SIGNATURES:
        if content.startswith(signature):
            return encoding
    return "utf-8"


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _decoded_views(content: bytes) -> list[str]:
    """Text renderings of ``content`` to search for markup declarations.

    The sniffed encoding is the one that matters; a NUL-stripped Latin-1 view also catches
    UTF-16/UTF-32 text whose byte order mark was removed or lied about.
    """
    sniffed = _sniff_encoding(content)
    views = [content.decode(sniffed, errors="replace").lstrip("\ufeff")]
    stripped = content.replace(b"\x00", b"")
    if stripped != content:
        views.append(stripped.decode("latin-1"))
    return views


def _prescan(content: bytes, name: str) -> list[Problem]:
    """Refuse dangerous constructs on the raw bytes, before any parser sees them."""
    problems: list[Problem] = []
    views = _decoded_views(content)
    primary = views[0]

    declared = _ENCODING_DECL_RE.match(primary)
    if declared and declared.group(1).lower() not in _ALLOWED_ENCODINGS:
        problems.append(
            Problem(
                f"{name}: encoding '{declared.group(1)}' is not accepted; save the document as UTF-8",
                line=1,
            )
        )

    for view in views:
        doctype = _DOCTYPE_RE.search(view)
        if doctype is None:
            continue
        problems.append(
            Problem(
                f"{name}: a DOCTYPE declaration is not allowed (document type definitions and "
                "entities can read local files or exhaust memory)",
                line=_line_of(view, doctype.start()),
            )
        )
        break

    for view in views:
        entities = list(_ENTITY_RE.finditer(view))
        if not entities:
            continue
        for match in entities:
            line = _line_of(view, match.start())
            if _EXTERNAL_ID_RE.search(match.group("body")):
                problems.append(Problem(f"{name}: external entities are not allowed", line=line))
            else:
                problems.append(Problem(f"{name}: entity declarations are not allowed", line=line))
        break
    return problems


def _syntax_problem(exc: etree.XMLSyntaxError, name: str) -> Problem:
    message = exc.msg or str(exc)
    line = exc.lineno if exc.lineno and exc.lineno > 0 else None
    return Problem(f"{name}: not well-formed XML: {message}", line=line)


def parse_xml(content: bytes, *, name: str = "document") -> etree._Element:
    """Parse an uploaded BPMN or DMN document safely and return its root element.

    Raises :class:`~engine.errors.DeployError` listing every reason when the document is larger
    than :data:`MAX_DOCUMENT_BYTES`, carries a DOCTYPE or entity declaration (in any encoding),
    declares an unusual encoding, is not well-formed, or has a root other than BPMN 2.0
    ``definitions`` or DMN 1.1-1.3 ``definitions``.
    """
    if not isinstance(content, bytes | bytearray | memoryview):
        raise DeployError([Problem(f"{name}: expected the document as bytes")])
    content = bytes(content)
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DeployError(
            [
                Problem(
                    f"{name}: the document is {len(content)} bytes; at most "
                    f"{MAX_DOCUMENT_BYTES} bytes (5 MB) are accepted"
                )
            ]
        )
    if not content.strip():
        raise DeployError([Problem(f"{name}: the document is empty")])

    problems = _prescan(content, name)
    if problems:
        raise DeployError(problems)

    try:
        root = etree.fromstring(content, parser=_make_parser())
    except etree.XMLSyntaxError as exc:
        raise DeployError([_syntax_problem(exc, name)]) from None
    except ValueError as exc:  # e.g. an unknown encoding lxml itself refuses
        raise DeployError([Problem(f"{name}: not well-formed XML: {exc}")]) from None

    # Belt and braces: the prescan should have caught these, but never trust one layer.
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DeployError([Problem(f"{name}: a DOCTYPE declaration is not allowed", line=1)])
    for node in root.iter(etree.Entity):
        raise DeployError(
            [Problem(f"{name}: entity references are not allowed", line=node.sourceline or None)]
        )

    if not _is_definitions(root):
        raise DeployError(
            [
                Problem(
                    f"{name}: the root element is {_describe(root)}; expected BPMN 2.0 "
                    f"'definitions' ({BPMN_MODEL_NS}) or DMN 1.1-1.3 'definitions'",
                    line=root.sourceline or None,
                )
            ]
        )
    return root


def check_lengths(root: etree._Element) -> list[Problem]:
    """Ids, names, documentation and attribute values longer than the limits above, one problem each."""
    problems: list[Problem] = []

    def refuse(element: etree._Element, what: str, length: int, limit: int) -> None:
        element_id = element.get("id")
        if element_id is not None and len(element_id) > MAX_ID_LENGTH:
            element_id = element_id[:40] + "..."
        problems.append(
            Problem(
                f"{what} is {length} characters long; at most {limit} are allowed",
                element_id=element_id,
                line=element.sourceline or None,
            )
        )

    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        for attribute, value in element.attrib.items():
            name = etree.QName(attribute).localname if attribute.startswith("{") else attribute
            if name == "id":
                limit = MAX_ID_LENGTH
            elif name == "name":
                limit = MAX_LANE_NAME_LENGTH if local == "lane" else MAX_NAME_LENGTH
            else:
                limit = MAX_ATTRIBUTE_LENGTH
            if len(value) > limit:
                refuse(element, f"the {local} {name}", len(value), limit)
        if local == "documentation":
            text = "".join(element.itertext())
            if len(text) > MAX_DOCUMENTATION_LENGTH:
                parent = element.getparent()
                owner = parent if parent is not None else element
                refuse(owner, "the documentation", len(text), MAX_DOCUMENTATION_LENGTH)
        if len(problems) >= 20:
            break
    return problems


def _is_definitions(root: etree._Element) -> bool:
    if not isinstance(root.tag, str):
        return False
    qname = etree.QName(root)
    if qname.localname != "definitions":
        return False
    return qname.namespace == BPMN_MODEL_NS or qname.namespace in DMN_NAMESPACES


def _describe(root: etree._Element) -> str:
    if not isinstance(root.tag, str):
        return "not an element"
    qname = etree.QName(root)
    if qname.namespace:
        return f"'{qname.localname}' in namespace '{qname.namespace}'"
    return f"'{qname.localname}' without a namespace"


def document_kind(root: etree._Element) -> Literal["bpmn", "dmn"]:
    """Tell whether a root returned by :func:`parse_xml` is a BPMN or a DMN document."""
    namespace = etree.QName(root).namespace
    if namespace == BPMN_MODEL_NS:
        return "bpmn"
    if namespace in DMN_NAMESPACES:
        return "dmn"
    raise DeployError(
        [Problem(f"the root element {_describe(root)} is neither BPMN nor DMN", line=root.sourceline)]
    )
