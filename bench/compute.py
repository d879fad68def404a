"""The snippets' own compute: what the worker spends running them, torch's import aside.

Run as ``python -m bench.compute SNIPPETS_DIR FILE...``; prints one JSON line.
It calls the functions the worker calls (parse, run, restore), in the order it
calls them, in one fresh process, so the figures split a cold build's cost
into the torch import, the examples themselves and the engine's per-snippet
state reset.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    snippets_dir = Path(sys.argv[1])
    files = [Path(f) for f in sys.argv[2:]]
    os.environ["MPLBACKEND"] = "Agg"  # as the worker is started
    sys.path.insert(0, str(snippets_dir))
    from snipdoc.parse import parse_snippet
    from snipdoc.run import run_snippet
    from snipdoc.state import FreshState

    clocks = {"wall": time.perf_counter, "cpu": time.process_time}  # CPU: less disturbed by other load
    spent = {f"{what}_{clock}": 0.0 for what in ("import_torch", "run", "restore") for clock in clocks}

    def timed(what, func, *args):
        before = {name: clock() for name, clock in clocks.items()}
        result = func(*args)
        for name, clock in clocks.items():
            spent[f"{what}_{name}"] += clock() - before[name]
        return result

    fresh = timed("import_torch", _import_torch, FreshState)
    failures = []
    for path in files:
        name = str(path.relative_to(snippets_dir))
        snippet = timed("run", parse_snippet, path, name, path.read_bytes())
        result = timed("run", run_snippet, snippet, 100_000)
        timed("restore", fresh.restore)
        if any(r["status"] != "ok" for r in result["examples"]):
            failures.append(name)
    print(json.dumps(dict(spent, snippets=len(files), failures=failures)))


def _import_torch(fresh_state):
    import torch  # noqa: F401

    return fresh_state()


if __name__ == "__main__":
    main()
