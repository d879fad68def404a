"""The equivalence proof, and the record of what it proved, so a test run proves
only what changed.

The proof runs the reference command (reference.py) on a snippet in a new empty
folder: nothing of the engine. A passing snippet is recorded under a key of
everything that run can depend on without observing it: the snippet's path and
bytes, every other file in the snippets folder (helpers, data; the other
snippets excepted), the definition of the reference command, the versions that
print (the engine's keyed packages) and the machine (cache.environment(), less
the engine's version). A
change to any of these proves the snippet fresh again. The record is one empty
file per key, created after the snippet passed: concurrent or interrupted runs
can only leave true proofs.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import cache, reference


def fresh_doctest(path: Path, snippets_dir: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """The reference command on one file, in a new empty folder."""
    with tempfile.TemporaryDirectory(prefix="reference-") as cwd:
        return reference.run(path, snippets_dir, Path(cwd), timeout)


def shared_inputs(snippets_dir: Path, packages=()) -> str:
    """Digest of what every snippet's proof depends on (packages: whose versions print)."""
    h = hashlib.sha256()
    env = {k: v for k, v in cache.environment(packages).items() if k != "engine"}
    h.update(json.dumps(env, sort_keys=True).encode())
    h.update(Path(reference.__file__).read_bytes())
    for path in sorted(p for p in snippets_dir.rglob("*") if p.is_file()):
        if path.suffix == ".txt" or "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(snippets_dir).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def key(snippet: Path, snippets_dir: Path, shared: str) -> str:
    h = hashlib.sha256(shared.encode())
    h.update(snippet.resolve().relative_to(snippets_dir.resolve()).as_posix().encode() + b"\0")
    h.update(snippet.read_bytes())
    return h.hexdigest()


def shard(snippets: list[Path], snippets_dir: Path, k: int, n: int) -> list[Path]:
    """The k-th of n disjoint parts (1 <= k <= n) that together are all snippets: every
    n-th by path, so the parts differ in size by one at most and a machine of a CI matrix
    proves one each."""
    if not 1 <= k <= n:
        raise ValueError(f"shard {k}/{n}: K must be between 1 and N")
    ordered = sorted(snippets, key=lambda p: p.resolve().relative_to(snippets_dir.resolve()).as_posix())
    return ordered[k - 1::n]


def prove(snippets: list[Path], snippets_dir: Path, record: Path | None,
          packages=(), workers: int | None = None) -> tuple[list[Path], dict[Path, str]]:
    """Run the reference command on every snippet not proven before (all of them
    without a record), `workers` at a time (default: one per CPU): (the snippets run,
    failures by path)."""
    shared = shared_inputs(snippets_dir, packages)
    keys = {p: key(p, snippets_dir, shared) for p in snippets}
    marks = {p: record / k[:2] / k for p, k in keys.items()} if record else {}
    todo = [p for p in snippets if not (record and marks[p].exists())]
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        results = dict(zip(todo, pool.map(lambda p: fresh_doctest(p, snippets_dir), todo)))
    failed = {p: r.stdout + r.stderr for p, r in results.items() if r.returncode}
    for p in todo:
        if record and p not in failed:
            marks[p].parent.mkdir(parents=True, exist_ok=True)
            marks[p].touch()
    return todo, failed
