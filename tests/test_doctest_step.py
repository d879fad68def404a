"""`make test`'s doctest step (snippets/conftest.py): every snippet in a forked
copy of pytest, two at once where there are two CPUs, reports in pytest's order,
a failure reported against its own snippet, a hang stopped."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from snipdoc.engine import reference

ROOT = Path(__file__).resolve().parent.parent
PYTEST_INI = "[pytest]\ntestpaths = snippets\naddopts = --doctest-glob=*.txt -p no:cacheprovider\n"

# Each leaves a mark and waits up to 5 s for the other's: both see it only if they ran at once.
MEET = """\
>>> import os, time
>>> here, other = {here!r}, {other!r}
>>> open(here, "w").close()
>>> deadline = time.monotonic() + 5
>>> while not os.path.exists(other) and time.monotonic() < deadline:
...     time.sleep(0.01)
>>> os.path.exists(other)
True
"""


def run_pytest(root: Path, snippets: dict[str, str], timeout_s: int | None = None) -> subprocess.CompletedProcess:
    (root / "snippets").mkdir(parents=True)
    (root / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    conftest = (ROOT / "snippets" / "conftest.py").read_text(encoding="utf-8")
    if timeout_s is not None:
        conftest = re.sub(r"^TIMEOUT = \d+", f"TIMEOUT = {timeout_s}", conftest, flags=re.M)
    (root / "snippets" / "conftest.py").write_text(conftest, encoding="utf-8")
    for name, text in snippets.items():
        (root / "snippets" / name).write_text(text, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "pytest", "-v"], cwd=root,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(reference.cpus() < 2, reason="needs two CPUs to run two snippets at once")
def test_two_snippets_run_at_once_and_report_in_order(tmp_path):
    meet = tmp_path / "meet"
    meet.mkdir()
    snippets = {
        "a.txt": MEET.format(here=str(meet / "a"), other=str(meet / "b")),
        "b.txt": MEET.format(here=str(meet / "b"), other=str(meet / "a")),
        "c.txt": ">>> 1 + 1\n3\n",
        "d.txt": ">>> import torch\n>>> torch.tensor([1., 2.]).sum()\ntensor(3.)\n",
    }
    run = run_pytest(tmp_path / "p", snippets)
    lines = [ln for ln in run.stdout.splitlines() if re.match(r"snippets/\w\.txt::", ln)]
    assert [ln.split("::")[0] for ln in lines] == [f"snippets/{n}.txt" for n in "abcd"], run.stdout
    assert [ln.split()[1] for ln in lines] == ["PASSED", "PASSED", "FAILED", "PASSED"], run.stdout
    assert "Expected:\n    3\nGot:\n    2" in run.stdout
    assert run.returncode == 1


def test_a_hanging_snippet_is_stopped_and_the_rest_still_run(tmp_path):
    snippets = {"a.txt": ">>> import time\n>>> time.sleep(60)\n", "b.txt": ">>> 2 * 3\n6\n"}
    run = run_pytest(tmp_path / "p", snippets, timeout_s=3)
    assert "the process running this snippet ended" in run.stdout, run.stdout
    assert re.search(r"snippets/b\.txt::b\.txt PASSED", run.stdout), run.stdout
    assert "1 failed, 1 passed" in run.stdout
