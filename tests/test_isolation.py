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
# How the engine's own machinery shows (its hooks, its reports, its recorder), which does not
# depend on what the server preloads: run once, with the notes' preload list.
MECHANICS = {
    # The preloaded packages, and the warnings filters their imports add, are not there before.
    "preloaded packages not yet imported": (
        ">>> 1\n1\n", ">>> import sys, warnings; 'torch' in sys.modules, 'numpy' in sys.modules, len(warnings.filters)\n"),
    # The engine's audit hook must not fail an open() after the working folder is gone.
    "working folder deleted": (">>> 1\n1\n", ">>> import os, tempfile; d = tempfile.mkdtemp(); os.chdir(d); os.rmdir(d)\n"
                               ">>> open('notes.txt')\n"),
    # Descriptors a snippet closes, or a process it leaves holding them, are no channel of the engine's.
    "every descriptor closed": (">>> 1\n1\n", ">>> import os; os.closerange(3, 1 << 16); print('still here')\n"),
    "process left holding the descriptors": (
        ">>> 1\n1\n", ">>> import os, time\n>>> if os.fork() == 0:\n...     os.closerange(0, 3); time.sleep(60); os._exit(0)\n"
        ">>> print('done')\n"),
    # doctest runs, without reporting them, the examples after a failure that carry this flag.
    "REPORT_ONLY_FIRST_FAILURE": (">>> 1\n1\n", ">>> 1  # doctest: +REPORT_ONLY_FIRST_FAILURE\n2\n"
                                  ">>> print('quiet')  # doctest: +REPORT_ONLY_FIRST_FAILURE\n>>> print('next')\n"),
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


# Filled probe text -> its fresh doctest. The tests below run the same probes through
# servers that preload different things: where the engine printed the same, the file is
# byte for byte the same, and a fresh interpreter given it prints what it printed before.
_FRESH_RUNS: dict[str, subprocess.CompletedProcess] = {}


def reference_run(path, tmp_path_factory) -> subprocess.CompletedProcess:
    text = path.read_text(encoding="utf-8")
    if text not in _FRESH_RUNS:
        _FRESH_RUNS[text] = reference.run(path, path.parent, tmp_path_factory.mktemp("fresh"), timeout=120)
    return _FRESH_RUNS[text]


def differing(engine, pairs, project, tmp_path_factory) -> dict[str, str]:
    """Each setter then its probe through the engine; the probes whose engine output
    a fresh doctest does not accept, with what it printed."""
    runs, crashed = {}, {}
    # Each probe's fresh doctest starts as soon as the engine has printed it, beside the
    # engine's next runs (which use one CPU at a time).
    with ThreadPoolExecutor(max_workers=2) as pool:
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
            runs[name] = pool.submit(reference_run, path, tmp_path_factory)
        runs = {name: run.result() for name, run in runs.items()}
    return {name: run.stdout[-1500:] for name, run in runs.items() if run.returncode} | crashed


def test_every_probe_prints_what_a_fresh_doctest_prints(project, tmp_path_factory):
    engine = Engine(project / "snippets", project / ".cache", timeout=20, jobs=1, preload=PRELOAD)
    try:
        differ = differing(engine, PAIRS | MECHANICS, project, tmp_path_factory)
    finally:
        engine.close()
    total = len(PAIRS) + len(MECHANICS)
    assert not differ, f"{len(differ)} of {total} probes differ from a fresh doctest:\n" + "\n".join(
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


SHARED = textwrap.dedent("""\
    >>> import os, torch, numpy
    >>> sorted(os.listdir('/proc/self/fd'))
    >>> torch.get_num_threads() == len(os.sched_getaffinity(0))
    >>> _ = torch.manual_seed(0)
    >>> a = torch.rand(600, 600, dtype=torch.float64)
    >>> float((a @ a).sum())
    >>> m = numpy.arange(360000, dtype=float).reshape(600, 600) / 360000
    >>> float((m @ m).sum())
""")


def test_what_a_forked_child_shares_with_the_server(runs, project, tmp_path_factory):
    """A child holds 0, 1, 2, nothing else (it reports through a file); one
    thread; torch's intra-op pool as a fresh process has it, not yet started.
    A fresh process has OpenBLAS's worker threads from numpy's import; a child
    gets them back on its first BLAS call, so numbers are the same (a thread
    count read before that call is not: the one known difference)."""
    result = runs[0]["shared.txt"]
    gots = [r["got"] for r in result["examples"]]
    assert gots[1] == "['0', '1', '2', '3']\n"  # and the listing itself, as in a fresh process
    assert gots[2] == "True\n"
    assert not rejected({"shared.txt": result}, project, tmp_path_factory)


# A snippet that configures what a preloaded library reads at import time, then imports it,
# must get what a fresh process gives: the engine sees the change and runs it in a new
# interpreter. "__main__" tells the two paths apart: the fork server's module, or a spare's.
CONFIGURED = {
    "OMP_NUM_THREADS before import torch": ">>> import os; os.environ['OMP_NUM_THREADS'] = '1'\n"
                                           ">>> import torch; torch.get_num_threads()\n",
    "MPLBACKEND before import matplotlib": ">>> import os; os.environ['MPLBACKEND'] = 'svg'\n"
                                           ">>> import matplotlib; matplotlib.get_backend()\n",
    "logging before import matplotlib.pyplot": (
        ">>> import logging, sys\n"
        ">>> logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format='%(name)s')\n"
        ">>> import matplotlib.pyplot\n"),
    "warnings filter before import numpy": ">>> import warnings; warnings.simplefilter('error')\n"
                                           ">>> import numpy as np; _ = np.polyfit([1., 2., 3.], [1., 2., 3.], 5)\n",
}
WHERE = ">>> import __main__; __main__.__spec__.name\n"
FORKED, FRESH = "'snipdoc.engine.forkserver'\n", "'snipdoc.engine.spares'\n"

# Known differences (snipdoc/docs/internals.md): the engine prints one thing, the reference
# another. If one disappears, this fails, and the list of known differences must lose it.
KNOWN = {
    "__main__ is the server's module": (WHERE, FORKED, "'doctest'\n"),
    "the recorder's stdout": (">>> import sys; type(sys.stdout).__module__\n", "'snipdoc.engine.run'\n", "'__main__'\n"),
    "more frames under the snippet": (
        ">>> import inspect; any(f.filename.endswith('forkserver.py') for f in inspect.stack())\n", "True\n", "False\n"),
}


def exits_snippet(record) -> str:
    return textwrap.dedent(f"""\
        >>> import atexit, multiprocessing as mp
        >>> from multiprocessing import util
        >>> q = mp.Queue(); q.put(1); q.get()
        1
        >>> _ = open({str(record)!r}, 'w').write(util.get_temp_dir())
        >>> _ = atexit.register(lambda: open({str(record)!r}, 'a').write('\\nbye'))
    """)


@pytest.fixture(scope="module")
def runs(project):
    """The single-snippet cases below, through one engine, two at a time: results by file name.
    The twins go through the cache and its in-flight de-duplication, as a build's pages do."""
    files = {f"configured{i}.txt": text + WHERE for i, text in enumerate(CONFIGURED.values())}
    files["plain.txt"] = T + ">>> import os; _ = os.environ.get('X')\n" + WHERE
    files["configured_after.txt"] = T + ">>> import os; os.environ['OMP_NUM_THREADS'] = '1'\n" + WHERE
    files |= {f"known{i}.txt": probe for i, (probe, _, _) in enumerate(KNOWN.values())}
    files["exits.txt"] = exits_snippet(project / "exit_record")
    files["shared.txt"] = SHARED
    files["twin_a.txt"] = files["twin_b.txt"] = ">>> import os, sys; os.path.basename(sys.argv[-1])\n"
    for name, text in files.items():
        (project / "snippets" / name).write_text(text, encoding="utf-8")
    engine = Engine(project / "snippets", project / ".cache", timeout=60, jobs=2, preload=PRELOAD)
    try:
        futures = {name: engine.submit(engine.load(name)) if name.startswith("twin") else
                   engine.pool.submit(project / "snippets" / name, name) for name in files}
        results = {name: future.result() for name, future in futures.items()}
    finally:
        engine.close()
    exit_record = (project / "exit_record").read_text()
    (project / "exit_record").unlink()
    return results, exit_record


def rejected(results: dict[str, dict], project, tmp_path_factory) -> dict[str, str]:
    """The files whose engine outputs the reference command does not accept, with what it printed."""
    paths = {}
    for name, result in results.items():
        path = project / "snippets" / name
        if "crash" in result:
            paths[name] = result["crash"]
            continue
        path.write_text(filled(path.read_text(encoding="utf-8"), [r["got"] for r in result["examples"]]),
                        encoding="utf-8")
    todo = [n for n in results if n not in paths]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(lambda n: reference_run(project / "snippets" / n, tmp_path_factory), todo)
    return {**paths, **{n: run.stdout[-1500:] for n, run in zip(todo, done) if run.returncode}}


def test_configuring_an_import_before_it_gets_a_fresh_interpreter(runs, project, tmp_path_factory):
    results = runs[0]
    where = {name: r.get("examples", [{}])[-1].get("got") for name, r in results.items()}
    assert where["plain.txt"] == FORKED, "a snippet that configures nothing is forked"
    assert where["configured_after.txt"] == FORKED, "configured after its import: no effect, forked"
    configured = {f"configured{i}.txt": label for i, label in enumerate(CONFIGURED)}
    assert {where[name] for name in configured} == {FRESH}, where
    for name in configured:  # the reference prints 'doctest' there: a known difference
        results[name]["examples"][-1]["got"] = "'doctest'\n"
    differ = rejected({name: results[name] for name in configured}, project, tmp_path_factory)
    assert not differ, "\n".join(f"--- {configured[name]}\n{out}" for name, out in differ.items())


def test_two_files_with_the_same_bytes_are_two_runs(runs, project, tmp_path_factory):
    results = runs[0]
    assert not rejected({name: results[name] for name in ("twin_a.txt", "twin_b.txt")}, project, tmp_path_factory)


def test_exit_handlers_run_as_in_a_fresh_interpreter(runs, project, tmp_path_factory):
    """multiprocessing's exit handler removes its pymp-* folder; an atexit handler runs."""
    results, engine_record = runs
    assert [r["status"] for r in results["exits.txt"]["examples"]] == ["ok"] * 5, results["exits.txt"]
    assert reference_run(project / "snippets" / "exits.txt", tmp_path_factory).returncode == 0
    for how, record in (("engine", engine_record), ("reference", (project / "exit_record").read_text())):
        folder, bye = record.split("\n")
        assert "pymp-" in folder and not os.path.exists(folder), (how, folder)
        assert bye == "bye", how


def test_the_known_differences_are_as_documented(runs, project, tmp_path_factory):
    results = {f"known{i}.txt": runs[0][f"known{i}.txt"] for i in range(len(KNOWN))}
    for (name, result), (label, (_, engine_prints, fresh_prints)) in zip(results.items(), KNOWN.items()):
        assert result["examples"][0]["got"] == engine_prints, label
        result["examples"][0]["got"] = fresh_prints
    assert not rejected(results, project, tmp_path_factory)
