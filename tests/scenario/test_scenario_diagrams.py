"""The shipped diagrams as files: they deploy, lint clean, keep the contract ids and their pictures."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from lxml import etree
from scenario_support import BPMN_DIR, ROOT

from tests.timing import patience

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
FILES = sorted(BPMN_DIR.glob("*.bpmn"))


def _root(name: str) -> etree._Element:
    return etree.fromstring((BPMN_DIR / name).read_bytes())


def _by_id(root: etree._Element, element_id: str) -> etree._Element:
    (found,) = root.xpath(f"//*[@id='{element_id}']")
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_diagram_deploys_through_the_hardened_intake(path) -> None:
    definition = pytest.importorskip("engine.definition", reason="the engine is not there yet")
    library = definition.SpecLibrary()
    for other in FILES:  # called processes must be known to resolve call activities
        if other != path:
            library.add_document(other.name, other.read_bytes())
    library.add_document(path.name, path.read_bytes())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_saved_as_camunda_modeler_5_for_camunda_7(path) -> None:
    root = etree.fromstring(path.read_bytes())
    assert root.get("exporter") == "Camunda Modeler"
    assert root.get("exporterVersion", "").startswith("5.")
    assert root.get("{http://camunda.org/schema/modeler/1.0}executionPlatform") == "Camunda Platform"
    assert root.get("{http://camunda.org/schema/modeler/1.0}executionPlatformVersion", "").startswith("7.")
    processes = root.findall(f"{BPMN}process")
    assert processes and all(p.get("isExecutable") == "true" for p in processes)
    assert all(p.get(f"{CAMUNDA}historyTimeToLive") for p in processes)
    participants = root.findall(f"{BPMN}collaboration/{BPMN}participant")
    assert {p.get("processRef") for p in participants if p.get("processRef")} == {
        p.get("id") for p in processes
    }
    # the status holder is a party of every diagram: a collapsed pool with message flows to where they take part
    (holder,) = [p for p in participants if p.get("processRef") is None]
    assert holder.get("id") == "deelnemer_vergunninghouder" and holder.get("name").startswith(
        "Vergunninghouder"
    )
    assert root.findall(f"{BPMN}collaboration/{BPMN}messageFlow")
    flow_nodes = [
        e
        for p in processes
        for e in p.iter()
        if isinstance(e.tag, str)
        and e.get("id")
        and e.tag.startswith(BPMN)
        and e.tag[len(BPMN) :] not in ("laneSet", "documentation", "text", "sequenceFlow")
        and not e.tag.endswith("EventDefinition")
        and not e.tag.endswith("Expression")
    ]
    undocumented = [
        e.get("id")
        for e in flow_nodes
        if e.tag != f"{BPMN}textAnnotation"
        and e.tag != f"{BPMN}association"
        and not (e.findtext(f"{BPMN}documentation") or "").strip()
    ]
    assert undocumented == []
    for task in root.iter(f"{BPMN}userTask"):
        assert task.find(f"{BPMN}extensionElements/{CAMUNDA}formData") is not None, task.get("id")
        assert task.get(f"{CAMUNDA}candidateGroups") in ("gemeente", "coa")
    for script in root.iter(f"{BPMN}scriptTask"):
        assert script.get("scriptFormat") == "python"
    for gateway in root.iter(f"{BPMN}exclusiveGateway", f"{BPMN}parallelGateway"):
        splits = len(gateway.findall(f"{BPMN}outgoing")) > 1
        assert not splits or (gateway.get("name") or "").strip(), (
            f"splitting gateway {gateway.get('id')} has no name"
        )


def test_contract_ids() -> None:
    main = _root("doorlopende_lijn.bpmn")
    assert main.find(f"{BPMN}process").get("id") == "doorlopende_lijn"
    lanes = {
        lane.get("name"): {r.text for r in lane.findall(f"{BPMN}flowNodeRef")}
        for lane in main.iter(f"{BPMN}lane")
    }
    assert {"scenario_kiezen", "driegesprek", "huisvesting_afwachten", "huisvesting_escaleren"} <= lanes[
        "Gemeente"
    ]
    assert {"voorinburgering", "overdracht_plannen_coa"} <= lanes["COA"]
    assert "overdracht_plannen" in lanes["Gemeente"]
    options = [
        v.get("id")
        for v in _by_id(main, "scenario_kiezen").iter(f"{CAMUNDA}value")
        if v.getparent().get("id") == "scenario"
    ]
    assert options == ["1", "2", "3"]
    timer = _by_id(main, "termijn_scenariokeuze")
    assert timer.get("attachedToRef") == "scenario_kiezen" and timer.get("cancelActivity") != "false"
    # every term counts from the koppeldatum, not from the instance's start
    in_two_weeks = "${dateTime(koppeldatum).plusDays(14).toDate()}"
    assert timer.findtext(f".//{BPMN}timeDate") == in_two_weeks
    assert _by_id(main, "scenario_kiezen").get(f"{CAMUNDA}dueDate") == in_two_weeks
    assert _by_id(main, "start_voorinburgering").findtext(f".//{BPMN}timeDate") == in_two_weeks
    housing = _by_id(main, "termijn_huisvesting")
    assert housing.get("cancelActivity") == "false"
    assert housing.findtext(f".//{BPMN}timeDate") == "${dateTime(koppeldatum).plusWeeks(12).toDate()}"
    assert not main.xpath("//bpmn:timeDuration", namespaces={"bpmn": BPMN[1:-1]})
    for planning in ("overdracht_plannen", "overdracht_plannen_coa"):
        assert (
            _by_id(main, planning).get(f"{CAMUNDA}dueDate")
            == "${dateTime(verhuisdatum).minusWeeks(2).toDate()}"
        )
    assert (
        _by_id(main, "driegesprek_plannen").findtext(f".//{BPMN}timeDate")
        == "${dateTime(verhuisdatum).minusWeeks(2).toDate()}"
    )
    assert _by_id(main, "voorinburgering").tag == f"{BPMN}callActivity"
    messages = {m.get("name") for m in main.iter(f"{BPMN}message")}
    assert {"huisvesting_gevonden", "verhuisd", "klantprofiel_gedeeld", "scenario_vastgesteld"} <= messages
    for name in ("scenario_1.bpmn", "scenario_2.bpmn", "scenario_3.bpmn"):
        root = _root(name)
        assert root.xpath("//*[@id='brede_intake']") and root.xpath("//*[@id='pip_opstellen']")
        leerroute = [v.get("id") for v in _by_id(root, "pip_opstellen").iter(f"{CAMUNDA}value")]
        assert leerroute == ["b1", "onderwijs", "z"]


def test_only_the_programme_and_its_timer_are_named_after_voorinburgering() -> None:
    ids = [
        i
        for path in FILES
        for i in etree.fromstring(path.read_bytes()).xpath("//bpmn:*/@id", namespaces={"bpmn": BPMN[1:-1]})
    ]
    assert sorted(i for i in ids if "voorinburgering" in i) == ["start_voorinburgering", "voorinburgering"]
    assert not {"Start", "End"} & set(ids)


def test_nothing_in_the_diagrams_throws_a_signal() -> None:
    """Signals reach every instance in Camunda 7: the diagrams coordinate inside one instance without them."""
    for path in FILES:
        assert not etree.fromstring(path.read_bytes()).xpath(
            "//bpmn:signalEventDefinition", namespaces={"bpmn": BPMN[1:-1]}
        ), path.name


def test_readme_names_every_diagram_and_its_pictures() -> None:
    readme = (BPMN_DIR / "README.md").read_text(encoding="utf-8")
    for path in FILES:
        assert path.name in readme
        assert f"docs/diagrams/{path.stem}.png" in readme
    table = re.search(r"seed-table:start.*?\n(.*)<!-- seed-table:end", readme, re.S)
    assert table and table.group(1).count("\n|") >= 20


def test_bpmn_moddle_reports_no_warnings() -> None:
    if not (ROOT / "node_modules" / "bpmn-moddle").exists() or shutil.which("node") is None:
        pytest.skip("node_modules is not installed (run `npm ci`); `make lint` runs this check too")
    files = [str(p.relative_to(ROOT)) for p in FILES]
    run = subprocess.run(
        ["node", "tools/check_moddle.mjs", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=patience(120),
    )
    assert run.returncode == 0, run.stdout + run.stderr
