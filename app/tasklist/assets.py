"""Front-end assets served by the tasklist itself (no CDN): copies of npm packages' files.

``make assets`` copies them from ``node_modules`` into ``static/vendor``; a test checks that the
copies equal the installed packages, so an upgrade in ``package.json`` cannot leave stale files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

STATIC = Path(__file__).with_name("static") / "vendor"
#: file in static/vendor -> file in node_modules
VENDORED = {
    "utrecht-component-library.css": "@utrecht/component-library-css/dist/index.css",
    "utrecht-design-tokens.css": "@utrecht/design-tokens/dist/theme.css",
    "bpmn-viewer.js": "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
    "diagram-js.css": "bpmn-js/dist/assets/diagram-js.css",
    "bpmn-js.css": "bpmn-js/dist/assets/bpmn-js.css",
}


def copy_assets(node_modules: Path) -> list[Path]:
    """Copy every vendored file from ``node_modules``; returns the files written."""
    STATIC.mkdir(parents=True, exist_ok=True)
    written = []
    for target, source in VENDORED.items():
        shutil.copyfile(node_modules / source, STATIC / target)
        written.append(STATIC / target)
    return written


if __name__ == "__main__":  # pragma: no cover - ``make assets``
    import sys

    for path in copy_assets(Path(sys.argv[1] if len(sys.argv) > 1 else "node_modules")):
        print(path)
