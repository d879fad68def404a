"""The equivalence rule: what the site shows for a snippet is exactly what a
fresh `python -m doctest FILE` on the pinned torch accepts."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = sorted((ROOT / "snippets").rglob("*.txt"))


def fresh_doctest(path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "snippets")}
    return subprocess.run([sys.executable, "-m", "doctest", str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_every_snippet_passes_python_m_doctest_in_a_fresh_interpreter():
    assert SNIPPETS
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = dict(zip(SNIPPETS, pool.map(fresh_doctest, SNIPPETS)))
    failed = {str(p.relative_to(ROOT)): r.stdout + r.stderr for p, r in results.items() if r.returncode}
    assert not failed, failed
