"""Check that an SVG picture prints on A4 landscape and reads at 100%: no text under 9 pt on paper.

The size of a text on paper is computed from the file alone: the page size (width and height in
mm, cm, in, pt or px), the viewBox that maps user units onto it, every ``transform`` and nested
``<svg>`` viewport on the way down, and the ``font-size`` the text inherits (attribute or style).
A text drawn at 11 units inside a viewport scaled by 0.85 on a page whose viewBox is in points is
9.35 pt on paper.

    python tools/print_check.py docs/diagrams/print/*.svg    # prints each problem, exit 1 on any
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

SVG = "{http://www.w3.org/2000/svg}"
A4_LANDSCAPE = (841.89, 595.28)  # pt
MIN_PT = 9.0
TOLERANCE_PT = 1.5
UNIT_PT = {"mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "pt": 1.0, "px": 0.75, "": 0.75}
FONT_UNIT = {"px": 1.0, "": 1.0, "pt": 4 / 3}  # font-size units in user units

Matrix = tuple[float, float, float, float, float, float]  # a b c d e f, as in SVG
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class Text:
    """A text as it lands on paper."""

    content: str
    size_pt: float
    x_pt: float
    y_pt: float
    clipped: bool  # inside a nested viewport, which cuts off what lies outside it


def _length(value: str | None) -> float:
    match = re.fullmatch(r"\s*([-\d.eE+]+)\s*(mm|cm|in|pt|px|)\s*", value or "")
    if not match:
        raise ValueError(f"not a length: {value!r}")
    return float(match.group(1)) * UNIT_PT[match.group(2)]


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + c * b2,
        b * a2 + d * b2,
        a * c2 + c * d2,
        b * c2 + d * d2,
        a * e2 + c * f2 + e,
        b * e2 + d * f2 + f,
    )


def _transform(value: str | None) -> Matrix:
    m = IDENTITY
    for name, args in re.findall(r"(\w+)\s*\(([^)]*)\)", value or ""):
        v = [float(x) for x in re.split(r"[\s,]+", args.strip()) if x]
        if name == "matrix":
            n: Matrix = (v[0], v[1], v[2], v[3], v[4], v[5])
        elif name == "translate":
            n = (1, 0, 0, 1, v[0], v[1] if len(v) > 1 else 0.0)
        elif name == "scale":
            n = (v[0], 0, 0, v[1] if len(v) > 1 else v[0], 0, 0)
        elif name == "rotate":
            r = math.radians(v[0])
            cx, cy = (v[1], v[2]) if len(v) == 3 else (0.0, 0.0)
            rot: Matrix = (math.cos(r), math.sin(r), -math.sin(r), math.cos(r), 0, 0)
            n = _multiply(_multiply((1, 0, 0, 1, cx, cy), rot), (1, 0, 0, 1, -cx, -cy))
        else:
            raise ValueError(f"transform {name} is not supported")
        m = _multiply(m, n)
    return m


def _viewport(node: etree._Element, width: float, height: float) -> Matrix:
    """The matrix a (nested) svg element applies: its x, y and its viewBox fitted into width x height."""
    x = float(node.get("x") or 0)
    y = float(node.get("y") or 0)
    box = node.get("viewBox")
    if not box:
        return (1, 0, 0, 1, x, y)
    bx, by, bw, bh = (float(v) for v in re.split(r"[\s,]+", box.strip()))
    if (node.get("preserveAspectRatio") or "").startswith("none"):
        sx, sy = width / bw, height / bh
        return (sx, 0, 0, sy, x - bx * sx, y - by * sy)
    s = min(width / bw, height / bh)  # xMidYMid meet
    return (s, 0, 0, s, x + (width - bw * s) / 2 - bx * s, y + (height - bh * s) / 2 - by * s)


def _font_size(node: etree._Element, inherited: float) -> float:
    style = node.get("style") or ""
    match = re.search(r"font-size\s*:\s*([\d.]+)\s*(px|pt|)", style)
    if match:
        return float(match.group(1)) * FONT_UNIT[match.group(2)]
    value = node.get("font-size")
    if value:
        match = re.fullmatch(r"\s*([\d.]+)\s*(px|pt|)\s*", value)
        if not match:
            raise ValueError(f"font-size {value!r} is not supported")
        return float(match.group(1)) * FONT_UNIT[match.group(2)]
    return inherited


def texts(path: Path) -> tuple[tuple[float, float], list[Text]]:
    """The page size in pt and every non-empty text of the picture, as it lands on paper."""
    root = etree.fromstring(path.read_bytes())
    page = (_length(root.get("width")), _length(root.get("height")))
    found: list[Text] = []

    def walk(node: etree._Element, m: Matrix, size: float, clipped: bool) -> None:
        if not isinstance(node.tag, str):
            return
        if node is not root and node.tag == f"{SVG}svg":
            m = _multiply(m, _viewport(node, float(node.get("width")), float(node.get("height"))))
            clipped = True
        m = _multiply(m, _transform(node.get("transform")))
        size = _font_size(node, size)
        if node.tag == f"{SVG}text":
            content = " ".join("".join(node.itertext()).split())
            if content:
                first = node if node.get("x") is not None else node.find(f"{SVG}tspan")
                x = float(first.get("x") or 0) if first is not None else 0.0
                y = float(first.get("y") or 0) if first is not None else 0.0
                scale = math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))
                at = (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
                found.append(Text(content, size * scale, *at, clipped))
            return
        for child in node:
            walk(child, m, size, clipped)

    walk(root, _viewport(root, *page), 16.0, False)
    return page, found


def problems(path: Path) -> list[str]:
    """What keeps ``path`` from printing on A4 landscape and reading at 100%."""
    (width, height), found = texts(path)
    out = []
    if abs(width - A4_LANDSCAPE[0]) > TOLERANCE_PT or abs(height - A4_LANDSCAPE[1]) > TOLERANCE_PT:
        out.append(f"{path.name}: page is {width:.0f} x {height:.0f} pt, not A4 landscape (842 x 595)")
    if not found:
        out.append(f"{path.name}: no text at all")
    for text in found:
        if text.size_pt < MIN_PT - 1e-6:
            out.append(f"{path.name}: {text.content[:40]!r} is {text.size_pt:.2f} pt on paper")
        if not text.clipped and not (0 <= text.x_pt <= width and 0 <= text.y_pt <= height):
            out.append(f"{path.name}: {text.content[:40]!r} starts off the page")
    return out


def smallest(path: Path) -> float:
    """The smallest text of the picture on paper, in pt."""
    return min(t.size_pt for t in texts(path)[1])


def main(argv: list[str]) -> int:
    found = [p for arg in argv for p in problems(Path(arg))]
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))


def _anchor(node: etree._Element) -> str:
    while node is not None and isinstance(node.tag, str):
        if node.get("text-anchor"):
            return node.get("text-anchor")
        node = node.getparent()
    return "start"


def text_overlaps(path: Path, char_em: float = 0.55) -> list[str]:
    """Texts of a page drawn on top of each other (top-level texts, unrotated: the pages we lay out
    ourselves). A text's box is estimated from its length: ``char_em`` of its size per character."""
    root = etree.fromstring(path.read_bytes())
    boxes = []
    for node in root.iterfind(f"{SVG}text"):
        content = " ".join("".join(node.itertext()).split())
        if not content or node.get("transform"):
            continue
        size = _font_size(node, 16.0)
        x, y = float(node.get("x") or 0), float(node.get("y") or 0)
        width = len(content) * size * char_em
        left = {"start": x, "middle": x - width / 2, "end": x - width}[_anchor(node)]
        boxes.append((content, left, y - size * 0.75, width, size * 0.95))
    found = []
    for i, (a, ax, ay, aw, ah) in enumerate(boxes):
        for b, bx, by, bw, bh in boxes[i + 1 :]:
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                found.append(f"{path.name}: {a[:30]!r} and {b[:30]!r} overlap")
    return found


def _translation(node: etree._Element) -> tuple[float, float]:
    m = _transform(node.get("transform"))
    return m[4], m[5]


def text_outside_shapes(path: Path) -> list[str]:
    """In a bpmn-js drawing (``saveSVG``): every line of a task's or sub-process's text that leaves
    its shape or runs into a marker drawn in it (the + of a collapsed sub-process or call activity)."""
    root = etree.fromstring(path.read_bytes())
    found = []
    for group in root.iter(f"{SVG}g"):
        if "djs-shape" not in (group.get("class") or ""):
            continue
        visual = group.find(f"{SVG}g")
        if visual is None or "djs-visual" not in (visual.get("class") or ""):
            continue
        rects = visual.findall(f"{SVG}rect")
        if not rects or visual.find(f"{SVG}text") is None:
            continue
        width, height = float(rects[0].get("width")), float(rects[0].get("height"))
        markers = []
        for rect in rects[1:]:
            dx, dy = _translation(rect)
            markers.append(
                (
                    float(rect.get("x")) + dx,
                    float(rect.get("y")) + dy,
                    float(rect.get("width")),
                    float(rect.get("height")),
                )
            )
        for text in visual.findall(f"{SVG}text"):
            if text.get("transform"):
                continue  # the rotated title of a pool or lane
            size = _font_size(text, 12.0)
            for span in text.findall(f"{SVG}tspan"):
                x, y = float(span.get("x")), float(span.get("y"))
                line = (x, y - size * 0.8, width - 2 * x, size * 1.05)  # bpmn-js centres each line
                name = f"{path.name}: {group.get('data-element-id')}: {span.text!r}"
                if line[0] < -0.5 or line[1] < -0.5 or line[1] + line[3] > height + 0.5:
                    found.append(f"{name} leaves its shape")
                for mx, my, mw, mh in markers:
                    if (
                        line[0] < mx + mw
                        and mx < line[0] + line[2]
                        and line[1] < my + mh
                        and my < line[1] + line[3]
                    ):
                        found.append(f"{name} runs into a marker")
    return found
