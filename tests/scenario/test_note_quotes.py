"""The quotes in the diagrams' documentation are verbatim from the note, and bpmn/README.md is derived from them."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from scenario_support import ROOT


@pytest.fixture(scope="module")
def walk() -> ModuleType:
    spec = importlib.util.spec_from_file_location("note_walk", ROOT / "tools" / "note_walk.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["note_walk"] = module
    spec.loader.exec_module(module)
    return module


def test_every_quote_is_verbatim_in_the_note(walk: ModuleType) -> None:
    found = walk.quotes()
    assert len(found) > 60
    assert walk.not_in_note(found, walk.NOTE.read_text(encoding="utf-8")) == []


def test_a_quote_that_is_not_verbatim_is_reported(walk: ModuleType) -> None:
    note = walk.NOTE.read_text(encoding="utf-8")
    real = walk.Quote(
        "x.bpmn", "x", "Voorstel", "Na deze koppeling heeft die gemeente ongeveer twaalf weken de tijd"
    )
    changed = walk.Quote(
        "x.bpmn", "x", "Voorstel", "Na deze koppeling heeft het COA ongeveer twaalf weken de tijd"
    )
    assert walk.not_in_note([real, changed], note) == [changed]


def test_footnote_numbers_and_line_breaks_do_not_count(walk: ModuleType) -> None:
    note = walk.NOTE.read_text(encoding="utf-8")
    quote = walk.Quote(
        "x.bpmn", "x", "Bijlage I", "Gemeenten laten binnen 2 weken na afgifte van de melding via TVS weten"
    )
    assert walk.not_in_note([quote], note) == []


def test_every_element_that_quotes_the_note_is_in_the_readme_table(walk: ModuleType) -> None:
    assert walk.stale_parts(walk.README.read_text(encoding="utf-8")) == []
    readme = walk.README.read_text(encoding="utf-8")
    for quote in walk.quotes():
        assert f"`{quote.element_id}`" in readme


def test_a_stale_readme_table_is_detected(walk: ModuleType) -> None:
    readme = walk.README.read_text(encoding="utf-8")
    last_row = readme.split(walk.END)[0].rstrip("\n").rsplit("\n", 1)[1]
    assert last_row.startswith("| “")
    stale = readme.replace(last_row + "\n", "")
    assert "seed table" in walk.stale_parts(stale)


def test_design_choices_are_documented_as_such(walk: ModuleType) -> None:
    documented = {(c.file, c.element_id) for c in walk.choices()}
    # the additions the note does not make are marked, not passed off as quotes
    assert ("doorlopende_lijn.bpmn", "huisvesting_escaleren") in documented
    assert ("doorlopende_lijn.bpmn", "huisvesting_termijn_gemeld") in documented
    assert not [
        q for q in walk.quotes() if q.element_id in ("huisvesting_escaleren", "huisvesting_termijn_gemeld")
    ]


def test_the_written_walk_matches_the_files(walk: ModuleType) -> None:
    assert walk.walk_problems(walk.README.read_text(encoding="utf-8")) == []


def test_a_walk_naming_an_element_that_is_gone_is_stale(walk: ModuleType) -> None:
    readme = walk.README.read_text(encoding="utf-8")
    stale = readme.replace("`kennismaking_azc`", "`kennismaking_in_azc`")
    assert stale != readme
    problems = walk.walk_problems(stale)
    assert "the walk names `kennismaking_in_azc`, which no diagram has" in problems
    assert "the walk leaves out userTask `kennismaking_azc` (doorlopende_lijn.bpmn)" in problems


def test_a_walk_that_leaves_out_a_step_or_a_design_choice_is_incomplete(walk: ModuleType) -> None:
    readme = walk.README.read_text(encoding="utf-8")
    head, _, rest = readme.partition(walk.WALK_START)
    body, _, tail = rest.partition(walk.WALK_END)
    for element in ("`verhuisd_voor_keuze`", "`keuze_bij_verhuizing`", "`huisvesting_escaleren`"):
        body = body.replace(element, "(weggelaten)")
    problems = walk.walk_problems(head + walk.WALK_START + body + walk.WALK_END + tail)
    assert (
        "the walk leaves out intermediateCatchEvent `verhuisd_voor_keuze` (doorlopende_lijn.bpmn)" in problems
    )
    assert "the walk leaves out userTask `huisvesting_escaleren` (doorlopende_lijn.bpmn)" in problems
    assert (
        "the walk leaves out the design choice of `keuze_bij_verhuizing` (doorlopende_lijn.bpmn)" in problems
    )
