"""The equivalence proof as tests/test_equivalence.py runs it: the reference
command (snipdoc/reference.py), fresh, for every file, one per CPU at a time.

Run as ``python -m bench.equivalence SNIPPETS_DIR FILE...``; exits non-zero,
naming the files, if one fails. Nothing of the engine runs: each file costs
a new interpreter that imports torch, as the proof requires.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from snipdoc import reference


def fresh_doctest(path: Path, snippets_dir: Path) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="reference-") as cwd:
        return subprocess.run(reference.command(path), cwd=cwd, env=reference.environment(snippets_dir),
                              capture_output=True, text=True, timeout=300)


def main() -> int:
    snippets_dir = Path(sys.argv[1]).resolve()
    files = [Path(f) for f in sys.argv[2:]]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(lambda p: fresh_doctest(p, snippets_dir), files))
    failed = [f"{p}:\n{r.stdout}{r.stderr}" for p, r in zip(files, results) if r.returncode]
    for message in failed:
        print(message)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
