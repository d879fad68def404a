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

    t0 = time.perf_counter()
    import torch  # noqa: F401

    fresh = FreshState()
    import_s = time.perf_counter() - t0
    run_s = restore_s = 0.0
    failures = []
    for path in files:
        name = str(path.relative_to(snippets_dir))
        t0 = time.perf_counter()
        snippet = parse_snippet(path, name, path.read_bytes())
        result = run_snippet(snippet, 100_000)
        t1 = time.perf_counter()
        fresh.restore()
        restore_s += time.perf_counter() - t1
        run_s += t1 - t0
        if any(r["status"] != "ok" for r in result["examples"]):
            failures.append(name)
    print(json.dumps({"import_torch": import_s, "run": run_s, "restore": restore_s,
                      "snippets": len(files), "failures": failures}))


if __name__ == "__main__":
    main()
