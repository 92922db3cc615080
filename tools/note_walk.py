"""Read what the diagrams say about the note: quotes and design choices from ``bpmn:documentation``.

The .bpmn files are the only source. This module derives from them the seed-to-element table in
bpmn/README.md and checks every quote against the note (docs/bron/), so a quote that is not
verbatim, or a README table that no longer matches the files, fails ``make test``.

The hand-written walk through the note in bpmn/README.md is checked against the files too: it may
name no element that does not exist, and it must name every step a reader of the note looks for
(user tasks, call activities, receive tasks, catching and throwing events, deciding gateways) and
every element that states a design choice.

    python tools/note_walk.py --check     # exit 1 when a quote is not in the note or the README is stale
    python tools/note_walk.py --write     # rewrite the derived table in bpmn/README.md from the files
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
BPMN_DIR = ROOT / "bpmn"
NOTE = ROOT / "docs" / "bron" / "notitie-doorlopende-lijn-2021-04-13.txt"
README = BPMN_DIR / "README.md"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
START, END = "<!-- seed-table:start (derived from bpmn:documentation) -->", "<!-- seed-table:end -->"
CHOICES_START, CHOICES_END = "<!-- design-choices:start -->", "<!-- design-choices:end -->"
_QUOTE = re.compile(r'^Bron \((?P<section>[^)]*)\): "(?P<quote>.*)"\s*$')
_CHOICE = re.compile(r"Ontwerpkeuze[^:]*: (?P<text>[^\n]*)")
WALK_START, WALK_END = "## A walk through the note", "## From the note to the diagrams (derived)"
#: Elements a reader of the note looks for in the walk: the steps, deadlines, contacts and messages.
_WALKED = (
    "userTask",
    "callActivity",
    "receiveTask",
    "boundaryEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
)
_SNAKE_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


@dataclass(frozen=True)
class Quote:
    """One ``Bron (section): "passage"`` line in an element's documentation."""

    file: str
    element_id: str
    section: str
    text: str


@dataclass(frozen=True)
class Choice:
    """One ``Ontwerpkeuze: ...`` sentence: something the model adds that the note does not say."""

    file: str
    element_id: str
    text: str


def _documented(path: Path) -> list[tuple[str, str]]:
    root = etree.fromstring(path.read_bytes())
    found = []
    for doc in root.iter(f"{{{BPMN_NS}}}documentation"):
        owner = doc.getparent()
        if owner is not None and owner.get("id") and (doc.text or "").strip():
            found.append((owner.get("id"), doc.text))
    return found


def quotes(files: list[Path] | None = None) -> list[Quote]:
    """Every quote in the documentation of the diagrams, in file and document order."""
    result = []
    for path in files or sorted(BPMN_DIR.glob("*.bpmn")):
        for element_id, text in _documented(path):
            for line in text.splitlines():
                match = _QUOTE.match(line.strip())
                if match:
                    result.append(Quote(path.name, element_id, match["section"], match["quote"]))
    return result


def choices(files: list[Path] | None = None) -> list[Choice]:
    """Every design choice (``Ontwerpkeuze``) stated in the documentation."""
    result = []
    for path in files or sorted(BPMN_DIR.glob("*.bpmn")):
        for element_id, text in _documented(path):
            result.extend(Choice(path.name, element_id, m["text"].strip()) for m in _CHOICE.finditer(text))
    return result


def _pattern(quote: str) -> re.Pattern[str]:
    # Verbatim apart from line breaks, list marks ('-', 'o') and footnote numbers glued to a word.
    words = [re.escape(w) + r"\d?" for w in quote.split()]
    return re.compile(r"\s+(?:[-o]\s+)?".join(words))


def not_in_note(found: list[Quote], note: str) -> list[Quote]:
    """The quotes that do not occur verbatim in the note."""
    return [q for q in found if not _pattern(q.text).search(note)]


def table(found: list[Quote]) -> str:
    """The markdown table: one row per passage, the elements that quote it per file."""
    rows: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for q in found:
        ids = rows[(q.text, q.section)][q.file]
        if q.element_id not in ids:
            ids.append(q.element_id)
    lines = ["| Passage in de notitie (Nederlands) | Onderdeel | Elementen |", "|---|---|---|"]
    for (text, section), per_file in rows.items():
        cells = "<br>".join(f"`{f}`: " + ", ".join(f"`{i}`" for i in ids) for f, ids in per_file.items())
        lines.append(f"| “{text}” | {section} | {cells} |")
    return "\n".join(lines) + "\n"


def choice_list(found: list[Choice]) -> str:
    """A markdown list of the design choices, per element."""
    return "".join(f"- `{c.file}` `{c.element_id}`: {c.text}\n" for c in found)


def _between(text: str, start: str, end: str) -> str:
    head, _, rest = text.partition(start)
    body, _, _ = rest.partition(end)
    return body.strip("\n") + "\n"


def _replace(text: str, start: str, end: str, body: str) -> str:
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{body}{end}{tail}"


def _elements(files: list[Path] | None = None) -> list[tuple[str, str, str, int]]:
    """(file, id, BPMN tag, number of outgoing flows) of every element with an id."""
    found = []
    for path in files or sorted(BPMN_DIR.glob("*.bpmn")):
        for element in etree.fromstring(path.read_bytes()).iter():
            if isinstance(element.tag, str) and element.get("id"):
                tag = element.tag.rpartition("}")[2]
                found.append(
                    (path.name, element.get("id"), tag, len(element.findall(f"{{{BPMN_NS}}}outgoing")))
                )
    return found


def walk_problems(readme: str) -> list[str]:
    """Where the written walk no longer matches the files: unknown ids named, steps or choices left out."""
    if WALK_START not in readme or WALK_END not in readme:
        return ["bpmn/README.md has no walk through the note"]
    walk = readme.split(WALK_START, 1)[1].split(WALK_END, 1)[0]
    named = set(re.findall(r"`([^`]+)`", walk))
    elements = _elements()
    known = {element_id for _f, element_id, _t, _n in elements}
    known |= {
        n
        for n in re.findall(
            r'<bpmn:message [^>]*name="([^"]+)"',
            "".join(p.read_text(encoding="utf-8") for p in BPMN_DIR.glob("*.bpmn")),
        )
    }
    problems = [
        f"the walk names `{n}`, which no diagram has"
        for n in sorted(named)
        if _SNAKE_ID.fullmatch(n) and n not in known and not (BPMN_DIR / f"{n}.bpmn").exists()
    ]
    for file, element_id, tag, outgoing in elements:
        deciding = tag == "exclusiveGateway" and outgoing > 1
        if (tag in _WALKED or deciding) and element_id not in named:
            problems.append(f"the walk leaves out {tag} `{element_id}` ({file})")
    for choice in choices():
        if choice.element_id not in named:
            problems.append(f"the walk leaves out the design choice of `{choice.element_id}` ({choice.file})")
    return list(dict.fromkeys(problems))


def stale_parts(readme: str) -> list[str]:
    """Which derived parts of the README differ from what the files say."""
    stale = []
    if START not in readme or _between(readme, START, END) != table(quotes()):
        stale.append("seed table")
    if CHOICES_START not in readme or _between(readme, CHOICES_START, CHOICES_END) != choice_list(choices()):
        stale.append("design choices")
    return stale


def main(argv: list[str]) -> int:
    found = quotes()
    missing = not_in_note(found, NOTE.read_text(encoding="utf-8"))
    for q in missing:
        print(f"{q.file} {q.element_id}: not verbatim in the note: {q.text}", file=sys.stderr)
    readme = README.read_text(encoding="utf-8")
    if "--write" in argv:
        readme = _replace(readme, START, END, table(found))
        readme = _replace(readme, CHOICES_START, CHOICES_END, choice_list(choices()))
        README.write_text(readme, encoding="utf-8")
    stale = stale_parts(README.read_text(encoding="utf-8"))
    for part in stale:
        print(
            f"bpmn/README.md: the {part} is stale: run `python tools/note_walk.py --write`", file=sys.stderr
        )
    walk = walk_problems(README.read_text(encoding="utf-8"))
    for problem in walk:
        print(f"bpmn/README.md: {problem}", file=sys.stderr)
    return 1 if missing or stale or walk else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
