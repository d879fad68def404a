"""The equivalence rule: what the site shows for a snippet is exactly what the
reference command (snipdoc/reference.py) accepts: a fresh `python -m doctest
FILE` in a new empty folder, with the pinned environment. This test is the
proof, independent of the engine: it runs that command, nothing of snipdoc's."""

import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from snipdoc import reference

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = sorted((ROOT / "snippets").rglob("*.txt"))


def fresh_doctest(path: Path) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="reference-") as cwd:
        return subprocess.run(reference.command(path), cwd=cwd, env=reference.environment(ROOT / "snippets"),
                              capture_output=True, text=True, timeout=300)


def test_every_snippet_passes_the_reference_command():
    assert SNIPPETS
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = dict(zip(SNIPPETS, pool.map(fresh_doctest, SNIPPETS)))
    failed = {str(p.relative_to(ROOT)): r.stdout + r.stderr for p, r in results.items() if r.returncode}
    assert not failed, failed
