"""``python -m bench`` (``make bench``): run every ``bench/*_bench.py`` module's ``main()``.

``python -m bench api engine`` runs only the named ones.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(p.stem for p in Path(__file__).parent.glob("*_bench.py"))
    wanted = [f"{a}_bench" if not a.endswith("_bench") else a for a in argv]
    for name in wanted or names:
        if name not in names:
            print(f"no benchmark {name}; have: {', '.join(names)}", file=sys.stderr)
            return 1
        print(f"== {name}", flush=True)
        entry = importlib.import_module(f"bench.{name}").main
        # Benchmarks that parse arguments get none here (their defaults), not this command's.
        entry([]) if inspect.signature(entry).parameters else entry()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
