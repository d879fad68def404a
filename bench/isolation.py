"""What isolation costs per snippet: N trivial snippets through the engine's fork server.

Run as ``python -m bench.isolation N JOBS``; prints one JSON line.
``python -m bench.isolation breakdown`` splits the cost into its steps instead. Every snippet
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
import shutil
import sys
import tempfile
import time
from pathlib import Path

from snipdoc.engine.core import Engine
from snipdoc.engine.forkserver import huge_pages

# What the notes' server preloads (mkdocs.yml), so a child's cost is measured as a build pays it.
PRELOAD = ["torch", "numpy", "matplotlib.pyplot"]

TRIVIAL = ">>> import torch\n>>> 1 + {n}\n{m}\n"


def main() -> None:
    if sys.argv[1] == "breakdown":
        return breakdown()
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
        engine = Engine(snippets, root / "cache", jobs=jobs, root=root, preload=PRELOAD)
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


def breakdown(n: int = 40) -> None:
    """CPU time per child of each step of the fork server's path, cumulative, each
    measured over n children of a process that imported what the server imports."""
    from snipdoc.engine import fresh as process, run

    process.prepare(PRELOAD)
    huge_pages()  # as the server does once its queue is long, i.e. in any cold build of a course

    def fresh(cwd, folder):
        os.setpgid(0, 0)
        process.become_fresh(cwd, folder)

    def trivial(cwd, folder):
        fresh(cwd, folder)
        run.child_main({"id": 1, "path": str(snippet), "root": folder, "folder": folder, "output_limit": 100_000})

    # Not TemporaryDirectory: its finalizer is an exit handler, which every child runs (as a
    # fresh interpreter runs its own), and the first child would remove the folder.
    scratch = tempfile.mkdtemp(prefix="isolation-")
    try:
        snippet = Path(scratch) / "s.txt"
        snippet.write_text(TRIVIAL.format(n=1, m=2), encoding="utf-8")
        steps = [("fork and exit", lambda *a: None), ("+ become the reference process", fresh),
                 ("+ run a trivial snippet and report it", trivial)]
        for label, step in steps:
            cpu, wall = _children(scratch, step, n)
            print(f"{label:40s} {cpu * 1000:6.1f} ms CPU, {wall * 1000:6.1f} ms wall per snippet")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _children(scratch: str, step, n: int) -> tuple[float, float]:
    before, start = os.times(), time.perf_counter()
    for i in range(n):
        folder = tempfile.mkdtemp(dir=scratch)
        cwd = os.path.join(folder, "cwd")
        os.mkdir(cwd)
        pid = os.fork()
        if pid == 0:
            try:
                step(cwd, folder)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        shutil.rmtree(folder)
    after = os.times()
    cpu = sum(after[:4]) - sum(before[:4])  # user, system, and the children's
    return cpu / n, (time.perf_counter() - start) / n


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
