"""Where fork is unsafe (macOS), each snippet runs in a fresh interpreter started
ahead (snipdoc/src/snipdoc/engine/spares.py). Run here on Linux through SNIPDOC_START=spawn: the
same outputs as the fork server, the same isolation against a sample of the
probes, timeouts and crashes handled the same way, no spare left behind."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

import test_isolation
from snipdoc.engine import spares
from snipdoc.engine.core import Engine
from sites import PRELOAD

# Each spawned run is a fresh interpreter, so isolation holds by construction: a few
# probes of each kind (the interpreter, numpy, torch, a thread) show the path works.
SAMPLE = ["builtins attribute", "numpy seed", "torch print options", "thread left running"]


@pytest.fixture
def spawn(monkeypatch):
    monkeypatch.setenv("SNIPDOC_START", "spawn")


def engine(project, cache=".cache", **kw) -> Engine:
    return Engine(project / "snippets", project / cache, **{"timeout": 20, "preload": PRELOAD, **kw})


def _ended(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except OSError:
        return True


def spare_pids() -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"snipdoc.engine.spares\0" in (entry / "cmdline").read_bytes():
                found.add(int(entry.name))
        except OSError:
            continue
    return found


def test_macos_spawns_and_linux_forks(monkeypatch):
    monkeypatch.delenv("SNIPDOC_START", raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert spares.mode() == "spawn"
    monkeypatch.setattr(sys, "platform", "linux")
    assert spares.mode() == "fork"


def test_spawned_and_forked_runs_print_the_same(tmp_path, monkeypatch):
    (tmp_path / "snippets").mkdir()
    (tmp_path / "snippets" / "s.txt").write_text(
        ">>> import torch, numpy, matplotlib.pyplot as plt\n>>> _ = torch.manual_seed(0)\n>>> torch.rand(3)\n"
        ">>> numpy.random.default_rng(0).random(2)\n>>> _ = plt.plot([1, 2], [2, 1])\n"
        ">>> torch.ones(1).requires_grad_().sum().grad_fn.name()\n", encoding="utf-8")
    results = {}
    for how in ("fork", "spawn"):
        monkeypatch.setenv("SNIPDOC_START", how)
        eng = engine(tmp_path, cache=how)
        try:
            results[how] = eng.result(eng.load("s.txt"), use_cache=False)
        finally:
            eng.close()
    assert [e["got"] for e in results["fork"]["examples"]] == [e["got"] for e in results["spawn"]["examples"]]
    assert results["spawn"]["examples"][2]["got"].startswith("tensor([")
    figures = {how: [f for e in r["examples"] for f in e["figures"]] for how, r in results.items()}
    assert figures["fork"] == figures["spawn"] != []


def test_a_sample_of_the_probes_prints_what_a_fresh_doctest_prints(spawn, tmp_path, tmp_path_factory):
    (tmp_path / "snippets").mkdir()
    before = spare_pids()
    eng = engine(tmp_path, jobs=1)
    try:
        differ = test_isolation.differing(eng, {k: test_isolation.PAIRS[k] for k in SAMPLE}, tmp_path,
                                          tmp_path_factory)
    finally:
        eng.close()
    assert not differ, differ
    assert spare_pids() <= before  # every spare stopped with the server


def test_timeouts_and_crashes_fail_alone(spawn, tmp_path):
    (tmp_path / "snippets").mkdir()
    for name, text in {"hang.txt": ">>> import time\n>>> time.sleep(60)\n",
                       "exit.txt": ">>> import os\n>>> os._exit(3)\n",
                       "ok.txt": ">>> 6 * 7\n42\n"}.items():
        (tmp_path / "snippets" / name).write_text(text, encoding="utf-8")
    eng = engine(tmp_path, timeout=4)
    try:
        results = {n: eng.result(eng.load(n), use_cache=False) for n in ("hang.txt", "exit.txt", "ok.txt")}
        scratch = eng.pool.scratch
    finally:
        eng.close()
    assert "timed out after 4 s" in results["hang.txt"]["crash"]
    assert "exited with code 3" in results["exit.txt"]["crash"]
    assert results["ok.txt"]["examples"][0]["got"] == "42\n"
    assert not os.path.exists(scratch)


def test_a_spare_that_died_waiting_is_replaced(spawn, tmp_path):
    (tmp_path / "snippets").mkdir()
    (tmp_path / "snippets" / "ok.txt").write_text(">>> 6 * 7\n42\n", encoding="utf-8")
    eng = engine(tmp_path)
    try:
        eng.pool.warm()
        deadline = time.monotonic() + 30
        while len(spare_pids()) < eng.pool.jobs and time.monotonic() < deadline:
            time.sleep(0.1)
        killed = spare_pids()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        # Dead once a zombie: its command line is empty earlier, while it is still exiting, and
        # the server would then take it for a live spare and hand it the snippet.
        while not all(_ended(pid) for pid in killed) and time.monotonic() < deadline:
            time.sleep(0.05)
        result = eng.result(eng.load("ok.txt"), use_cache=False)
    finally:
        eng.close()
    assert "crash" not in result, result
    assert result["examples"][0]["got"] == "42\n", result
