"""The snippets' own compute: what running their examples costs, imports aside.

Run as ``python -m bench.compute SNIPPETS_DIR FILE...`` in the reference
environment; prints one JSON line. It imports what the engine's fork server
imports (torch, numpy, matplotlib, doctest), timed apart, then runs every file
with stdlib doctest in this one process, one after the other, each in fresh
globals and with nothing reset in between: no fork, no scratch folder, no
engine. What a cold build spends beyond this and the imports is the engine's
and MkDocs' own.
"""

from __future__ import annotations

import doctest
import json
import sys
import time
from pathlib import Path


def main() -> None:
    snippets_dir = Path(sys.argv[1])
    files = [Path(f) for f in sys.argv[2:]]
    clocks = {"wall": time.perf_counter, "cpu": time.process_time}  # CPU: less disturbed by other load
    spent = {f"{what}_{clock}": 0.0 for what in ("import", "run") for clock in clocks}

    def timed(what, func, *args):
        before = {name: clock() for name, clock in clocks.items()}
        result = func(*args)
        for name, clock in clocks.items():
            spent[f"{what}_{name}"] += clock() - before[name]
        return result

    timed("import", _import_libraries)
    failures = []
    for path in files:
        if timed("run", _run, path):
            failures.append(str(path.relative_to(snippets_dir)))
    print(json.dumps(dict(spent, snippets=len(files), failures=failures)))


def _import_libraries() -> None:
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import torch  # noqa: F401


def _run(path: Path) -> int:
    """Failed examples of one file, read, parsed and run as doctest.testfile does."""
    text = path.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {"__name__": "__main__"}, path.name, str(path), 0)
    runner = doctest.DocTestRunner(verbose=False)
    runner.run(test, out=lambda _: None)
    return runner.failures


if __name__ == "__main__":
    main()
