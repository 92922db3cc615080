"""The pictures: rendered from the current .bpmn files, A4 landscape, no text under 9 pt, no label on a shape."""

from __future__ import annotations

import hashlib
import html
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from lxml import etree
from scenario_support import BPMN_DIR, ROOT

DIAGRAMS = ROOT / "docs" / "diagrams"
FILES = sorted(BPMN_DIR.glob("*.bpmn"))
PATHS = (
    "scenario_1",
    "scenario_2",
    "scenario_3",
    "pad_later_scenario_2",
    "pad_woning_voor_keuze",
    "pad_voorinburgering_afgewezen",
    "pad_geen_woning_na_12_weken",
)
TIMELINES = (*PATHS, "overzicht")


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pictures() -> ModuleType:
    return _tool("journey_pictures")


@pytest.fixture(scope="module")
def labels() -> ModuleType:
    return _tool("label_check")


@pytest.fixture(scope="module")
def printing() -> ModuleType:
    return _tool("print_check")


@pytest.fixture(scope="module")
def rendered(pictures: ModuleType) -> dict[str, str]:
    return pictures.render_all()


def test_the_timelines_are_drawn_from_the_current_diagrams(rendered: dict[str, str]) -> None:
    assert sorted(rendered) == sorted(f"tijdlijn_{n}.svg" for n in TIMELINES)
    for name, svg in rendered.items():
        assert (DIAGRAMS / name).read_text(encoding="utf-8") == svg, f"{name} is stale: run `make pictures`"


def _pinned() -> dict[str, str]:
    return {
        path: digest
        for digest, path in (line.split() for line in (DIAGRAMS / "SOURCES.sha256").read_text().splitlines())
    }


def test_every_picture_is_pinned_to_the_sources_it_was_drawn_from() -> None:
    """SOURCES.sha256 holds the sha256 of every .bpmn file and timeline SVG the pictures were drawn from,
    and of every picture written: a changed diagram, a missing or hand-edited picture fails here."""
    pinned = _pinned()
    sources = [*FILES, *(DIAGRAMS / f"tijdlijn_{n}.svg" for n in TIMELINES)]
    pictures = [p for p in DIAGRAMS.rglob("*") if p.is_file() and p.name != "SOURCES.sha256"]
    stale = sorted(
        str(p.relative_to(ROOT))
        for p in [*sources, *pictures]
        if pinned.get(str(p.relative_to(ROOT))) != hashlib.sha256(p.read_bytes()).hexdigest()
    )
    assert stale == [], f"pictures out of step with {stale}: run `make pictures`"
    missing = sorted(p for p in pinned if not (ROOT / p).exists())
    assert missing == [], f"pictures missing: {missing}: run `make pictures`"


def _printable() -> list[Path]:
    return sorted([*DIAGRAMS.glob("tijdlijn_*.svg"), *(DIAGRAMS / "print").glob("*.svg")])


def test_the_only_pictures_not_for_print_are_the_full_diagrams() -> None:
    """Every SVG is an A4 page, except the whole diagram at full size (for designers, on screen)."""
    on_screen = {p.name for p in DIAGRAMS.glob("*.svg")} - {p.name for p in _printable()}
    assert on_screen == {f"{p.stem}.svg" for p in FILES}


@pytest.mark.parametrize("path", _printable(), ids=lambda p: p.name)
def test_every_printed_page_is_a4_landscape_with_no_text_under_9_pt(printing: ModuleType, path: Path) -> None:
    assert printing.problems(path) == []
    assert printing.text_overlaps(path) == []  # the texts we place ourselves: titles, bars, marks


def test_the_overlap_check_finds_texts_on_top_of_each_other(printing: ModuleType, tmp_path: Path) -> None:
    page = _page(
        '<text x="100" y="100" font-size="10">Welk scenario? → Scenario 2</text>'
        '<text x="150" y="104" font-size="10">Klantprofiel: na-koppeling</text>'
        '<text x="100" y="130" font-size="10">Woning gevonden</text>'
    )
    (tmp_path / "page.svg").write_text(page, encoding="utf-8")
    assert printing.text_overlaps(tmp_path / "page.svg") == [
        "page.svg: 'Welk scenario? → Scenario 2' and 'Klantprofiel: na-koppeling' overlap"
    ]


def _tiles(path: Path) -> list[tuple[float, float, float, float]]:
    """The parts of the diagram a printed page shows: the viewBox of its nested viewport(s)."""
    root = etree.parse(str(path)).getroot()
    return [
        tuple(float(v) for v in svg.get("viewBox").split())  # type: ignore[misc]
        for svg in root.iter("{http://www.w3.org/2000/svg}svg")
        if svg is not root
    ]


@pytest.mark.parametrize("source", FILES, ids=lambda p: p.name)
def test_the_printed_pages_show_every_shape_and_label_whole(labels: ModuleType, source: Path) -> None:
    pages = sorted((DIAGRAMS / "print").glob(f"{source.stem}-*.svg"))
    tiles = [t for p in pages if not p.name.endswith("-00.svg") for t in _tiles(p)]
    assert tiles, f"no printed pages of {source.name}"
    if len(pages) > 1:
        assert pages[0].name == f"{source.stem}-00.svg"  # the map of the pages comes first
    shapes, label_boxes = labels.boxes(source)
    for box in [*(s for s in shapes if s.kind not in labels.CONTAINERS), *label_boxes]:
        assert any(
            x <= box.x and y <= box.y and box.x + box.w <= x + w and box.y + box.h <= y + h
            for x, y, w, h in tiles
        ), f"{box.kind} {box.owner} of {source.name} is not whole on any printed page"


@pytest.mark.parametrize("source", FILES, ids=lambda p: p.name)
def test_each_diagram_prints_as_one_pdf_of_its_pages(source: Path) -> None:
    pdf = (DIAGRAMS / "print" / f"{source.stem}.pdf").read_bytes()
    pages = sorted((DIAGRAMS / "print").glob(f"{source.stem}-*.svg"))
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == len(pages)
    for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf):
        x0, y0, x1, y1 = (float(v) for v in box.split())
        assert abs(x1 - x0 - 841.89) < 1.5 and abs(y1 - y0 - 595.28) < 1.5


def _page(body: str, width: str = "297mm", height: str = "210mm") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 842 595">'
        f"{body}</svg>"
    )


def test_the_print_check_measures_text_as_it_lands_on_paper(printing: ModuleType, tmp_path: Path) -> None:
    cases = {
        "plain.svg": (_page('<text x="10" y="20" font-size="10">Ja</text>'), []),
        "small.svg": (_page('<text x="10" y="20" font-size="8.5">Nee</text>'), ["'Nee' is 8.50 pt"]),
        # a bpmn-js label at 12 px inside a tile scaled to half its size: 6 pt on paper
        "tile.svg": (
            _page(
                '<svg x="20" y="40" width="400" height="300" viewBox="0 0 800 600">'
                '<g transform="matrix(1 0 0 1 100 100)"><text style="font-size: 12px"><tspan x="0" y="10">Taak'
                "</tspan></text></g></svg>"
            ),
            ["'Taak' is 6.00 pt"],
        ),
        "rotated.svg": (
            _page(
                '<g font-size="8"><text transform="rotate(-90 100 100) scale(1.25)" x="100" y="100">Lane</text></g>'
            ),
            [],
        ),
        "portrait.svg": (
            _page('<text x="10" y="20" font-size="10">Ja</text>', "210mm", "297mm"),
            ["not A4", "'Ja' is 7.07 pt"],
        ),
    }
    for name, (svg, expected) in cases.items():
        (tmp_path / name).write_text(svg, encoding="utf-8")
        found = printing.problems(tmp_path / name)
        assert len(found) == len(expected) and all(e in f for e, f in zip(expected, found, strict=True)), (
            name,
            found,
        )


def _shown(svg: str) -> set[str]:
    return {html.unescape(t) for t in re.findall(r">([^<]+)</text>", svg)}


@pytest.mark.parametrize("name", PATHS)
def test_each_timeline_shows_its_parties_terms_and_contents(rendered: dict[str, str], name: str) -> None:
    shown = _shown(rendered[f"tijdlijn_{name}.svg"])
    assert {"Vergunninghouder", "COA", "Gemeente"} <= shown
    for term in ("Week 0", "Week 2", "Week 12", "Verhuizing − 2 wk"):
        assert any(s.startswith(term) for s in shown), term
    assert any("Brede intake" in s for s in shown) and any("PIP" in s for s in shown)
    if name != "scenario_1":
        assert any("Programma volgen" in s for s in shown) or name == "pad_voorinburgering_afgewezen"


def _decision(model: object, gateway: str, target: str) -> str:
    question = model.questions[gateway][0]  # type: ignore[attr-defined]
    return f"{question} → {model.flows[(gateway, target)]}"  # type: ignore[attr-defined]


def _term(model: object, timer: str) -> str:
    name, then = model.terms[timer]  # type: ignore[attr-defined]
    return f"{name} → {then}"


def test_the_decision_moments_and_terms_are_drawn_from_the_diagrams(
    pictures: ModuleType, rendered: dict[str, str]
) -> None:
    """Each path shows the decisions it passes (the gateway's question and the flow taken, as named in
    the files) and the terms that ran out (the timer's name and the element it leads to)."""
    model = pictures.read_model()
    expected = {
        "scenario_1": [_decision(model, "kies_gemeentetraject", "splits_snelle_start")],
        "scenario_2": [
            _decision(model, "kies_gemeentetraject", "splits_gecombineerd"),
            _decision(model, "driegesprek_eerst", "samenvoegen_driegesprek"),
            _decision(model, "deelname_gekozen", "programma_volgen"),
            _term(model, "start_voorinburgering"),
            _term(model, "driegesprek_plannen"),
        ],
        "scenario_3": [
            _term(model, "termijn_scenariokeuze"),
            _decision(model, "kies_gemeentetraject", "splits_scenario_3"),
        ],
        "pad_later_scenario_2": [
            _decision(model, "kies_gemeentetraject", "splits_scenario_3"),
            _decision(model, "verblijf_afgelopen", "scenario_opnieuw_vastgesteld"),
            _decision(model, "kies_gemeentetraject", "splits_gecombineerd"),
        ],
        "pad_woning_voor_keuze": [_decision(model, "overdracht_nodig", "splits_planning")],
        "pad_voorinburgering_afgewezen": [_decision(model, "deelname_gekozen", "deelname_geweigerd")],
        "pad_geen_woning_na_12_weken": [
            _term(model, "termijn_huisvesting"),
            model.names["huisvesting_escaleren"],
        ],
    }
    for name, texts in expected.items():
        shown = _shown(rendered[f"tijdlijn_{name}.svg"])
        missing = [t for t in texts if not any(s == t or s.startswith(f"{t} (") for s in shown)]
        assert missing == [], f"tijdlijn_{name}.svg does not show {missing}"
    questions = {q for q, _reads in model.questions.values()}
    for name in PATHS:
        for text in _shown(rendered[f"tijdlijn_{name}.svg"]):
            if " → " in text and text not in pictures.LEGEND and not text.startswith(("2 weken", "12 weken")):
                assert text.split(" → ")[0] in questions, text  # no decision that is not in a diagram


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_label_overlaps_a_shape_or_a_label_or_a_flow_and_no_shape_leaves_its_lane(
    labels: ModuleType, path: Path
) -> None:
    assert labels.problems(path, flows=True) == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_text_of_a_task_leaves_its_shape_or_runs_into_its_marker(printing: ModuleType, path: Path) -> None:
    """Measured on the drawing bpmn-js made of the file (pinned to it by SOURCES.sha256)."""
    assert printing.text_outside_shapes(DIAGRAMS / f"{path.stem}.svg") == []


def test_the_routing_check_finds_a_flow_through_a_shape_and_a_label_away_from_its_flow(
    labels: ModuleType, tmp_path: Path
) -> None:
    text = (BPMN_DIR / "voorinburgering.bpmn").read_text(encoding="utf-8")
    assert labels.problems(BPMN_DIR / "voorinburgering.bpmn", flows=True) == []
    flows = dict(labels.edges(BPMN_DIR / "voorinburgering.bpmn"))
    (ax, ay), (bx, by) = flows["Flow_deelname_gekozen__programma_volgen"][-2:]
    # the task of a declined offer dragged onto the middle of the accepted branch
    bad = re.sub(
        r'(bpmnElement="deelname_geweigerd">\s*)<dc:Bounds [^>]*>',
        lambda m: (
            m.group(1) + f'<dc:Bounds x="{(ax + bx) / 2 - 5:g}" y="{ay - 5:g}" width="10" height="10" />'
        ),
        text,
        count=1,
    )
    # the label of the "Geaccepteerd" branch dragged far from it
    bad = re.sub(
        r'(bpmnElement="Flow_deelname_gekozen__programma_volgen">(?:(?!</bpmndi:BPMNEdge>).)*?<dc:Bounds )x="[^"]*"',
        r'\1x="2000"',
        bad,
        count=1,
        flags=re.S,
    )
    (tmp_path / "voorinburgering.bpmn").write_text(bad, encoding="utf-8")
    found = labels.problems(tmp_path / "voorinburgering.bpmn", flows=True)
    assert any(
        "Flow_deelname_gekozen__programma_volgen runs through scriptTask deelname_geweigerd" in p
        for p in found
    )
    assert any("Flow_deelname_gekozen__programma_volgen is not next to its own flow" in p for p in found)
    assert not any(
        labels.ROUTING.search(p) for p in labels.problems(tmp_path / "voorinburgering.bpmn", flows=False)
    )


def test_the_label_check_finds_a_flow_through_a_label_and_a_task_across_a_lane_border(
    labels: ModuleType, tmp_path: Path
) -> None:
    text = (BPMN_DIR / "voorinburgering.bpmn").read_text(encoding="utf-8")
    flows = dict(labels.edges(BPMN_DIR / "voorinburgering.bpmn"))
    (ax, ay), (bx, by) = flows["Flow_deelname_gekozen__programma_volgen"][-2:]
    mx, my = (ax + bx) / 2, (ay + by) / 2
    # the gateway's label dragged onto the middle of its own outgoing flow
    bad = re.sub(
        r'(bpmnElement="deelname_gekozen"[^>]*>(?:(?!</bpmndi:BPMNShape>).)*?<bpmndi:BPMNLabel>\s*)<dc:Bounds [^>]*>',
        lambda m: m.group(1) + f'<dc:Bounds x="{mx - 20:g}" y="{my - 7:g}" width="40" height="14" />',
        text,
        count=1,
        flags=re.S,
    )
    assert bad != text
    (tmp_path / "voorinburgering.bpmn").write_text(bad, encoding="utf-8")
    assert any(
        "runs through the label of deelname_gekozen" in p
        for p in labels.crossings(tmp_path / "voorinburgering.bpmn")
    )
    lane = re.search(r'bpmnElement="aanbod_programma">\s*<dc:Bounds x="([\d.]+)" y="([\d.]+)"', text)
    assert lane
    moved = text.replace(lane.group(0), lane.group(0).replace(f'y="{lane.group(2)}"', 'y="-500"'))
    (tmp_path / "voorinburgering.bpmn").write_text(moved, encoding="utf-8")
    assert any("aanbod_programma" in p for p in labels.outside_lanes(tmp_path / "voorinburgering.bpmn"))


def test_the_label_check_finds_a_label_on_a_shape(labels: ModuleType, tmp_path: Path) -> None:
    text = (BPMN_DIR / "voorinburgering.bpmn").read_text(encoding="utf-8")
    bad = text.replace(
        '<dc:Bounds x="664" y="290" width="92" height="14" />',
        '<dc:Bounds x="560" y="230" width="92" height="14" />',
    )
    assert bad != text
    (tmp_path / "voorinburgering.bpmn").write_text(bad, encoding="utf-8")
    assert labels.overlaps(tmp_path / "voorinburgering.bpmn") == [
        "voorinburgering.bpmn: label of deelname_gekozen overlaps userTask aanbod_programma"
    ]
