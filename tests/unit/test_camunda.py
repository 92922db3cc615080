"""Camunda extension inspection over the compatibility corpus and hand-written diagrams."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.camunda import DocumentInfo, FormField, inspect_document
from engine.errors import ExpressionError
from engine.intake import parse_xml

COMPAT = Path(__file__).resolve().parent.parent / "fixtures" / "compat"
MANIFEST = (COMPAT / "MANIFEST.md").read_text(encoding="utf-8")

# "### `file` — should run (caveat)" headings, as the corpus manifest classifies each file.
CLASSES: dict[str, str] = {
    match.group(1): match.group(2).strip()
    for match in re.finditer(r"^### `([^`]+)` — (.+)$", MANIFEST, flags=re.MULTILINE)
}
BPMN_FILES = sorted(name for name in CLASSES if not name.endswith((".dmn", ".dmn11.xml")))
DMN_FILES = sorted(name for name in CLASSES if name.endswith((".dmn", ".dmn11.xml")))
SHOULD_RUN = [n for n in BPMN_FILES if CLASSES[n] == "should run"]
# Classified "should run" by the manifest (taken from the 7-to-8 converter's tests, which only parse),
# but Camunda 7 refuses to deploy it: three timer start events in one process.
CAMUNDA_REFUSES = {"flexible-timer-event.bpmn": {"CycleStartEvent", "DurationStartEvent"}}
CAVEATS = [n for n in BPMN_FILES if CLASSES[n] == "should run (caveat)"]
# DocumentRequest.bpmn needs only external tasks, which run (the manifest allows either).
REJECTED = [
    n
    for n in BPMN_FILES
    if CLASSES[n].startswith("should be rejected clearly") and n != "DocumentRequest.bpmn"
]

# The offending elements the manifest names for every "should be rejected clearly" file.
REJECTED_ELEMENTS: dict[str, set[str]] = {
    "example-c7.bpmn": {
        "Activity_1n7uir2",  # camunda:class
        "Activity_0kko3uz",  # connector + JavaScript input scripts
        "Activity_0he1pic",  # classpath script + Kotlin listener
        "Activity_0z6wzlr",  # Kotlin execution listener, class task listener
        "Event_1h0xjgo",  # external message throw
        "Activity_1xzz9ee",  # transaction
        "Event_190ulmq",  # cancel end event
        "Event_06t4r2b",  # compensation throw
        "Event_01dji1o",  # conditional
        "Gateway_1bgs796",  # complex gateway
    },
    "invokeRestService.bpmn": {"ServiceTask_1"},
    "TwitterDemoProcess.bpmn": {
        "service_task_publish_on_twitter",
        "service_task_send_rejection_notification",
    },
    "invoice.v2.bpmn": {"ServiceTask_1", "approveInvoice"},
    # its camunda:expression service tasks (#{true}) run in the safe evaluator; the listener is refused
    "InsuranceApplication.bpmn": {"BusinessRuleTaskCheckApplicationAutomatically"},
    "bpmn-communication-tutorial_process.bpmn": {"Task_1yiwok0", "EndEvent_0svvx6s"},
}

# The one Camunda-specific idiom each "(caveat)" file uses, per the manifest: it must either be
# emulated by the expression evaluator (then the file is clean) or refused on that one attribute.
CAVEAT_IDIOMS: dict[str, tuple[str, str, str]] = {
    "reviewInvoice.bpmn": ("reviewInvoice", "dueDate", "${dateTime().plusDays(2).toDate()}"),
    "kibana-reporting_process.bpmn": ("Task_0vu5yqs", "businessKey", "#{execution.processBusinessKey}"),
}


def _inspect(name: str) -> DocumentInfo:
    return inspect_document(parse_xml((COMPAT / name).read_bytes(), name=name))


def _describe(info: DocumentInfo) -> str:
    return "\n".join(f"{p.element_id} (line {p.line}): {p.message}" for p in info.problems)


def _evaluator_accepts(text: str) -> bool:
    from engine.expression import validate_expression

    try:
        validate_expression(text)
    except ExpressionError:
        return False
    return True


def test_manifest_classifies_the_whole_corpus() -> None:
    on_disk = {p.name for p in COMPAT.iterdir() if p.name != "MANIFEST.md"}
    assert set(CLASSES) == on_disk
    assert len(BPMN_FILES) == 20 and len(DMN_FILES) == 5
    assert len(SHOULD_RUN) + len(CAVEATS) == 13
    assert set(REJECTED) == set(REJECTED_ELEMENTS)
    assert set(CAVEATS) == set(CAVEAT_IDIOMS)


@pytest.mark.parametrize("name", [n for n in SHOULD_RUN if n not in CAMUNDA_REFUSES])
def test_should_run_files_have_no_problems(name: str) -> None:
    info = _inspect(name)
    assert info.kind == "bpmn"
    assert info.problems == (), _describe(info)


@pytest.mark.parametrize("name", sorted(CAMUNDA_REFUSES))
def test_files_camunda_refuses_are_refused_with_its_message(name: str) -> None:
    """BpmnParse.selectInitial: one none-or-timer start event per process."""
    info = _inspect(name)
    message = "multiple none start events or timer start events not supported on process definition"
    assert {p.element_id for p in info.problems} == CAMUNDA_REFUSES[name], _describe(info)
    assert all(p.message == message for p in info.problems), _describe(info)


@pytest.mark.parametrize("name", CAVEATS)
def test_caveat_files_either_run_or_refuse_only_the_idiom(name: str) -> None:
    element_id, attribute, idiom = CAVEAT_IDIOMS[name]
    info = _inspect(name)
    assert idiom in (COMPAT / name).read_text(encoding="utf-8")
    if _evaluator_accepts(idiom):
        assert info.problems == (), _describe(info)
    else:
        assert len(info.problems) == 1, _describe(info)
        problem = info.problems[0]
        assert problem.element_id == element_id
        assert attribute in problem.message and idiom in problem.message
        assert problem.line is not None


@pytest.mark.parametrize("name", REJECTED)
def test_rejected_files_name_every_offending_element(name: str) -> None:
    info = _inspect(name)
    assert info.problems, f"{name} must be refused"
    named = {p.element_id for p in info.problems}
    missing = REJECTED_ELEMENTS[name] - named
    assert not missing, f"no problem names {missing}:\n{_describe(info)}"
    assert all(p.element_id and p.line for p in info.problems), _describe(info)


def test_rejection_messages_say_what_is_unsupported() -> None:
    text = _describe(_inspect("example-c7.bpmn"))
    for phrase in (
        "Activity_1n7uir2 (line 85): serviceTask 'Delegate Class' uses a Java class",
        "external tasks are supported on service tasks and send tasks only",
        "connectors are not supported (connector 'http')",
        "uses scriptFormat 'js': only Python assignments in the safe subset are supported",
        "listeners are not supported",
        "compensation events are not supported",
        "conditional events are not supported",
        "timer has no date, duration or cycle",
    ):
        assert phrase in text, phrase
    twitter = _describe(_inspect("TwitterDemoProcess.bpmn"))
    assert "camunda:delegateExpression '#{tweetAdapter}'" in twitter
    assert "camunda:delegateExpression '#{emailAdapter}'" in twitter
    rest = _describe(_inspect("invokeRestService.bpmn"))
    assert "connector 'http-connector'" in rest and "Javascript script" in rest


def test_problems_are_in_document_order() -> None:
    lines = [p.line or 0 for p in _inspect("example-c7.bpmn").problems]
    assert lines == sorted(lines)


@pytest.mark.parametrize("name", DMN_FILES)
def test_dmn_files_list_their_decisions(name: str) -> None:
    info = _inspect(name)
    assert info.kind == "dmn"
    assert info.problems == ()
    assert info.decision_ids
    for decision_id in re.findall(
        r"\*\*Decision `([^`]+)`\*\*", MANIFEST.split(f"### `{name}`")[1].split("### ")[0]
    ):
        assert decision_id in info.decision_ids


def test_drg_file_lists_all_three_decisions() -> None:
    assert _inspect("drg-dish-decision.dmn11.xml").decision_ids == ("Dish", "Season", "GuestCount")


# -- what the corpus tells us ----------------------------------------------------------------


def test_loan_approval_forms() -> None:
    info = _inspect("loanApproval.bpmn")
    assert info.process_ids == ("generatedFormsQuickstart",)
    assert info.executable_process_ids == ("generatedFormsQuickstart",)
    assert info.history_ttl == {"generatedFormsQuickstart": None}

    start = {f.id: f for f in info.start_forms["StartEvent_1"]}
    assert start["firstname"] == FormField(
        id="firstname", label="First Name", type="string", required=True, constraints={"maxlength": 25}
    )
    assert start["netIncome"].type == "long" and start["netIncome"].required
    assert start["loanType"].type == "enum"
    assert start["loanType"].options == (
        ("mortage", "Mortage Loan (5%)"),
        ("cashAdvance", "Cash Advance (10%)"),
    )

    task = info.user_tasks["UserTask_1"]
    assert task.name == "Approve Request"
    assert task.assignee == "demo"
    assert task.process_id == "generatedFormsQuickstart"
    fields = {f.id: f for f in task.form}
    assert [f.id for f in task.form] == [
        "firstname",
        "lastname",
        "netIncome",
        "loanAmount",
        "loanType",
        "approved",
    ]
    assert all(
        fields[name].readonly for name in ("firstname", "lastname", "netIncome", "loanAmount", "loanType")
    )
    assert fields["loanType"].type == "string"
    assert fields["approved"].type == "boolean"
    assert not fields["approved"].readonly and not fields["approved"].required
    assert fields["netIncome"].as_dict() == {
        "id": "netIncome",
        "label": "Net Income",
        "type": "long",
        "required": False,
        "options": [],
        "constraints": {"readonly": True},
        "default": None,
    }
    assert start["loanType"].as_dict()["options"] == [
        {"id": "mortage", "label": "Mortage Loan (5%)"},
        {"id": "cashAdvance", "label": "Cash Advance (10%)"},
    ]


def test_checkin_lane_candidates_and_message_start() -> None:
    info = _inspect("Checkin.bpmn")
    task = info.user_tasks["Activity_1vqcp5z"]
    assert task.lane == "Customer"
    assert task.candidate_users == ("tom",)
    assert task.candidate_groups == ("camunda-admin",)
    assert [(f.id, f.type) for f in task.form] == [
        ("roomUpgrade", "boolean"),
        ("freeDrinks", "long"),
        ("breakfast", "string"),
        ("email", "string"),
    ]
    assert info.lanes["StartEvent_1"] == "Customer"
    assert info.element_messages["StartEvent_1"] == "check"


def test_single_task_process_keeps_expressions_as_written() -> None:
    task = _inspect("single-task-process.bpmn").user_tasks["singleUserTask"]
    assert task.name == "${taskName}"
    assert task.assignee == "${assignee}"
    assert task.candidate_groups == ("${candidateGroups}",)
    assert task.due_date == "${dueDate}"
    assert task.follow_up_date == "${followUpDate}"
    assert task.priority == "${priority}"
    assert task.form_key == "${formKey}"


def test_call_activity_and_messages() -> None:
    info = _inspect("CallActivity.bpmn")
    assert info.called_elements == {"Activity_0il7un2": "CallActvityChild"}
    assert info.process_ids == ("CallActvityParent", "CallActvityChild")
    gateway = _inspect("EventBasedGatewayTest.bpmn")
    assert gateway.element_messages == {"MessageIntermediateCatchEvent": "msg_MessageIntermediateCatchEvent"}
    correlation = _inspect("MessageCorrelationTest.shouldReturn3.bpmn20.xml")
    assert correlation.element_messages == {"messageB": "1"}


def test_invoice_lanes_and_properties() -> None:
    info = _inspect("invoice.v2.bpmn")
    assert info.user_tasks["approveInvoice"].lane == "Approver"
    assert info.user_tasks["prepareBankTransfer"].lane == "Accountant"
    assert info.user_tasks["approveInvoice"].candidate_groups == ("${approverGroups}",)
    twitter = _inspect("TwitterDemoProcess.bpmn")
    assert twitter.properties  # camunda:properties are read from any element


def test_kibana_dynamic_enum_and_expressions() -> None:
    info = _inspect("kibana-reporting_process.bpmn")
    (field,) = info.user_tasks["Task_Select_Manual_User"].form
    assert field.type == "enum" and field.options == () and field.default == "#{users}"
    assert info.user_tasks["Task_DecideOnFurtherFraudCheck"].priority == "#{fraudScore}"
    assert info.called_elements == {"Task_0vu5yqs": "AuditProcess"}


# -- hand-written diagrams -----------------------------------------------------------------------

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs">\n'
)


def _diagram(body: str, *, before: str = "", process_attrs: str = 'isExecutable="true"') -> DocumentInfo:
    xml = f'{HEAD}{before}<bpmn:process id="proc" {process_attrs}>\n{body}\n</bpmn:process>\n</bpmn:definitions>\n'
    return inspect_document(parse_xml(xml.encode()))


def _ids(info: DocumentInfo) -> set[str | None]:
    return {p.element_id for p in info.problems}


def test_groovy_script_task_is_refused() -> None:
    info = _diagram(
        '<bpmn:scriptTask id="groovy" name="Bereken" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
    )
    (problem,) = info.problems
    assert problem.element_id == "groovy"
    assert problem.message == (
        "script task 'Bereken' uses scriptFormat 'groovy': only Python assignments in the safe subset are supported"
    )
    assert problem.line == 4


def test_python_script_task_with_a_safe_body_is_accepted() -> None:
    info = _diagram(
        '<bpmn:scriptTask id="py" scriptFormat="Python"><bpmn:script>total = 1 + 2</bpmn:script></bpmn:scriptTask>'
    )
    assert info.problems == (), _describe(info)


def test_python_script_task_with_an_unsafe_body_is_refused() -> None:
    info = _diagram(
        '<bpmn:scriptTask id="evil" scriptFormat="python"><bpmn:script>x = __import__("os").system("id")</bpmn:script></bpmn:scriptTask>'
    )
    assert _ids(info) == {"evil"}


def test_script_task_without_format_or_with_resource_is_refused() -> None:
    info = _diagram(
        '<bpmn:scriptTask id="none"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
        '<bpmn:scriptTask id="res" scriptFormat="python" camunda:resource="deployment://x.py"/>'
    )
    assert _ids(info) == {"none", "res"}


def test_java_delegate_is_refused() -> None:
    info = _diagram('<bpmn:serviceTask id="java" camunda:class="nl.example.Delegate"/>')
    (problem,) = info.problems
    assert problem.element_id == "java"
    assert "Java delegates are not supported" in problem.message


def test_plain_service_task_is_refused() -> None:
    info = _diagram('<bpmn:serviceTask id="plain" name="Doe iets"/>')
    (problem,) = info.problems
    assert problem.element_id == "plain"
    assert "service task has no implementation we can run" in problem.message


@pytest.mark.parametrize("condition", ["${''.__class__.__mro__}", "${__import__('os')}"])
def test_unsafe_conditions_are_refused(condition: str) -> None:
    info = _diagram(
        '<bpmn:exclusiveGateway id="gw"/><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="flow" sourceRef="gw" targetRef="end">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"><![CDATA[{condition}]]></bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
    )
    (problem,) = info.problems
    assert problem.element_id == "flow"
    assert condition in problem.message


def test_unsafe_assignee_and_property_are_refused() -> None:
    info = _diagram(
        '<bpmn:userTask id="task" camunda:assignee="${__import__(\'os\')}">'
        "<bpmn:extensionElements><camunda:properties>"
        '<camunda:property name="p" value="${\'\'.__class__.__mro__}"/>'
        "</camunda:properties></bpmn:extensionElements></bpmn:userTask>"
    )
    assert len(info.problems) == 2
    assert _ids(info) == {"task"}


def test_safe_expressions_are_accepted() -> None:
    info = _diagram(
        '<bpmn:userTask id="task" camunda:assignee="${klantmanager}" camunda:candidateGroups="gemeente, ${groep}" '
        'camunda:dueDate="2024-05-01T09:00:00Z" camunda:priority="50"/>'
        '<bpmn:exclusiveGateway id="gw"/><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="flow" sourceRef="gw" targetRef="end">'
        "<bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">${scenario == '1'}</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>"
    )
    assert info.problems == (), _describe(info)
    assert info.user_tasks["task"].candidate_groups == ("gemeente", "${groep}")


def test_condition_in_another_language_is_refused() -> None:
    info = _diagram(
        '<bpmn:exclusiveGateway id="gw"/><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="flow" sourceRef="gw" targetRef="end">'
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="groovy">x</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
    )
    (problem,) = info.problems
    assert problem.element_id == "flow" and "groovy" in problem.message


def test_timers_literals_and_expressions() -> None:
    ok = _diagram(
        '<bpmn:intermediateCatchEvent id="t1"><bpmn:timerEventDefinition><bpmn:timeDuration>P14D</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:intermediateCatchEvent id="t2"><bpmn:timerEventDefinition><bpmn:timeCycle>R5/P1D</bpmn:timeCycle>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:intermediateCatchEvent id="t3"><bpmn:timerEventDefinition><bpmn:timeDate>${verhuisdatum}</bpmn:timeDate>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    assert ok.problems == (), _describe(ok)
    bad = _diagram(
        '<bpmn:intermediateCatchEvent id="t1"><bpmn:timerEventDefinition><bpmn:timeDuration>P14X</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:intermediateCatchEvent id="t2"><bpmn:timerEventDefinition><bpmn:timeDate>${__import__("os")}</bpmn:timeDate>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    assert _ids(bad) == {"t1", "t2"}


def test_call_activity_mappings_are_checked() -> None:
    info = _diagram(
        '<bpmn:callActivity id="call" calledElement="kind"><bpmn:extensionElements>'
        '<camunda:in source="a" target="b"/><camunda:in sourceExpression="${__import__(\'os\')}" target="c"/>'
        "</bpmn:extensionElements></bpmn:callActivity>"
        '<bpmn:callActivity id="dynamic" calledElement="${welk}"/>'
        '<bpmn:callActivity id="unsafe" calledElement="${__import__(\'os\')}"/>'
    )
    # a calledElement expression is chosen when the activity starts: checked, not listed as a static call
    assert _ids(info) == {"call", "unsafe"}
    assert info.called_elements == {"call": "kind"}


def test_messages_must_be_declared() -> None:
    info = _diagram(
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="Message_1"/></bpmn:intermediateCatchEvent>'
        '<bpmn:intermediateCatchEvent id="missing"><bpmn:messageEventDefinition messageRef="Nope"/></bpmn:intermediateCatchEvent>'
        '<bpmn:intermediateCatchEvent id="unnamed"><bpmn:messageEventDefinition/></bpmn:intermediateCatchEvent>'
        '<bpmn:receiveTask id="receive" messageRef="Message_1"/>',
        before='<bpmn:message id="Message_1" name="huisvesting_gevonden"/>\n',
    )
    assert info.message_names == {"Message_1": "huisvesting_gevonden"}
    assert info.element_messages == {"wait": "huisvesting_gevonden", "receive": "huisvesting_gevonden"}
    assert _ids(info) == {"missing", "unnamed"}


def test_nested_lanes_use_the_innermost_name_and_subprocesses_inherit() -> None:
    info = _diagram(
        '<bpmn:laneSet id="ls"><bpmn:lane id="outer" name="Gemeente">'
        "<bpmn:flowNodeRef>a</bpmn:flowNodeRef><bpmn:flowNodeRef>sub</bpmn:flowNodeRef>"
        '<bpmn:childLaneSet id="cls"><bpmn:lane id="inner" name="Klantmanager"><bpmn:flowNodeRef>a</bpmn:flowNodeRef>'
        "</bpmn:lane></bpmn:childLaneSet></bpmn:lane>"
        '<bpmn:lane id="coa" name="COA"><bpmn:flowNodeRef>b</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>'
        '<bpmn:userTask id="a"/><bpmn:userTask id="b"/>'
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="subStart"/><bpmn:userTask id="c"/></bpmn:subProcess>'
    )
    assert info.problems == ()
    assert info.user_tasks["a"].lane == "Klantmanager"
    assert info.user_tasks["b"].lane == "COA"
    assert info.user_tasks["c"].lane == "Gemeente"
    assert info.user_tasks["c"].process_id == "proc"


def test_history_ttl_and_executable_processes() -> None:
    info = _diagram("", process_attrs='isExecutable="false" camunda:historyTimeToLive="180"')
    assert info.process_ids == ("proc",)
    assert info.executable_process_ids == ()
    assert info.history_ttl == {"proc": "180"}


def test_duplicate_ids_are_refused_and_start_is_a_usable_id() -> None:
    info = _diagram('<bpmn:startEvent id="Start"/><bpmn:userTask id="dup"/><bpmn:userTask id="dup"/>')
    assert _ids(info) == {"dup"}


def test_bad_form_fields_are_all_reported() -> None:
    info = _diagram(
        '<bpmn:userTask id="form"><bpmn:extensionElements><camunda:formData>'
        '<camunda:formField id="custom" type="nl.example.Custom"/>'
        '<camunda:formField id="keuze" type="enum"/>'
        '<camunda:formField id="tekst" type="string"/>'
        '<camunda:formField id="tekst" type="string"/>'
        '<camunda:formField id="patroon" type="string"><camunda:validation>'
        '<camunda:constraint name="pattern" config="[a-z]+"/></camunda:validation></camunda:formField>'
        '<camunda:formField id="lengte" type="string"><camunda:validation>'
        '<camunda:constraint name="maxlength" config="tien"/></camunda:validation></camunda:formField>'
        '<camunda:formField id="getal" type="long" defaultValue="veel"/>'
        '<camunda:formField id="ja" type="boolean" defaultValue="misschien"/>'
        '<camunda:formField id="dag" type="date" defaultValue="31-12-2024"/>'
        '<camunda:formField id="optie" type="enum" defaultValue="c"><camunda:value id="a" name="A"/></camunda:formField>'
        '<camunda:formField id="typename" type="string"/>'
        "</camunda:formData></bpmn:extensionElements></bpmn:userTask>"
    )
    fields = {p.field for p in info.problems}
    assert fields == {
        "custom",
        "keuze",
        "tekst",
        "patroon",
        "lengte",
        "getal",
        "ja",
        "dag",
        "optie",
        "typename",
    }
    assert _ids(info) == {"form"}
    assert all(p.line for p in info.problems)
    messages = _describe(info)
    assert "has type 'nl.example.Custom'" in messages
    assert "is an enum with no values" in messages
    assert "is defined twice" in messages
    assert "validation constraint 'pattern'" in messages


def test_good_form_fields_keep_their_constraints() -> None:
    info = _diagram(
        '<bpmn:userTask id="form"><bpmn:extensionElements><camunda:formData>'
        '<camunda:formField id="n" label="Aantal" type="long" defaultValue="3"><camunda:validation>'
        '<camunda:constraint name="min" config="0"/><camunda:constraint name="max" config="10"/>'
        '<camunda:constraint name="required"/></camunda:validation></camunda:formField>'
        '<camunda:formField id="d" type="date"><camunda:validation>'
        '<camunda:constraint name="min" config="2024-01-01"/></camunda:validation></camunda:formField>'
        '<camunda:formField id="b" type="boolean" defaultValue="true"/>'
        "</camunda:formData></bpmn:extensionElements></bpmn:userTask>"
    )
    assert info.problems == (), _describe(info)
    n, d, b = info.user_tasks["form"].form
    assert n.as_dict() == {
        "id": "n",
        "label": "Aantal",
        "type": "long",
        "required": True,
        "options": [],
        "constraints": {"min": 0, "max": 10},
        "default": 3,
    }
    assert d.constraints == {"min": "2024-01-01"} and d.label == "d"
    assert b.as_dict()["default"] is True


def test_form_ref_and_listeners_and_input_scripts_are_refused() -> None:
    info = _diagram(
        '<bpmn:userTask id="formref" camunda:formRef="someForm"/>'
        '<bpmn:userTask id="listener"><bpmn:extensionElements>'
        '<camunda:taskListener event="create" expression="${bean.call()}"/></bpmn:extensionElements></bpmn:userTask>'
        '<bpmn:userTask id="io"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="x">'
        '<camunda:script scriptFormat="groovy">execution.getVariable("x")</camunda:script></camunda:inputParameter></camunda:inputOutput>'
        "</bpmn:extensionElements></bpmn:userTask>"
    )
    assert _ids(info) == {"formref", "listener", "io"}


def test_external_service_task_runs_and_a_bad_one_says_why() -> None:
    assert _diagram('<bpmn:serviceTask id="ext" camunda:type="external" camunda:topic="mail"/>').ok
    info = _diagram('<bpmn:serviceTask id="ext" camunda:type="external" camunda:topic="${t}"/>')
    (problem,) = info.problems
    assert problem.element_id == "ext"
    assert "only fixed topics" in problem.message


def test_business_rule_task_needs_a_static_decision() -> None:
    info = _diagram(
        '<bpmn:businessRuleTask id="ok" camunda:decisionRef="Dish" camunda:resultVariable="r"/>'
        '<bpmn:businessRuleTask id="missing"/>'
        '<bpmn:businessRuleTask id="versioned" camunda:decisionRef="Dish" camunda:decisionRefBinding="version"/>'
    )
    assert _ids(info) == {"missing", "versioned"}


def test_element_names_and_lines() -> None:
    info = _diagram('<bpmn:userTask id="task" name="Brede intake"/>')
    assert info.element_names["task"] == "Brede intake"
    assert info.element_lines["task"] == 4
    assert info.element_lines["proc"] == 3
