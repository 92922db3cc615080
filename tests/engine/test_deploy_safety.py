"""Malicious or Java-bound documents are refused at deploy, each with a clear problem; none runs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.definition import SpecLibrary
from engine.errors import DeployError

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def _process(body: str, head: str = HEAD) -> bytes:
    return (
        head + '<bpmn:process id="p" isExecutable="true">\n'
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + body
        + '\n<bpmn:endEvent id="klaar"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="x"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="klaar"/>\n'
        "</bpmn:process></bpmn:definitions>\n"
    ).encode()


def _script(code: str, fmt: str = "python") -> bytes:
    return _process(
        f'<bpmn:scriptTask id="x" scriptFormat="{fmt}"><bpmn:incoming>f1</bpmn:incoming>'
        f"<bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>"
    )


def _gateway_condition(expr: str) -> bytes:
    return (
        HEAD + '<bpmn:process id="p" isExecutable="true">'
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:exclusiveGateway id="x" default="f3"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>"
        '<bpmn:endEvent id="a"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:endEvent id="b"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="x"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="a">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{expr}</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f3" sourceRef="x" targetRef="b"/>'
        "</bpmn:process></bpmn:definitions>"
    ).encode()


CANARY = Path("/tmp/doorlopende-lijn-canary")

CASES = {
    "xxe": (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + _process(
            '<bpmn:task id="x" name="&e;"><bpmn:incoming>f1</bpmn:incoming>'
            "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:task>",
            head=HEAD.split("\n", 1)[1],
        ),
        None,
        "DOCTYPE",
    ),
    "entity-expansion": (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><d>&c;</d>',
        None,
        "DOCTYPE",
    ),
    "doctype": (b'<?xml version="1.0"?><!DOCTYPE html>' + _process("")[38:], None, "DOCTYPE"),
    "dunder-walk": (_gateway_condition("${''.__class__.__mro__[1].__subclasses__()}"), "f2", "__class__"),
    "import": (_script(f"x = __import__('os').system('touch {CANARY}')"), "x", "not allowed"),
    "import-in-condition": (_gateway_condition("${__import__('os')}"), "f2", "__import__"),
    "huge-power": (_gateway_condition("${10**10**10 &gt; 1}"), "f2", ""),
    "python-huge-power": (_script("x = 10**10**10"), "x", "too large"),
    "groovy": (_script("def x = execution.getVariable('a')", fmt="groovy"), "x", "groovy"),
    "javascript": (_script("var a = new Date();", fmt="javascript"), "x", "javascript"),
    "java-delegate": (
        _process(
            '<bpmn:serviceTask id="x" camunda:class="org.example.Evil"><bpmn:incoming>f1</bpmn:incoming>'
            "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>"
        ),
        "x",
        "camunda:class",
    ),
    "delegate-expression": (
        _process(
            '<bpmn:serviceTask id="x" camunda:delegateExpression="${evil}"><bpmn:incoming>f1</bpmn:incoming>'
            "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>"
        ),
        "x",
        "delegateExpression",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_at_deploy_with_a_clear_problem(name: str) -> None:
    content, element, word = CASES[name]
    started = time.perf_counter()
    with pytest.raises(DeployError) as err:
        SpecLibrary().add_document(f"{name}.bpmn", content)
    assert time.perf_counter() - started < 2.0
    problems = err.value.problems
    assert problems, name
    if element is not None:
        assert any(p.element_id == element for p in problems), problems
    assert any(word.lower() in p.message.lower() for p in problems), problems
    assert not CANARY.exists()


def test_fifty_megabytes_is_refused_before_parsing() -> None:
    content = _process("") + b"<!--" + b"x" * (50 * 1024 * 1024) + b"-->"
    started = time.perf_counter()
    with pytest.raises(DeployError) as err:
        SpecLibrary().add_document("big.bpmn", content)
    assert time.perf_counter() - started < 1.0
    assert "5 MB" in str(err.value) or "too large" in str(err.value).lower()


def test_every_problem_is_listed_not_just_the_first() -> None:
    content = _process(
        '<bpmn:serviceTask id="x" camunda:class="a.B"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>"
        '<bpmn:scriptTask id="y" scriptFormat="groovy"><bpmn:script>execution.setVariable("a", new Date())</bpmn:script></bpmn:scriptTask>'
    )
    with pytest.raises(DeployError) as err:
        SpecLibrary().add_document("two.bpmn", content)
    assert {"x", "y"} <= {p.element_id for p in err.value.problems}
    assert all(p.line for p in err.value.problems if p.element_id in {"x", "y"})


def test_engine_imports_only_spiffworkflow_lxml_and_the_standard_library() -> None:
    import ast
    import sys

    allowed = {"SpiffWorkflow", "lxml", "engine"} | set(sys.stdlib_module_names)
    for path in Path("engine").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path} imports {name}"
