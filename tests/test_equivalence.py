"""The equivalence rule: what the site shows for a snippet is exactly what the
reference command (snipdoc/src/snipdoc/engine/reference.py) accepts: a fresh `python -m doctest
FILE` in a new empty folder, with the pinned environment. This test is the
proof, independent of the engine: it runs that command, nothing of snipdoc's
engine. Snippets proven earlier on this machine with the same inputs (see
snipdoc/src/snipdoc/engine/proofs.py) are not run again; SNIPDOC_PROVE_ALL=1 runs every one."""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from snipdoc.engine import cache, proofs
from snipdoc.integration.extension import options_from

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = sorted((ROOT / "snippets").rglob("*.txt"))
RECORD = None if os.environ.get("SNIPDOC_PROVE_ALL") else ROOT / ".cache" / "proofs"
# The packages whose versions the build keys its cache on: a new version proves every snippet again.
OPTIONS = options_from(ROOT / "mkdocs.yml")
PACKAGES = cache.packages(OPTIONS.get("preload", []), OPTIONS.get("versions") or None)


_PROOF: dict = {}


def start_proof(workers: int | None = None) -> None:
    """Start the proof in the background (conftest.py does, as the session starts, on one
    CPU: on a clean checkout it starts a fresh interpreter per snippet for minutes, and
    runs beside tests that mostly wait on a browser or a server)."""
    if "result" not in _PROOF:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="proof")
        _PROOF["result"] = pool.submit(proofs.prove, SNIPPETS, ROOT / "snippets", RECORD, PACKAGES, workers)
        pool.shutdown(wait=False)


def test_every_snippet_passes_the_reference_command(capsys):
    assert SNIPPETS
    start_proof()
    ran, failed = _PROOF["result"].result()
    with capsys.disabled():
        print(f"\nequivalence: {len(ran)} of {len(SNIPPETS)} snippets run fresh, "
              f"{len(SNIPPETS) - len(ran)} proven before with the same inputs", end=" ")
    assert not failed, {str(p.relative_to(ROOT)): out for p, out in failed.items()}
