"""A cold build that runs two snippets at once writes the same site, byte for
byte, as one that runs them one at a time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from sites import EXTENSIONS, PRELOAD, config


def mkdocs_yml(jobs: int) -> str:
    return config({"jobs": jobs}, extensions=EXTENSIONS[1:], plugins=["search", "snipdoc"])


# Two snippets that only run together if two children run at once: each leaves a
# mark and waits for the other's. What each saw goes to a file, not to its output,
# so the page is the same either way.
MEET = """\
>>> import os, time
>>> here, other = {here!r}, {other!r}
>>> open(here, "w").close()
>>> deadline = time.monotonic() + 4
>>> while not os.path.exists(other) and time.monotonic() < deadline:
...     time.sleep(0.01)
>>> _ = open(here + ".saw", "w").write(str(os.path.exists(other)))
"""

SNIPPETS = {
    "tensor.txt": ">>> import torch\n>>> _ = torch.manual_seed(0)\n>>> torch.rand(2, 3)\n"
                  ">>> torch.softmax(torch.linspace(-1, 1, 4), dim=0)\n",
    "error.txt": ">>> import torch\n>>> w = torch.full([1], 2)\n>>> w.requires_grad_()\n"
                 "Traceback (most recent call last):\n",
    "figure.txt": ">>> import torch\n>>> import matplotlib.pyplot as plt\n>>> x = torch.linspace(-4, 4, 50)\n"
                  ">>> fig, ax = plt.subplots(figsize=(3, 2))\n>>> _ = ax.plot(x, torch.sigmoid(x), label='sigmoid')\n"
                  ">>> _ = ax.legend()\n>>> print('drawn')\n",
}


def _build(root: Path, jobs: int) -> tuple[dict[str, bytes], list[str]]:
    (root / "mkdocs.yml").write_text(mkdocs_yml(jobs), encoding="utf-8")
    shutil.rmtree(root / ".cache", ignore_errors=True)
    shutil.rmtree(root / "site", ignore_errors=True)
    meet = root / "meet"
    shutil.rmtree(meet, ignore_errors=True)
    meet.mkdir()
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=root, capture_output=True,
                         text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1",
                                                      "SOURCE_DATE_EPOCH": "1700000000"})
    assert run.returncode == 0, run.stderr
    assert "snippets: 5 executed, 0 from the cache" in run.stderr, run.stderr
    site = root / "site"
    files = {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}
    return files, [(meet / f"{name}.saw").read_text() for name in ("a", "b")]


def test_two_at_once_builds_the_same_site_as_one_at_a_time(tmp_path):
    root = tmp_path
    meet = root / "meet"
    snippets = dict(SNIPPETS)
    snippets["meet_a.txt"] = MEET.format(here=str(meet / "a"), other=str(meet / "b"))
    snippets["meet_b.txt"] = MEET.format(here=str(meet / "b"), other=str(meet / "a"))
    (root / "snippets").mkdir()
    for name, text in snippets.items():
        (root / "snippets" / name).write_text(text, encoding="utf-8")
    (root / "docs").mkdir()
    # The meeting snippets come first, so two children start them together.
    (root / "docs" / "index.md").write_text(
        "# 首页\n\n::: snippet meet_a.txt\n\n::: snippet meet_b.txt\n\n::: snippet tensor.txt\n", encoding="utf-8")
    (root / "docs" / "more.md").write_text(
        "# 更多\n\n::: snippet figure.txt\n\n::: snippet error.txt\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text(mkdocs_yml(2), encoding="utf-8")
    recorded = [str(root / "snippets" / name) for name in SNIPPETS]
    record = subprocess.run([sys.executable, "-m", "snipdoc", "record", *recorded], cwd=root,
                            capture_output=True, text=True, timeout=300)
    assert record.returncode == 0, record.stderr

    one, met_one = _build(root, jobs=1)
    two, met_two = _build(root, jobs=2)

    assert met_two == ["True", "True"], "jobs: 2 did not run two snippets at once"
    assert met_one != ["True", "True"], "jobs: 1 ran two snippets at once"
    more = one["more/index.html"].decode()
    assert 'src="../assets/figures/' in more, "the figure is missing"
    assert "only Tensors of floating point dtype can require gradients" in more
    assert sorted(two) == sorted(one)
    differ = [name for name in one if one[name] != two[name]]
    assert not differ, f"files differ between jobs: 1 and jobs: 2: {differ}"


def _anon_huge_kb(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("AnonHugePages:"))


def test_a_long_queue_moves_the_server_to_huge_pages_and_prints_the_same(tmp_path):
    """A queue of COLLAPSE_AT snippets or more makes the server back its heap with huge
    pages; each snippet prints what it prints when run alone."""
    from snipdoc.engine import forkserver
    from snipdoc.engine.core import Engine

    (tmp_path / "snippets").mkdir()
    count = forkserver.COLLAPSE_AT + 6
    for i in range(count):
        (tmp_path / "snippets" / f"s{i:03d}.txt").write_text(
            f">>> import torch, numpy\n>>> _ = torch.manual_seed({i})\n>>> torch.rand(3)\n"
            f">>> numpy.random.default_rng({i}).random(2)\n", encoding="utf-8")
    outputs = []
    for prefetch in (True, False):
        engine = Engine(tmp_path / "snippets", tmp_path / f"cache-{prefetch}", timeout=30, preload=PRELOAD)
        try:
            snippets = [engine.load(f"s{i:03d}.txt") for i in range(count)]
            if prefetch:  # all queued at once
                [f.result() for f in engine.prefetch(snippets)]
                huge = _anon_huge_kb(engine.pool.proc.pid)
            outputs.append([[e["got"] for e in engine.result(s)["examples"]] for s in snippets])
            if not prefetch:  # one at a time: the queue never grew
                alone = _anon_huge_kb(engine.pool.proc.pid)
        finally:
            engine.close()
    assert outputs[0] == outputs[1] and all(o[2].startswith("tensor([") for o in outputs[0])
    thp = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    mode = thp.read_text() if thp.exists() else "[never]"
    release = tuple(int(x) for x in re.findall(r"\d+", os.uname().release)[:2])
    if "[never]" not in mode and release >= (6, 1):  # where Linux can (this project's CI can)
        assert huge > 0
    if "[madvise]" in mode:  # huge pages only where asked for: the short queue never asked
        assert alone == 0
