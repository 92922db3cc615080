"""The pictures: rendered from the current .bpmn files, A4 landscape, no text under 9 pt, no label on a shape."""

from __future__ import annotations

import hashlib
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
TIMELINES = ("scenario_1", "scenario_2", "scenario_3", "overzicht")


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
def rendered(pictures: ModuleType) -> dict[str, str]:
    return pictures.render_all()


def test_the_timelines_are_drawn_from_the_current_diagrams(rendered: dict[str, str]) -> None:
    assert sorted(rendered) == sorted(f"tijdlijn_{n}.svg" for n in TIMELINES)
    for name, svg in rendered.items():
        assert (DIAGRAMS / name).read_text(encoding="utf-8") == svg, (
            f"{name} is stale: run `python tools/journey_pictures.py` and `node tools/render_diagrams.mjs`"
        )


def test_every_picture_is_rendered_from_the_current_sources() -> None:
    listed = dict(reversed(line.split()) for line in (DIAGRAMS / "SOURCES.sha256").read_text().splitlines())
    sources = [*FILES, *(DIAGRAMS / f"tijdlijn_{n}.svg" for n in TIMELINES)]
    current = {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sources}
    assert listed == current, "pictures out of step: run `node tools/render_diagrams.mjs`"
    for path in sources:
        assert (DIAGRAMS / f"{path.stem}.png").exists()


@pytest.mark.parametrize("name", TIMELINES)
def test_a4_landscape_and_no_text_under_9_pt(rendered: dict[str, str], name: str) -> None:
    svg = etree.fromstring(rendered[f"tijdlijn_{name}.svg"].encode())
    assert (svg.get("width"), svg.get("height"), svg.get("viewBox")) == ("297mm", "210mm", "0 0 842 595")
    texts = svg.findall("{http://www.w3.org/2000/svg}text")
    assert texts
    for text in texts:  # the viewBox is in points, so font-size is in pt on the printed page
        assert float(text.get("font-size")) >= 9, text.text
        assert 0 <= float(text.get("x")) <= 842 and 0 <= float(text.get("y")) <= 595, text.text


@pytest.mark.parametrize("name", ["scenario_1", "scenario_2", "scenario_3"])
def test_each_scenario_shows_its_parties_terms_and_contents(rendered: dict[str, str], name: str) -> None:
    svg = rendered[f"tijdlijn_{name}.svg"]
    for party in ("Vergunninghouder", "COA", "Gemeente"):
        assert f">{party}</text>" in svg
    for term in ("Week 0", "Week 2", "Week 12", "Verhuizing − 2 wk"):
        assert term in svg
    shown = set(re.findall(r">([^<]+)</text>", svg))
    assert any("Brede intake" in s for s in shown) and any("PIP" in s for s in shown)
    if name != "scenario_1":
        assert any("Programma volgen" in s for s in shown)  # voorinburgering is visible, not collapsed


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_label_overlaps_a_shape_or_another_label(labels: ModuleType, path: Path) -> None:
    assert labels.overlaps(path) == []


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
