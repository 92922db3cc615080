"""Which version a call activity calls: ``camunda:calledElementBinding`` ``versionTag`` and ``deployment``.

Ported from ``CallActivityTest.testCallProcessByVersionTag*`` (resources ``subProcessWithVersionTag``
unchanged; the caller is Camunda's ``getModelWithCallActivityVersionTagBinding`` as XML). A
deployment here is one document: binding ``deployment`` calls the version the caller's own document
deployed.
"""

from __future__ import annotations

from tests.camunda.conftest import RESOURCES, Camunda


def _caller(version_tag: str | None) -> bytes:
    """CallActivityTest.getModelWithCallActivityVersionTagBinding(versionTag)"""
    tag = f' camunda:calledElementVersionTag="{version_tag}"' if version_tag is not None else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <process id="process" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="callActivity"/>
    <callActivity id="callActivity" calledElement="subProcess" camunda:calledElementBinding="versionTag"{tag}/>
    <sequenceFlow id="f2" sourceRef="callActivity" targetRef="e"/><endEvent id="e"/>
  </process>
</definitions>""".encode()


def _tasks(camunda: Camunda, instance: dict) -> list[str]:
    return [t["name"] for t in camunda.tasks(instance)]


def test_call_process_by_version_tag(camunda: Camunda) -> None:
    """CallActivityTest.testCallProcessByVersionTag: the version whose camunda:versionTag matches,
    not the latest"""
    camunda.deploy("subProcessWithVersionTag.bpmn20.xml")
    untagged = (RESOURCES / "subProcessWithVersionTag.bpmn20.xml").read_bytes()
    camunda.deploy(untagged.replace(b' camunda:versionTag="ver_tag_1"', b"").replace(b"ver 1", b"untagged"))
    camunda.deploy(_caller("ver_tag_1"))
    instance = camunda.start("process")
    assert _tasks(camunda, instance) == ["User task ver 1"]
    assert camunda.complete(instance, "Task_1")["status"] == "completed"
    detail = camunda.api.get("/process-definitions/subProcess", "po").get_json()
    assert [(v["version"], v["versionTag"]) for v in detail["versions"]] == [(2, None), (1, "ver_tag_1")]


def test_call_process_by_version_tag_as_expression(camunda: Camunda) -> None:
    """CallActivityTest.testCallProcessByVersionTagAsExpression"""
    camunda.deploy("subProcessWithVersionTag.bpmn20.xml")
    camunda.deploy(_caller("${versionTagExpr}"))
    instance = camunda.start("process", {"versionTagExpr": "ver_tag_1"})
    assert _tasks(camunda, instance) == ["User task ver 1"]


def test_call_process_without_version_tag(camunda: Camunda) -> None:
    """CallActivityTest.testCallProcessWithoutVersionTag: refused at deploy with Camunda's words"""
    errors = camunda.deploy_fails(_caller(None))
    assert any(
        e.get("elementId") == "callActivity"
        and "Missing attribute 'calledElementVersionTag' when 'calledElementBinding' has value 'versionTag'"
        in e["message"]
        for e in errors
    ), errors


def test_call_process_by_version_tag_none_subprocess(camunda: Camunda) -> None:
    """CallActivityTest.testCallProcessByVersionTagNoneSubprocess: a 422 naming the tag, nothing started"""
    camunda.deploy("subProcessWithVersionTag.bpmn20.xml")
    camunda.deploy(_caller("ver_tag_2"))
    response = camunda.start_response("process")
    assert response.status_code == 422
    assert (
        "no processes deployed with key = 'subProcess', versionTag = 'ver_tag_2'"
        in response.get_json()["detail"]
    )


def test_call_process_by_version_tag_two_subprocesses(camunda: Camunda) -> None:
    """CallActivityTest.testCallProcessByVersionTagTwoSubprocesses: two versions carry the tag.
    (Deploying the same document twice is one version here, so the second is ``subProcessWithVersionTag2``.)"""
    camunda.deploy("subProcessWithVersionTag.bpmn20.xml", "subProcessWithVersionTag2.bpmn20.xml")
    camunda.deploy(_caller("ver_tag_1"))
    response = camunda.start_response("process")
    assert response.status_code == 422
    assert (
        "There are '2' results for a process definition with key 'subProcess', versionTag 'ver_tag_1'"
        in response.get_json()["detail"]
    )


_SAME_DOCUMENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <process id="caller" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
    <callActivity id="call" calledElement="callee" camunda:calledElementBinding="deployment"/>
    <sequenceFlow id="f2" sourceRef="call" targetRef="e"/><endEvent id="e"/>
  </process>
  <process id="callee" isExecutable="true">
    <startEvent id="cs"/><sequenceFlow id="cf1" sourceRef="cs" targetRef="work"/>
    <userTask id="work" name="NAME"/>
    <sequenceFlow id="cf2" sourceRef="work" targetRef="ce"/><endEvent id="ce"/>
  </process>
</definitions>"""


def test_deployment_binding_calls_the_version_of_the_same_document(camunda: Camunda) -> None:
    """CallActivity.testCallSimpleSubProcessFromSameDeployment's binding: the callee deployed with the
    caller, even when a later document deployed a newer version of it"""
    camunda.deploy(_SAME_DOCUMENT.replace(b"NAME", b"first"))
    newer_callee = _SAME_DOCUMENT.replace(b"NAME", b"second").replace(b'id="caller"', b'id="other"')
    camunda.deploy(newer_callee)
    instance = camunda.start("caller")
    assert _tasks(camunda, instance) == ["first"]
    # the caller's second version deployed the second callee with it
    camunda.deploy(_SAME_DOCUMENT.replace(b"NAME", b"third"))
    assert _tasks(camunda, camunda.start("caller")) == ["third"]
    assert _tasks(camunda, instance) == ["first"]


def test_deployment_binding_to_another_document_is_refused(camunda: Camunda) -> None:
    """Binding ``deployment`` to a process its document does not define can never run: refused at
    deploy naming the call activity (Camunda fails when the activity starts)"""
    camunda.deploy("oneTaskProcess.bpmn20.xml")
    caller = _SAME_DOCUMENT.replace(b'calledElement="callee"', b'calledElement="oneTaskProcess"')
    errors = camunda.deploy_fails(caller)
    assert any(e.get("elementId") == "call" and "'deployment'" in e["message"] for e in errors), errors
