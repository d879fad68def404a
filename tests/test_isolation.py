"""The equivalence rule against snippets written to break it.

Each case is a setter snippet that changes some global state, then a probe
snippet that prints it. The engine runs the setter and then the probe (one at
a time, as a warm process would); the probe's outputs are written into the
probe file, which must then pass the reference command, `python -m doctest`
in a new interpreter (snipdoc/src/snipdoc/engine/reference.py). So the page shows exactly what a
fresh doctest gives, whatever ran before.

What a forked child still shares with, or lacks from, a fresh process is
tested at the end: descriptors, threads, torch's thread pool.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

from snipdoc.engine import reference
from snipdoc.engine.core import Engine
from sites import PRELOAD

T = ">>> import torch\n"
NP = ">>> import numpy as np\n"
PLT = ">>> import matplotlib\n>>> import matplotlib.pyplot as plt\n"

# name: (setter, probe); the probe must print the same in the engine as in a fresh process.
PAIRS = {
    "builtins attribute": (">>> import builtins; builtins.leaked = 1\n", ">>> import builtins; hasattr(builtins, 'leaked')\n"),
    "builtins._ of the last value": (">>> 42\n", ">>> import builtins; hasattr(builtins, '_')\n"),
    "decimal context": (">>> import decimal; decimal.getcontext().prec = 3\n",
                        ">>> import decimal; decimal.Decimal(1) / decimal.Decimal(7)\n"),
    "numpy print options": (NP + ">>> np.set_printoptions(precision=2)\n", NP + ">>> np.array([1 / 3])\n"),
    "numpy seterr": (NP + ">>> _ = np.seterr(all='raise')\n", NP + ">>> np.array([1.0]) / 0\n"),
    "numpy seed": (NP + ">>> np.random.seed(0)\n",
                   NP + ">>> x = np.random.rand(); np.random.seed(0); x == np.random.rand()\n"),
    "random seed": (">>> import random; random.seed(0)\n",
                    ">>> import random; x = random.random(); random.seed(0); x == random.random()\n"),
    "torch seed": (T + ">>> _ = torch.manual_seed(0)\n",
                   T + ">>> x = torch.rand(1); _ = torch.manual_seed(0); bool(x == torch.rand(1))\n"),
    "torch print options": (T + ">>> torch.set_printoptions(precision=1)\n", T + ">>> torch.tensor([1 / 3])\n"),
    "torch default dtype": (T + ">>> torch.set_default_dtype(torch.float64)\n", T + ">>> torch.tensor([1.]).dtype\n"),
    "torch default device": (T + ">>> torch.set_default_device('meta')\n", T + ">>> torch.ones(1).device\n"),
    "grad mode": (T + ">>> _ = torch.set_grad_enabled(False)\n", T + ">>> torch.is_grad_enabled()\n"),
    "anomaly mode": (T + ">>> torch.autograd.set_detect_anomaly(True)\n", T + ">>> torch.is_anomaly_enabled()\n"),
    "deterministic algorithms": (T + ">>> torch.use_deterministic_algorithms(True)\n",
                                 T + ">>> torch.are_deterministic_algorithms_enabled()\n"),
    "flush denormal": (T + ">>> torch.set_flush_denormal(True)\n", T + ">>> torch.tensor([1e-39]) * 1\n"),
    "matmul precision": (T + ">>> torch.set_float32_matmul_precision('medium')\n",
                         T + ">>> torch.get_float32_matmul_precision()\n"),
    "intra-op threads": (T + ">>> torch.set_num_threads(1)\n", T + ">>> torch.get_num_threads() == os_cpus()\n"),
    "interop threads": (T + ">>> torch.set_num_interop_threads(1)\n", T + ">>> torch.get_num_interop_threads() > 0\n"),
    "global module hook": (T + ">>> _ = torch.nn.modules.module.register_module_forward_hook(lambda m, i, o: print('hook'))\n",
                           T + ">>> torch.nn.Linear(1, 1)(torch.ones(1)).shape\n"),
    "torch function mode entered by hand": (
        T + ">>> from torch.overrides import TorchFunctionMode\n"
        ">>> class Loud(TorchFunctionMode):\n"
        "...     def __torch_function__(self, func, types, args=(), kwargs=None):\n"
        "...         print('mode')\n"
        "...         return func(*args, **(kwargs or {}))\n"
        ">>> _ = Loud().__enter__()\n",
        T + ">>> torch.ones(1) + 1\n"),
    "Tensor.__repr__ patched": (T + ">>> torch.Tensor.__repr__ = lambda self: 'patched'\n", T + ">>> torch.ones(1)\n"),
    "cudnn flags": (T + ">>> torch.backends.cudnn.benchmark = True\n", T + ">>> torch.backends.cudnn.benchmark\n"),
    "logging.basicConfig": (">>> import logging; logging.basicConfig()\n",
                            ">>> import logging, sys\n>>> logging.basicConfig(stream=sys.stdout, level=logging.INFO, format='%(message)s')\n>>> logging.info('hello')\n"),
    "TZ": (">>> import os, time; os.environ['TZ'] = 'Asia/Shanghai'; time.tzset()\n",
           ">>> import time; time.localtime(0).tm_hour\n"),
    "locale": (">>> import locale; _ = locale.setlocale(locale.LC_ALL, 'C')\n",
               ">>> import locale; locale.setlocale(locale.LC_CTYPE)\n>>> open('f.txt', 'w').write('激活函数')\n"),
    "umask": (">>> import os; _ = os.umask(0o077)\n", ">>> import os; oct(os.umask(0o022))\n"),
    "signal handler": (">>> import signal; _ = signal.signal(signal.SIGINT, signal.SIG_IGN)\n",
                       ">>> import signal; signal.getsignal(signal.SIGINT) is signal.default_int_handler\n"),
    "signal.alarm": (">>> import signal; signal.alarm(1)\n0\n", ">>> import time; time.sleep(1.5); print('alive')\n"),
    "thread left running": (
        ">>> import threading, time\n"
        ">>> threading.Thread(target=lambda: [time.sleep(0.5), print('late')], daemon=True).start()\n",
        ">>> import time; time.sleep(1); print('probe')\n"),
    "gc disabled": (">>> import gc; gc.disable()\n", ">>> import gc; gc.isenabled()\n"),
    "tempfile.tempdir": (">>> import tempfile; tempfile.tempdir = '/nonexistent'\n",
                         ">>> import tempfile; tempfile.tempdir is None\n"),
    "sys.stderr replaced": (">>> import io, sys; sys.stderr = io.StringIO()\n",
                            ">>> import sys; sys.stderr is sys.__stderr__\n"),
    "sys.stderr closed": (">>> import sys; sys.stderr.close()\n", ">>> print('ok')\n"),
    "sys.excepthook": (">>> import sys; sys.excepthook = print\n", ">>> import sys; sys.excepthook is sys.__excepthook__\n"),
    "recursion limit": (">>> import sys; sys.setrecursionlimit(100)\n", ">>> import sys; sys.getrecursionlimit()\n"),
    "sys.modules entry replaced": (">>> import sys, types; sys.modules['json'] = types.ModuleType('json')\n",
                                   ">>> import json; json.dumps([1])\n"),
    "import side effect": (">>> import this  # doctest: +ELLIPSIS\nThe Zen of Python, by Tim Peters\n...\n",
                           ">>> import this\n"),
    "matplotlib backend": (PLT + ">>> matplotlib.use('svg')\n", PLT + ">>> matplotlib.get_backend()\n"),
    "matplotlib interactive": (PLT + ">>> plt.ion()\n", PLT + ">>> plt.isinteractive()\n"),
    "matplotlib rc": (PLT + ">>> matplotlib.rcParams['lines.linewidth'] = 9\n", PLT + ">>> matplotlib.rcParams['lines.linewidth']\n"),
    "matplotlib figure left open": (PLT + ">>> _ = plt.figure()\n", PLT + ">>> plt.get_fignums()\n"),
    "warnings.showwarning": (">>> import warnings; warnings.showwarning = lambda *a, **k: print('W')\n",
                             ">>> import warnings; warnings.warn('x')\n"),
    "warnings filter": (">>> import warnings; warnings.simplefilter('error')\n",
                        ">>> import warnings; warnings.warn('x'); print('after')\n"),
    "environment variable": (">>> import os; os.environ['LEAKED'] = '1'\n", ">>> import os; 'LEAKED' in os.environ\n"),
    "working directory": (">>> import os; os.chdir('/')\n", ">>> import os; os.listdir('.')\n"),
    "sys.path": (">>> import sys; sys.path.insert(0, '/nonexistent-folder')\n",
                 ">>> import sys; '/nonexistent-folder' in sys.path\n"),
    # The process itself, as the reference command makes it.
    "argv": (">>> 1\n1\n", ">>> import os, sys; os.path.basename(sys.argv[0]), len(sys.argv)\n"),
    "argparse usage line": (">>> 1\n1\n", ">>> import argparse; argparse.ArgumentParser().format_usage()\n"),
    "globals and compiled file name": (">>> 1\n1\n", ">>> __name__, '__file__' in globals()\n"
                                       ">>> import inspect; inspect.currentframe().f_code.co_filename\n"),
    "sys.path order": (">>> 1\n1\n", ">>> import os, sys; sys.path[0] == os.getcwd(), os.path.basename(sys.path[1])\n"),
    "MPLBACKEND and backend": (">>> 1\n1\n", ">>> import os, matplotlib; 'MPLBACKEND' in os.environ, matplotlib.get_backend()\n"),
    "hash seed": (">>> 1\n1\n", ">>> list({'alpha', 'beta', 'gamma', 'delta', 'epsilon'})\n"),
    "stdin": (">>> 1\n1\n", ">>> import sys; sys.stdin.read()\n"),
    # Not a session leader (a fresh process is not either), so it may make its own group.
    "process session": (">>> 1\n1\n", ">>> import os; os.getsid(0) == os.getpid()\n>>> os.setpgrp()\n"),
}


def os_cpus() -> int:
    return len(os.sched_getaffinity(0))


def filled(probe: str, gots: list[str]) -> str:
    """The probe with the engine's outputs as its expected outputs."""
    import doctest

    out = []
    for example, got in zip(doctest.DocTestParser().get_examples(probe), gots):
        lines = example.source.rstrip("\n").split("\n")
        out += [">>> " + lines[0]] + ["... " + line for line in lines[1:]]
        out += [line if line.strip() else "<BLANKLINE>" for line in got.rstrip("\n").split("\n")] if got else []
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    (root / "snippets").mkdir()
    return root


def reference_run(path, tmp_path_factory) -> subprocess.CompletedProcess:
    cwd = tmp_path_factory.mktemp("fresh")
    return reference.run(path, path.parent, cwd, timeout=120)


def differing(engine, pairs, project, tmp_path_factory) -> dict[str, str]:
    """Each setter then its probe through the engine; the probes whose engine output
    a fresh doctest does not accept, with what it printed."""
    probes, crashed = {}, {}
    for i, (name, (setter, probe)) in enumerate(pairs.items()):
        probe = probe.replace("os_cpus()", str(os_cpus()))
        (project / "snippets" / f"set{i}.txt").write_text(setter, encoding="utf-8")
        path = project / "snippets" / f"probe{i}.txt"
        path.write_text(probe, encoding="utf-8")
        engine.result(engine.load(f"set{i}.txt"), use_cache=False)
        result = engine.result(engine.load(f"probe{i}.txt"), use_cache=False)
        if "crash" in result:
            crashed[name] = result["crash"]
            continue
        path.write_text(filled(probe, [r["got"] for r in result["examples"]]), encoding="utf-8")
        probes[name] = path
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(probes, pool.map(lambda p: reference_run(p, tmp_path_factory), probes.values())))
    return {name: run.stdout[-1500:] for name, run in runs.items() if run.returncode} | crashed


def test_every_probe_prints_what_a_fresh_doctest_prints(project, tmp_path_factory):
    engine = Engine(project / "snippets", project / ".cache", timeout=20, jobs=1, preload=PRELOAD)
    try:
        differ = differing(engine, PAIRS, project, tmp_path_factory)
    finally:
        engine.close()
    assert not differ, f"{len(differ)} of {len(PAIRS)} probes differ from a fresh doctest:\n" + "\n".join(
        f"--- {name}\n{out}" for name, out in differ.items())


# What the server preloads is configuration; isolation must not depend on it. The probes
# that use no torch, through a server that preloads nothing, or numpy only.
WITHOUT_TORCH = {name: pair for name, pair in PAIRS.items() if "torch" not in pair[0] + pair[1]}


@pytest.mark.parametrize("preload", [[], ["numpy"]], ids=["nothing", "numpy"])
def test_every_probe_holds_whatever_the_server_preloads(preload, project, tmp_path_factory):
    engine = Engine(project / "snippets", project / ".cache", timeout=20, jobs=1, preload=preload)
    try:
        differ = differing(engine, WITHOUT_TORCH, project, tmp_path_factory)
    finally:
        engine.close()
    assert not differ, f"preload {preload}: {len(differ)} of {len(WITHOUT_TORCH)} probes differ from a fresh " \
        "doctest:\n" + "\n".join(f"--- {name}\n{out}" for name, out in differ.items())
    assert len(WITHOUT_TORCH) >= 30


def test_there_are_at_least_forty_kinds_of_state():
    assert len(PAIRS) >= 40


def test_input_gets_eof_at_once_as_in_a_fresh_process(project):
    (project / "snippets" / "input.txt").write_text(
        ">>> input()\nTraceback (most recent call last):\n    ...\nEOFError: EOF when reading a line\n")
    engine = Engine(project / "snippets", project / ".cache", timeout=5, preload=PRELOAD)
    try:
        snippet = engine.load("input.txt")
        assert engine.problems(snippet, engine.result(snippet, use_cache=False)) == []
    finally:
        engine.close()


def test_what_a_forked_child_shares_with_the_server(project, tmp_path_factory):
    """A child holds 0, 1, 2 and its channel to the server, nothing else; one
    thread; torch's intra-op pool as a fresh process has it, not yet started.
    A fresh process has OpenBLAS's worker threads from numpy's import; a child
    gets them back on its first BLAS call, so numbers are the same (a thread
    count read before that call is not: the one known difference)."""
    probe = textwrap.dedent("""\
        >>> import os, torch, numpy
        >>> sorted(os.listdir('/proc/self/fd'))
        >>> torch.get_num_threads() == len(os.sched_getaffinity(0))
        >>> _ = torch.manual_seed(0)
        >>> a = torch.rand(600, 600, dtype=torch.float64)
        >>> float((a @ a).sum())
        >>> m = numpy.arange(360000, dtype=float).reshape(600, 600) / 360000
        >>> float((m @ m).sum())
    """)
    path = project / "snippets" / "shared.txt"
    path.write_text(probe)
    engine = Engine(project / "snippets", project / ".cache", timeout=30, preload=PRELOAD)
    try:
        result = engine.result(engine.load("shared.txt"), use_cache=False)
    finally:
        engine.close()
    gots = [r["got"] for r in result["examples"]]
    fds = eval(gots[1])
    assert len(fds) == 5 and fds[:3] == ["0", "1", "2"]  # and the channel, and the listing itself
    assert gots[2] == "True\n"
    # A fresh process lists one descriptor fewer (no channel) and prints the same numbers.
    gots[1] = "['0', '1', '2', '3']\n"
    path.write_text(filled(probe, gots))
    run = reference_run(path, tmp_path_factory)
    assert run.returncode == 0, run.stdout
