"""Timeline pictures of the doorlopende lijn on A4 landscape: one per scenario, one per other path
the note allows (a later switch, a woning before the choice, voorinburgering declined, no woning in
twelve weeks) and an overview.

Drawn from the .bpmn files themselves: a case runs through the engine on a manual clock, and every
task it opens (name, lane and due date from the diagrams), every decision it passes (the gateway's
question and the flow taken, as named in the diagrams), every term (the timers, with the element
they lead to) and every klantprofiel moment is placed on a time axis from the koppeling, in a band
per party. Only the case's inputs are written here (which day what happens); everything drawn comes
out of the run. Text is at least 9 pt on the A4 page, so the pictures print and read at 100%.

    python tools/journey_pictures.py            # writes docs/diagrams/tijdlijn_*.svg
    python tools/journey_pictures.py --check    # exit 1 when a picture differs from the files
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

import engine.runtime  # noqa: E402
from engine.clock import LOCAL_ZONE, ManualClock  # noqa: E402
from engine.definition import SpecLibrary  # noqa: E402
from engine.runtime import Runtime  # noqa: E402

OUT = ROOT / "docs" / "diagrams"
KOPPELDATUM = date(2027, 1, 4)
START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
VERHUISDATUM = KOPPELDATUM + timedelta(weeks=12)
WONING = 56  # day the woning is found: week 8
PAGE_W, PAGE_H = 842.0, 595.0  # A4 landscape in pt
FONT = 9.5  # pt; nothing smaller is drawn
LEFT, RIGHT = 92.0, 18.0
LANES = ("Vergunninghouder", "COA", "Gemeente")
COLOURS = {"Vergunninghouder": "#fdf6e3", "COA": "#eef5fb", "Gemeente": "#eef8ee"}

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}
WORDS = {"or", "and", "not", "true", "false", "null", "None", "True", "False"}


@dataclass(frozen=True)
class Model:
    """What the pictures need to know of the .bpmn files: names, lanes, questions, terms."""

    names: dict[str, str]
    lanes: dict[str, str]
    flows: dict[tuple[str, str], str]  # (gateway, next element) -> name of the flow
    questions: dict[str, tuple[str, frozenset[str]]]  # gateway -> (its name, variables its flows read)
    terms: dict[str, tuple[str, str]]  # timer -> (its name, name of the element it leads to)
    fields: frozenset[str]  # every form field a person fills in
    participation: dict[str, str]  # element -> name of the status holder's message flow to it


def read_model() -> Model:
    names: dict[str, str] = {}
    lanes: dict[str, str] = {}
    flows: dict[tuple[str, str], str] = {}
    questions: dict[str, tuple[str, frozenset[str]]] = {}
    terms: dict[str, tuple[str, str]] = {}
    fields: set[str] = set()
    participation: dict[str, str] = {}
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        by_id = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
        names.update({i: " ".join(e.get("name", "").split()) for i, e in by_id.items() if e.get("name")})
        fields.update(f.get("id") for f in root.iterfind(".//camunda:formField", NS))
        for lane in root.iterfind(".//bpmn:lane", NS):
            for ref in lane.iterfind("bpmn:flowNodeRef", NS):
                lanes[ref.text] = lane.get("name")
                holder = by_id.get(ref.text)
                if holder is not None and etree.QName(holder).localname == "subProcess":
                    for inner in holder.iter():
                        if isinstance(inner.tag, str) and inner.get("id"):
                            lanes.setdefault(inner.get("id"), lane.get("name"))
        outside = {p.get("id") for p in root.iterfind(".//bpmn:participant", NS) if not p.get("processRef")}
        for message in root.iterfind(".//bpmn:messageFlow", NS):
            if message.get("sourceRef") in outside and message.get("name"):
                participation[message.get("targetRef")] = message.get("name")
        outgoing: dict[str, list[etree._Element]] = {}
        for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
            if flow.get("name"):
                flows[(flow.get("sourceRef"), flow.get("targetRef"))] = flow.get("name")
        for gateway in root.iterfind(".//bpmn:exclusiveGateway", NS):
            if gateway.get("name") and len(outgoing.get(gateway.get("id"), [])) > 1:
                conditions = " ".join(
                    f.findtext("bpmn:conditionExpression", default="", namespaces=NS)
                    for f in outgoing[gateway.get("id")]
                )
                read = set(re.findall(r"\b([A-Za-z_]\w*)\b", re.sub(r"'[^']*'", "", conditions))) - WORDS
                questions[gateway.get("id")] = (gateway.get("name"), frozenset(read))
        for timer in root.iterfind(".//bpmn:timerEventDefinition", NS):
            event = timer.getparent()
            then = [f.get("targetRef") for f in outgoing.get(event.get("id"), [])]
            follow = by_id[then[0]].get("name", "") if then else ""
            terms[event.get("id")] = (event.get("name", ""), follow)
    return Model(names, lanes, flows, questions, terms, frozenset(fields), participation)


# Every gateway the engine passes in a step, in order: (gateway, the elements it continued to).
# SpiffWorkflow reports each completed task to the engine's step; while a case of the pictures takes
# a step, the pictures listen in (and only then).
PASSED: list[tuple[str, list[str]]] = []


@contextmanager
def _listening() -> Iterator[None]:
    original = engine.runtime._Step.did_complete

    def listen(step: Any, task: Any) -> None:
        spec = task.task_spec
        if type(spec).__name__.endswith("Gateway") and getattr(spec, "bpmn_id", None):
            PASSED.append((spec.bpmn_id, [c.task_spec.bpmn_id for c in task.children if c.task_spec.bpmn_id]))
        original(step, task)

    engine.runtime._Step.did_complete = listen  # type: ignore[method-assign]
    try:
        yield
    finally:
        engine.runtime._Step.did_complete = original  # type: ignore[method-assign]


# Values a caseworker enters, per form field; the journey fills required fields from these.
VALUES: dict[str, Any] = {
    "deelname": "geaccepteerd",
    "leerroute": "b1",
    "begeleidingNodig": False,
    "taalniveau": "a1",
}


@dataclass
class Bar:
    element_id: str
    name: str
    lane: str
    start: float
    end: float | None = None
    due: float | None = None


@dataclass
class Mark:
    lane: str
    day: float
    text: str
    kind: str = "event"  # event (a klantprofiel moment, a message), decision, term, term-lapsed


@dataclass
class Story:
    title: str
    subtitle: str
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    move_day: float = (VERHUISDATUM - KOPPELDATUM).days
    terms: dict[str, float] = field(default_factory=dict)  # timer -> day it is due
    fired: set[str] = field(default_factory=set)


def _library() -> SpecLibrary:
    library = SpecLibrary()
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        library.add_document(path.name, path.read_bytes())
    return library


def _day(n: float) -> datetime:
    local = START.astimezone(LOCAL_ZONE).replace(tzinfo=None) + timedelta(days=int(n))
    return local.replace(tzinfo=LOCAL_ZONE).astimezone(UTC) + timedelta(days=n - int(n))


class Run:
    """Drives one case and records what a reader of the picture needs."""

    def __init__(self, library: SpecLibrary, model: Model, title: str, subtitle: str) -> None:
        self.clock = ManualClock(START)
        self.runtime = Runtime(library, self.clock)
        self.model = model
        self.story = Story(title, subtitle)
        self.open: dict[str, Bar] = {}
        PASSED.clear()
        with _listening():
            started = self.runtime.start(
                "doorlopende_lijn",
                business_key="V0000001",
                variables={"gemeente": "GM0344", "azc": "AZC-ZST", "koppeldatum": KOPPELDATUM.isoformat()},
            )
        self.result = self._record(started)

    def now(self) -> float:
        return (self.clock.now() - START).total_seconds() / 86400

    @staticmethod
    def _days(at: datetime) -> float:
        """A due time as the day (from the koppeldatum, Amsterdam calendar) it falls on."""
        return float((at.astimezone(LOCAL_ZONE).date() - KOPPELDATUM).days)

    def _changed(self, result: Any) -> frozenset[str]:
        before = self.result.variables
        return frozenset(k for k, v in result.variables.items() if before.get(k) != v)

    def _record(self, result: Any, answered: frozenset[str] = frozenset()) -> Any:
        """Note what the step did. ``answered``: the variables a person or a term just set; a gateway
        whose flows read one of them is a decision moment (routing on other data is not)."""
        day = self.now()
        asked: set[str] = set()
        for gateway, targets in PASSED:
            question = self.model.questions.get(gateway)
            if question is None or not (question[1] & answered) or question[1] <= asked:
                continue
            asked |= question[1]
            answer = ", ".join(
                self.model.flows.get((gateway, t), self.model.names.get(t, t)) for t in targets
            )
            lane = self.model.lanes.get(gateway, "Gemeente")
            self.story.marks.append(Mark(lane, day, f"{question[0]} → {answer}", "decision"))
        PASSED.clear()
        for timer in result.timers:
            if timer.element_id in self.model.terms:
                self.story.terms[timer.element_id] = self._days(timer.due_at)
        current = {t.element_id for t in result.open_tasks}
        for task in result.open_tasks:
            if task.element_id not in self.open:
                due = self._days(task.due_at) if task.due_at else None
                bar = Bar(task.element_id, task.name, task.lane or "", day, due=due)
                self.open[task.element_id] = bar
                self.story.bars.append(bar)
        for element_id in [e for e in self.open if e not in current]:
            self.open.pop(element_id).end = day
        for event in result.events:
            if event.type == "klantprofiel-gedeeld":
                self.story.marks.append(Mark("COA", day, f"Klantprofiel: {event.data['moment']}"))
            elif event.type == "termijn-verstreken" and event.element_id in self.model.terms:
                self.story.fired.add(event.element_id)
        return result

    def at(self, day: float) -> None:
        if _day(day) > self.clock.now():
            self.clock.set(_day(day))
        with _listening():
            result = self.runtime.fire_due_timers(self.result.state)
        self.result = self._record(result, self._changed(result))

    def complete(self, day: float, element_id: str, **values: Any) -> None:
        self.at(day)
        task = self.result.task(element_id)
        data: dict[str, Any] = {}
        for f in task.form:
            if f.readonly:
                continue
            if f.id in values:
                data[f.id] = values[f.id]
            elif f.required and f.default is None:
                data[f.id] = VALUES[f.id] if f.id in VALUES else self._value(f)
        with _listening():
            result = self.runtime.complete_task(self.result.state, task.id, data)
        self.result = self._record(result, frozenset(f.id for f in task.form) | self._changed(result))

    def _value(self, f: Any) -> Any:
        if f.options:
            return f.options[0][0]
        if f.type == "date":
            return self.clock.now().astimezone(LOCAL_ZONE).date().isoformat()
        if f.type == "boolean":
            return True
        if f.type == "long":
            return 1
        return "Vastgelegd"

    def message(self, day: float, name: str, **variables: Any) -> None:
        self.at(day)
        with _listening():
            result = self.runtime.correlate(self.result.state, name, variables)
        self.result = self._record(result)
        self.story.marks.append(
            Mark(
                "Gemeente" if name == "huisvesting_gevonden" else "COA",
                day,
                {"huisvesting_gevonden": "Woning gevonden", "verhuisd": "Verhuisd"}[name],
            )
        )


def _housing(run: Run, *, driegesprek: bool, woning: float = WONING) -> None:
    run.message(woning, "huisvesting_gevonden", verhuisdatum=VERHUISDATUM.isoformat())
    if driegesprek:
        _plan(run, woning)
        run.complete(run.story.move_day - 12, "driegesprek")


def _plan(run: Run, woning: float) -> None:
    run.complete(
        woning + 5, "overdracht_plannen_coa", vergunninghouderGeinformeerd=True, klantprofielBijgewerkt=True
    )
    run.complete(woning + 7, "overdracht_plannen")


def _after_move_3(run: Run, move: float) -> None:
    run.message(move, "verhuisd", datum=(KOPPELDATUM + timedelta(days=move)).isoformat())
    run.complete(move + 10, "brede_intake")
    run.complete(move + 24, "pip_opstellen")
    run.complete(move + 30, "reguliere_inburgering_starten")


def stories(library: SpecLibrary) -> dict[str, Story]:
    """The cases drawn: which day what happens is written here; what the model does comes from the run."""
    model = read_model()
    move = (VERHUISDATUM - KOPPELDATUM).days
    s1 = Run(
        library,
        model,
        "Scenario 1: snelle start, al vóór huisvesting",
        "Gemeente kiest op dag 5; woning in week 8, verhuizing in week 12",
    )
    s1.complete(5, "scenario_kiezen", scenario="1")
    s1.complete(9, "driegesprek")
    s1.complete(19, "brede_intake")
    s1.complete(33, "pip_opstellen")
    s1.complete(40, "reguliere_inburgering_starten")
    _housing(s1, driegesprek=False)
    s1.message(move, "verhuisd", datum=VERHUISDATUM.isoformat())

    s2 = Run(
        library,
        model,
        "Scenario 2: brede intake en PIP in het azc",
        "Driegesprek twee weken vóór de verhuizing; voorinburgering tot de verhuizing",
    )
    s2.complete(3, "contact_bijzonderheden")
    s2.complete(6, "scenario_kiezen", scenario="2")
    s2.complete(10, "afspraken_casemanager", driegesprekMoment="voor-verhuizing")
    s2.complete(15, "aanbod_programma")
    s2.complete(24, "brede_intake")
    s2.complete(38, "pip_opstellen")
    _housing(s2, driegesprek=True)
    s2.message(move, "verhuisd", datum=VERHUISDATUM.isoformat())
    s2.complete(move + 7, "reguliere_inburgering_starten")

    s3 = Run(
        library,
        model,
        "Scenario 3: start na huisvesting (geen bericht binnen 2 weken)",
        "Geen enkele optionele taak afgerond; voorinburgering tot de verhuizing, dan intake en PIP",
    )
    s3.at(14)
    s3.complete(16, "aanbod_programma")
    _housing(s3, driegesprek=True)
    _after_move_3(s3, move)

    switch = Run(
        library,
        model,
        "Ander pad: later toch scenario 2 (na scenario 3 door stilte)",
        "Dag 20: gemeente en azc spreken scenario 2 af; de voorinburgering stopt, intake en PIP in het azc",
    )
    switch.at(14)
    switch.complete(16, "aanbod_programma")
    switch.complete(
        20, "scenario_wijzigen", nieuwScenario="2", afspraakMetAzc="Intake in het azc afgesproken"
    )
    switch.complete(22, "afspraken_casemanager", driegesprekMoment="voor-verhuizing")
    switch.at(22.01)
    switch.complete(25, "aanbod_programma")
    switch.complete(30, "brede_intake")
    switch.complete(44, "pip_opstellen")
    _housing(switch, driegesprek=True)
    switch.message(move, "verhuisd", datum=VERHUISDATUM.isoformat())
    switch.complete(move + 7, "reguliere_inburgering_starten")

    early = Run(
        library,
        model,
        "Ander pad: woning gevonden vóór de keuze",
        "Woning op dag 5, keuze scenario 3 op dag 8: de overdracht wordt gepland zodra het scenario "
        "bekend is",
    )
    early.message(5, "huisvesting_gevonden", verhuisdatum=VERHUISDATUM.isoformat())
    early.complete(8, "scenario_kiezen", scenario="3")
    _plan(early, 8)
    early.at(14)
    early.complete(16, "aanbod_programma")
    early.complete(move - 12, "driegesprek")
    _after_move_3(early, move)

    declined = Run(
        library,
        model,
        "Ander pad: voorinburgering afgewezen",
        "Scenario 3; de vergunninghouder wijst het aanbod af: de reden gaat mee in het klantprofiel "
        "bij verhuizing",
    )
    declined.complete(2, "scenario_kiezen", scenario="3")
    declined.at(14)
    declined.complete(
        16, "aanbod_programma", deelname="geweigerd", toelichtingVoorinburgering="Werkt al fulltime"
    )
    _housing(declined, driegesprek=True)
    _after_move_3(declined, move)

    late = Run(
        library,
        model,
        "Ander pad: geen woning binnen 12 weken",
        "Scenario 3; de termijn huisvesting verstrijkt: de gemeente legt een plan vast, de "
        "voorinburgering loopt door",
    )
    late.complete(3, "scenario_kiezen", scenario="3")
    late.at(14)
    late.complete(16, "aanbod_programma")
    late.at(84)
    late.complete(88, "huisvesting_escaleren")
    late.message(98, "huisvesting_gevonden", verhuisdatum=(KOPPELDATUM + timedelta(days=119)).isoformat())
    _plan(late, 98)
    late.complete(107, "driegesprek")
    late.story.move_day = 119
    _after_move_3(late, 119)

    runs = {
        "scenario_1": s1,
        "scenario_2": s2,
        "scenario_3": s3,
        "pad_later_scenario_2": switch,
        "pad_woning_voor_keuze": early,
        "pad_voorinburgering_afgewezen": declined,
        "pad_geen_woning_na_12_weken": late,
    }
    for run in runs.values():
        run.at(run.now() + 0.01)
        participation(run.story, model)
    return {key: run.story for key, run in runs.items()}


def participation(story: Story, model: Model) -> None:
    """Where the status holder takes part: the message flows of the diagrams to a task the case ran."""
    for bar in list(story.bars):
        flow = model.participation.get(bar.element_id)
        if flow:
            story.bars.append(
                Bar(bar.element_id + "_vh", f"{flow}: {bar.name}", "Vergunninghouder", bar.start, bar.end)
            )


# -- drawing ---------------------------------------------------------------------------------------
def _wrap(text: str, width: float) -> list[str]:
    per_line = max(6, int(width / (FONT * 0.52)))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


class Page:
    def __init__(self, title: str, subtitle: str, days: float) -> None:
        self.parts: list[str] = []
        self.days = days
        self.scale = (PAGE_W - LEFT - RIGHT) / days
        self.text(18, 24, title, size=14, weight="bold")
        self.text(18, 40, subtitle, size=FONT)

    def x(self, day: float) -> float:
        return LEFT + day * self.scale

    def text(
        self, x: float, y: float, s: str, *, size: float = FONT, weight: str = "normal", anchor: str = "start"
    ) -> None:
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" '
            f'text-anchor="{anchor}">{escape(s)}</text>'
        )

    def rect(
        self, x: float, y: float, w: float, h: float, fill: str, stroke: str = "#333", rx: float = 3
    ) -> None:
        self.parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="0.8"/>'
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = "#999", dash: str = "") -> None:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
            f'stroke-width="0.8"{d}/>'
        )

    def svg(self) -> str:
        body = "\n".join(self.parts)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<svg xmlns="http://www.w3.org/2000/svg" width="297mm" height="210mm" '
            f'viewBox="0 0 {PAGE_W:.0f} {PAGE_H:.0f}" '
            'font-family="Arial, Helvetica, sans-serif">\n'
            f'<rect width="{PAGE_W:.0f}" height="{PAGE_H:.0f}" fill="#fff"/>\n{body}\n</svg>\n'
        )


def _terms(page: Page, top: float, bottom: float, move: float) -> None:
    labels = [(0.0, "Week 0: koppeling"), (14.0, "Week 2: keuze, start voorinburgering")]
    if move == 84:
        labels.append((84.0, "Week 12: verhuizing, termijn huisvesting"))
    else:
        labels += [(84.0, "Week 12: termijn huisvesting"), (move, "Verhuizing")]
    labels.append((move - 14, "Verhuizing − 2 wk: driegesprek"))
    for day, _label in labels:
        x = page.x(day)
        page.line(x, top, x, bottom, stroke="#b00", dash="4 3")
    # labels in staggered rows so they never overlap
    rights: list[float] = []
    for day, label in sorted(labels):
        x = page.x(day) + 2
        row = next((r for r, right in enumerate(rights) if right + 6 < x), None)
        if row is None:
            rights.append(0.0)
            row = len(rights) - 1
        rights[row] = x + _text_width(label)
        page.text(x, top - 4 - 12 * row, label, size=FONT)
    for week in range(0, int(page.days / 7) + 1):
        x = page.x(week * 7)
        page.line(x, bottom, x, bottom + 4, stroke="#333")
        page.text(x, bottom + 14, f"wk {week}", size=FONT, anchor="middle")


def _place(
    bars: list[Bar], page: Page, max_lines: int = 3, min_width: float = 86.0, due: bool = False
) -> list[tuple[Bar, float, float, list[str], int]]:
    rows: list[float] = []
    placed = []
    for bar in sorted(bars, key=lambda b: (b.start, b.element_id)):
        x = page.x(bar.start)
        end = page.x(bar.end if bar.end is not None else page.days)
        width = max(end - x, min_width)
        label = f"{bar.name} (uiterlijk dag {bar.due:.0f})" if due and bar.due is not None else bar.name
        lines = _wrap(label, width - 6)
        while len(lines) > max_lines or max(len(line) for line in lines) * FONT * 0.52 > width - 6:
            width += 8
            lines = _wrap(label, width - 6)
        x = min(x, PAGE_W - RIGHT - width)
        row = next((i for i, right in enumerate(rows) if right + 3 <= x), None)
        if row is None:
            rows.append(0.0)
            row = len(rows) - 1
        rows[row] = x + width
        placed.append((bar, x, width, lines, row))
    return placed


def _text_width(text: str) -> float:
    return len(text) * FONT * 0.52


def _mark_rows(marks: list[Mark], page: Page) -> list[tuple[Mark, float, int]]:
    """Each mark at its own time, its text to the right (to the left near the page's edge); marks
    whose texts would touch go on the next row up."""
    taken: list[list[tuple[float, float]]] = []
    placed = []
    for mark in sorted(marks, key=lambda m: (m.day, m.text)):
        x = page.x(mark.day)
        w = _text_width(mark.text) + 10
        span = (x - 4, x + w) if x + w <= PAGE_W - RIGHT else (x - w, x + 4)
        row = next(
            (r for r, spans in enumerate(taken) if all(span[1] + 4 < a or b + 4 < span[0] for a, b in spans)),
            None,
        )
        if row is None:
            taken.append([])
            row = len(taken) - 1
        taken[row].append(span)
        placed.append((mark, x, row))
    return placed


def _symbol(page: Page, kind: str, x: float, y: float) -> None:
    if kind == "decision":
        page.parts.append(
            f'<path d="M{x:.1f},{y - 4.5:.1f} L{x + 4.5:.1f},{y:.1f} L{x:.1f},{y + 4.5:.1f} '
            f'L{x - 4.5:.1f},{y:.1f} Z" fill="#1f4e8c"/>'
        )
    elif kind.startswith("term"):
        fill = "#e07b00" if kind == "term" else "#fff"
        page.parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}" stroke="#e07b00" stroke-width="1.2"/>'
            f'<path d="M{x:.1f},{y - 2.6:.1f} L{x:.1f},{y:.1f} L{x + 2:.1f},{y:.1f}" '
            f'stroke="{"#fff" if kind == "term" else "#e07b00"}" stroke-width="0.9" fill="none"/>'
        )
    else:
        page.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#b00"/>')


def term_marks(story: Story, model: Model) -> list[Mark]:
    """The timers of the diagrams the case met: when each is due and what it leads to."""
    marks = []
    for timer, day in story.terms.items():
        name, then = model.terms[timer]
        lane = model.lanes.get(timer, "Gemeente")
        if timer in story.fired:
            marks.append(Mark(lane, day, f"{name} → {then}", "term"))
        else:
            marks.append(Mark(lane, day, f"{name} (niet verstreken)", "term-lapsed"))
    return marks


LEGEND = (
    "Afgeleid uit de .bpmn-bestanden: de zaak doorloopt de diagrammen in de procesmotor. Rood gestippeld: "
    "termijnen uit de notitie; blauwe streep: hoe lang de taak openstond;",
    "rood driehoekje: uiterste datum (uit het diagram); ◆ beslismoment (vraag → gekozen pad); oranje klok: "
    "termijn verstreken (→ wat dan volgt), open klok: termijn niet bereikt; ● gebeurtenis.",
)


def draw(story: Story, model: Model) -> str:
    days = story.move_day + 35
    page = Page(story.title, story.subtitle, days)
    top = 86.0
    line_h = FONT * 1.2
    box_h = line_h + 5
    all_marks = story.marks + term_marks(story, model)
    y = top
    lanes = []
    for lane in LANES:
        bars = [b for b in story.bars if b.lane == lane]
        placed = _place(bars, page, max_lines=1, min_width=40.0, due=True)
        n_rows = max([p[4] for p in placed] + [0]) + 1
        marks = _mark_rows([m for m in all_marks if m.lane == lane], page)
        mark_rows = max([r for _m, _x, r in marks] + [-1]) + 1
        height = n_rows * (box_h + 3) + mark_rows * line_h + (8 if marks else 0) + 8
        lanes.append((lane, y, height, placed, marks))
        y += height
    bottom = y
    if bottom > PAGE_H - 52:
        raise ValueError(
            f"{story.title}: the picture does not fit on A4 ({bottom:.0f} pt of {PAGE_H - 52:.0f})"
        )
    for lane, ly, height, _placed, _marks in lanes:
        page.rect(18, ly, PAGE_W - 18 - RIGHT, height, COLOURS[lane], stroke="#666", rx=0)
        page.text(22, ly + 14, lane, size=10.5, weight="bold")
    _terms(page, top, bottom, story.move_day)
    due_marks = []
    for _lane, ly, height, placed, marks in lanes:
        for bar, x, width, lines, row in placed:
            by = ly + 6 + row * (box_h + 3)
            page.rect(x, by, width, box_h, "#fff")
            start, end = page.x(bar.start), page.x(bar.end if bar.end is not None else page.days)
            page.rect(start, by, max(end - start, 2.0), 3.5, "#4a6fa5", stroke="none", rx=0)
            if bar.due is not None and x <= page.x(bar.due) <= x + width:
                d = page.x(bar.due)
                due_marks.append(
                    f"M{d - 3.5:.1f},{by - 1:.1f} L{d + 3.5:.1f},{by - 1:.1f} L{d:.1f},{by + 5:.1f} Z"
                )
            page.text(x + 3, by + line_h + 1, lines[0])
        mark_y = ly + height - line_h - 2
        for mark, x, row in marks:
            ty = mark_y - row * line_h
            _symbol(page, mark.kind, x, ty - 3)
            if x + _text_width(mark.text) + 10 <= PAGE_W - RIGHT:
                page.text(x + 6, ty, mark.text)
            else:
                page.text(x - 6, ty, mark.text, anchor="end")
    page.parts.extend(f'<path d="{corners}" fill="#c00"/>' for corners in due_marks)
    page.text(18, PAGE_H - 24, LEGEND[0], size=FONT)
    page.text(18, PAGE_H - 11, LEGEND[1], size=FONT)
    return page.svg()


def draw_overview(all_stories: dict[str, Story]) -> str:
    """The three scenarios under one time axis: COA's work in blue, the gemeente's in green, and the
    decision moments of each."""
    move = max(s.move_day for s in all_stories.values())
    page = Page(
        "De doorlopende lijn: drie scenario's naast elkaar",
        "Blauw: COA, groen: gemeente; ◆ beslismoment. Vanaf de koppeling; woning in week 8, "
        "verhuizing in week 12.",
        move + 35,
    )
    fill = {"COA": "#d6e8f7", "Gemeente": "#d8f0d8"}
    top = 70.0
    line_h = FONT * 1.2
    box_h = line_h + 5
    y = top
    bands = []
    for story in all_stories.values():
        bars = [b for b in story.bars if b.lane in fill]
        placed = _place(bars, page, max_lines=1, min_width=40.0)
        n_rows = max(p[4] for p in placed) + 1
        marks = _mark_rows([m for m in story.marks if m.kind == "decision"], page)
        mark_rows = max([r for _m, _x, r in marks] + [-1]) + 1
        height = n_rows * (box_h + 3) + mark_rows * line_h + 24
        bands.append((story, y, height, placed, marks, n_rows))
        y += height
    if y > PAGE_H - 40:
        raise ValueError(f"the overview does not fit on A4 ({y:.0f} pt of {PAGE_H - 40:.0f})")
    _terms(page, top, y, move)
    for story, by, height, placed, marks, n_rows in bands:
        page.rect(18, by, PAGE_W - 18 - RIGHT, height, "none", stroke="#666", rx=0)
        page.text(22, by + 13, story.title.split(":")[0], size=10.5, weight="bold")
        for bar, x, width, lines, row in placed:
            ry = by + 18 + row * (box_h + 3)
            page.rect(x, ry, width, box_h, fill[bar.lane])
            page.text(x + 3, ry + line_h, lines[0])
        mark_y = by + 18 + n_rows * (box_h + 3) + line_h - 2
        for mark, x, row in marks:
            ty = mark_y + row * line_h
            _symbol(page, mark.kind, x, ty - 3)
            if x + _text_width(mark.text) + 10 <= PAGE_W - RIGHT:
                page.text(x + 6, ty, mark.text)
            else:
                page.text(x - 6, ty, mark.text, anchor="end")
    page.text(
        18,
        PAGE_H - 12,
        "Afgeleid uit de .bpmn-bestanden: een typische zaak per scenario doorloopt de "
        "diagrammen in de procesmotor; rood gestippeld: de termijnen uit de notitie.",
        size=FONT,
    )
    return page.svg()


def render_all() -> dict[str, str]:
    library = _library()
    all_stories = stories(library)
    model = read_model()
    pictures = {f"tijdlijn_{key}.svg": draw(story, model) for key, story in all_stories.items()}
    pictures["tijdlijn_overzicht.svg"] = draw_overview(
        {k: v for k, v in all_stories.items() if k.startswith("scenario_")}
    )
    return pictures


def main(argv: list[str]) -> int:
    pictures = render_all()
    if "--check" in argv:
        stale = [
            n
            for n, svg in pictures.items()
            if not (OUT / n).exists() or (OUT / n).read_text(encoding="utf-8") != svg
        ]
        for name in stale:
            print(f"docs/diagrams/{name} is stale: run `python tools/journey_pictures.py`", file=sys.stderr)
        return 1 if stale else 0
    for name, svg in pictures.items():
        (OUT / name).write_text(svg, encoding="utf-8")
        print(f"wrote docs/diagrams/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
