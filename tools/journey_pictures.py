"""Timeline pictures of the doorlopende lijn, one per scenario and an overview, on A4 landscape.

Drawn from the .bpmn files themselves: a typical case of each scenario runs through the engine on a
manual clock, and every task it opens (with its name and lane from the diagrams), every klantprofiel
moment and every term that falls due is placed on a time axis from the koppeling, in a band per
party. Text is at least 9 pt on the A4 page, so the pictures print and read at 100%.

    python tools/journey_pictures.py            # writes docs/diagrams/tijdlijn_*.svg
    python tools/journey_pictures.py --check    # exit 1 when a picture differs from the files
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


@dataclass
class Mark:
    lane: str
    day: float
    text: str


@dataclass
class Story:
    title: str
    subtitle: str
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    move_day: float = (VERHUISDATUM - KOPPELDATUM).days


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

    def __init__(self, library: SpecLibrary, title: str, subtitle: str) -> None:
        self.clock = ManualClock(START)
        self.runtime = Runtime(library, self.clock)
        self.story = Story(title, subtitle)
        self.open: dict[str, Bar] = {}
        self.result = self._record(
            self.runtime.start(
                "doorlopende_lijn",
                business_key="V0000001",
                variables={"gemeente": "GM0344", "azc": "AZC-ZST", "koppeldatum": KOPPELDATUM.isoformat()},
            )
        )

    def now(self) -> float:
        return (self.clock.now() - START).total_seconds() / 86400

    def _record(self, result: Any) -> Any:
        day = self.now()
        current = {t.element_id for t in result.open_tasks}
        for task in result.open_tasks:
            if task.element_id not in self.open:
                bar = Bar(task.element_id, task.name, task.lane or "", day)
                self.open[task.element_id] = bar
                self.story.bars.append(bar)
        for element_id in [e for e in self.open if e not in current]:
            self.open.pop(element_id).end = day
        for event in result.events:
            if event.type == "klantprofiel-gedeeld":
                self.story.marks.append(Mark("COA", day, f"Klantprofiel: {event.data['moment']}"))
            elif event.type == "scenario-vastgesteld":
                how = " (bij termijn)" if event.data.get("bijTermijn") else ""
                self.story.marks.append(Mark("Gemeente", day, f"Scenario {event.data['scenario']}{how}"))
        return result

    def at(self, day: float) -> None:
        if _day(day) > self.clock.now():
            self.clock.set(_day(day))
        self.result = self._record(self.runtime.fire_due_timers(self.result.state))

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
        self.result = self._record(self.runtime.complete_task(self.result.state, task.id, data))

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
        self.result = self._record(self.runtime.correlate(self.result.state, name, variables))
        self.story.marks.append(
            Mark(
                "Gemeente" if name == "huisvesting_gevonden" else "COA",
                day,
                {"huisvesting_gevonden": "Woning gevonden", "verhuisd": "Verhuisd"}[name],
            )
        )


def _housing(run: Run, *, driegesprek: bool) -> None:
    run.message(WONING, "huisvesting_gevonden", verhuisdatum=VERHUISDATUM.isoformat())
    if driegesprek:
        run.complete(
            WONING + 5,
            "overdracht_plannen_coa",
            vergunninghouderGeinformeerd=True,
            klantprofielBijgewerkt=True,
        )
        run.complete(WONING + 7, "overdracht_plannen")
        run.complete(run.story.move_day - 12, "driegesprek")


def stories(library: SpecLibrary) -> dict[str, Story]:
    move = (VERHUISDATUM - KOPPELDATUM).days
    s1 = Run(
        library,
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
        "Scenario 3: start na huisvesting (geen bericht binnen 2 weken)",
        "Geen enkele optionele taak afgerond; voorinburgering tot de verhuizing, dan intake en PIP",
    )
    s3.at(14)
    s3.complete(16, "aanbod_programma")
    _housing(s3, driegesprek=True)
    s3.message(move, "verhuisd", datum=VERHUISDATUM.isoformat())
    s3.complete(move + 10, "brede_intake")
    s3.complete(move + 24, "pip_opstellen")
    s3.complete(move + 30, "reguliere_inburgering_starten")
    for run in (s1, s2, s3):
        run.at(run.now() + 0.01)
        participation(run.story)
    return {"scenario_1": s1.story, "scenario_2": s2.story, "scenario_3": s3.story}


def participation(story: Story) -> None:
    """Where the status holder takes part (the message flows of the diagrams)."""
    for bar in list(story.bars):
        text = {
            "aanbod_programma": "Stemt in met voorinburgering",
            "driegesprek": "Driegesprek",
            "brede_intake": "Brede intake, in samenspraak",
        }.get(bar.element_id)
        if text:
            story.bars.append(Bar(bar.element_id + "_vh", text, "Vergunninghouder", bar.start, bar.end))


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
    for day in (0, 14, 84, move - 14, move):  # koppeling, week 2, week 12, move - 2 weeks, move
        x = page.x(day)
        page.line(x, top, x, bottom, stroke="#b00", dash="4 3")
    # labels in a staggered row so they never overlap
    y = top - 4
    for i, (day, label) in enumerate(
        (
            (0, "Week 0: koppeling"),
            (14, "Week 2: keuze, start voorinburgering"),
            (move - 14, "Verhuizing − 2 wk: driegesprek"),
            (84, "Week 12: verhuizing, termijn huisvesting"),
        )
    ):
        page.text(page.x(day) + 2, y - 12 * (i % 2), label, size=FONT)
    for week in range(0, int(page.days / 7) + 1):
        x = page.x(week * 7)
        page.line(x, bottom, x, bottom + 4, stroke="#333")
        page.text(x, bottom + 14, f"wk {week}", size=FONT, anchor="middle")


def _place(
    bars: list[Bar], page: Page, max_lines: int = 3, min_width: float = 86.0
) -> list[tuple[Bar, float, float, list[str], int]]:
    rows: list[float] = []
    placed = []
    for bar in sorted(bars, key=lambda b: (b.start, b.element_id)):
        x = page.x(bar.start)
        end = page.x(bar.end if bar.end is not None else page.days)
        width = max(end - x, min_width)
        lines = _wrap(bar.name, width - 6)
        while len(lines) > max_lines or max(len(line) for line in lines) * FONT * 0.52 > width - 6:
            width += 8
            lines = _wrap(bar.name, width - 6)
        x = min(x, PAGE_W - RIGHT - width)
        row = next((i for i, right in enumerate(rows) if right + 3 <= x), None)
        if row is None:
            rows.append(0.0)
            row = len(rows) - 1
        rows[row] = x + width
        placed.append((bar, x, width, lines, row))
    return placed


def _mark_rows(marks: list[Mark], page: Page) -> list[tuple[Mark, int]]:
    """Each mark at its own time; marks whose texts would touch go on the next row up."""
    rights: list[float] = []
    placed = []
    for mark in sorted(marks, key=lambda m: (m.day, m.text)):
        x = page.x(mark.day)
        row = next((r for r, right in enumerate(rights) if right < x), None)
        if row is None:
            rights.append(0.0)
            row = len(rights) - 1
        rights[row] = x + len(mark.text) * FONT * 0.52 + 10
        placed.append((mark, row))
    return placed


def draw(story: Story) -> str:
    days = story.move_day + 35
    page = Page(story.title, story.subtitle, days)
    top = 86.0
    line_h = FONT * 1.2
    box_h = 3 * line_h + 4
    y = top
    lanes = []
    for lane in LANES:
        bars = [b for b in story.bars if b.lane == lane]
        placed = _place(bars, page)
        n_rows = max([p[4] for p in placed] + [0]) + 1
        marks = _mark_rows([m for m in story.marks if m.lane == lane], page)
        mark_rows = max([r for _m, r in marks] + [-1]) + 1
        height = n_rows * (box_h + 4) + mark_rows * line_h + (10 if marks else 0) + 8
        lanes.append((lane, y, height, placed, marks))
        y += height
    bottom = y
    for lane, ly, height, _placed, _marks in lanes:
        page.rect(18, ly, PAGE_W - 18 - RIGHT, height, COLOURS[lane], stroke="#666", rx=0)
        page.text(22, ly + 14, lane, size=10.5, weight="bold")
    _terms(page, top, bottom, story.move_day)
    for _lane, ly, height, placed, marks in lanes:
        for bar, x, width, lines, row in placed:
            by = ly + 6 + row * (box_h + 4)
            page.rect(x, by, width, box_h, "#fff")
            start, end = page.x(bar.start), page.x(bar.end if bar.end is not None else page.days)
            page.rect(start, by, max(end - start, 2.0), 3.5, "#4a6fa5", stroke="none", rx=0)
            for k, line in enumerate(lines[:3]):
                page.text(x + 3, by + 3 + line_h * (k + 1) - 2, line)
        mark_y = ly + height - line_h - 2
        for mark, row in marks:
            x = page.x(mark.day)
            page.parts.append(
                f'<circle cx="{x:.1f}" cy="{mark_y - row * line_h - 3:.1f}" r="2.5" fill="#b00"/>'
            )
            page.text(x + 4, mark_y - row * line_h, mark.text)
    page.text(
        18,
        PAGE_H - 12,
        "Afgeleid uit de .bpmn-bestanden: een typische zaak doorloopt de diagrammen in de procesmotor; "
        "rood gestippeld: de termijnen uit de notitie; blauwe streep: hoe lang de taak openstond.",
        size=FONT,
    )
    return page.svg()


def draw_overview(all_stories: dict[str, Story]) -> str:
    """The three scenarios under one time axis: COA's work in blue, the gemeente's in green."""
    move = max(s.move_day for s in all_stories.values())
    page = Page(
        "De doorlopende lijn: drie scenario's naast elkaar",
        "Blauw: COA, groen: gemeente. Vanaf de koppeling; woning in week 8, verhuizing in week 12.",
        move + 35,
    )
    fill = {"COA": "#d6e8f7", "Gemeente": "#d8f0d8"}
    top = 86.0
    line_h = FONT * 1.2
    box_h = line_h + 5
    y = top
    bands = []
    for story in all_stories.values():
        bars = [b for b in story.bars if b.lane in fill]
        placed = _place(bars, page, max_lines=1, min_width=40.0)
        n_rows = max(p[4] for p in placed) + 1
        height = n_rows * (box_h + 3) + 22
        bands.append((story, y, height, placed))
        y += height
    _terms(page, top, y, move)
    for story, by, height, placed in bands:
        page.rect(18, by, PAGE_W - 18 - RIGHT, height, "none", stroke="#666", rx=0)
        page.text(22, by + 13, story.title.split(":")[0], size=10.5, weight="bold")
        for bar, x, width, lines, row in placed:
            ry = by + 18 + row * (box_h + 3)
            page.rect(x, ry, width, box_h, fill[bar.lane])
            page.text(x + 3, ry + line_h, lines[0])
    for i, (day, text) in enumerate(
        ((0, "Klantprofiel na koppeling"), (move, "Klantprofiel bij verhuizing"))
    ):
        page.text(page.x(day) + 3, y + 28 + i * line_h, f"{text}", size=FONT)
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
    pictures = {f"tijdlijn_{key}.svg": draw(story) for key, story in all_stories.items()}
    pictures["tijdlijn_overzicht.svg"] = draw_overview(all_stories)
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
