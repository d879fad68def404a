"""What isolation costs per snippet: N trivial snippets through the engine's fork server.

Run as ``python -m bench.isolation N JOBS``; prints one JSON line. Every snippet
is two examples that compute nothing (``import torch`` is a lookup, the server
imported it), so the time is the engine's per-snippet path alone: request,
fork, the child becoming the reference process (working folder, streams,
descriptors, seeds), doctest's parse and run, figure check, report, wait,
scratch folder removed. The server is started and warmed before the clock
starts; its torch import is counted elsewhere. CPU time is this process's
plus the server's and the children it reaped (from /proc), so it is known
without stopping the server.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from snipdoc.engine import Engine

TRIVIAL = ">>> import torch\n>>> 1 + {n}\n{m}\n"


def main() -> None:
    count, jobs = int(sys.argv[1]), int(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="isolation-") as folder:
        root = Path(folder)
        snippets = root / "snippets"
        snippets.mkdir()
        paths = []
        for n in range(count + 1):
            path = snippets / f"s{n:04d}.txt"
            path.write_text(TRIVIAL.format(n=n, m=n + 1), encoding="utf-8")
            paths.append(path)
        engine = Engine(snippets, root / "cache", jobs=jobs, root=root)
        try:
            _check(engine.pool.submit(paths[0], paths[0].name).result())  # the server starts, untimed
            server = engine.pool.proc.pid
            before = time.perf_counter(), time.process_time(), _tree_cpu(server)
            futures = [engine.pool.submit(p, p.name) for p in paths[1:]]
            for future in futures:
                _check(future.result())
            wall = time.perf_counter() - before[0]
            cpu = time.process_time() - before[1] + _tree_cpu(server) - before[2]
        finally:
            engine.close()
    print(json.dumps({"snippets": count, "jobs": jobs, "wall": wall, "cpu": cpu}))


def _check(result: dict) -> None:
    if "crash" in result or any(e["status"] != "ok" for e in result["examples"]):
        raise SystemExit(f"a trivial snippet failed: {result}")


def _tree_cpu(pid: int) -> float:
    """User + system seconds of a process and of the children it has reaped."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    # Fields 14-17 of stat (utime, stime, cutime, cstime); fields[0] here is field 3.
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
