"""The reference every page output must equal, defined once.

A snippet's output on the site is what this command prints, run in a new empty
folder as the working directory::

    env -i <environment(snippets_dir)> python -m doctest /abs/path/snippets/ch12/x.txt

The engine starts its processes with the same environment and gives each
snippet the same argv, sys.path order and working folder;
tests/test_equivalence.py runs this exact command. Variables that could change
what a snippet prints are pinned (hash seed, encoding, time zone, locale) or
passed through and put in the cache key (thread counts); everything else in
the caller's environment is left out, so a stray MPLBACKEND or PYTHONWARNINGS
cannot make one machine print differently.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PINNED = {
    "PYTHONHASHSEED": "0",  # set and dict order of strings is the same in every run
    "PYTHONUTF8": "1",  # open() and the streams are UTF-8 whatever the locale
    "LC_ALL": "C.UTF-8",
    "LANG": "C.UTF-8",
    "TZ": "UTC",
    # Idle OpenMP threads sleep instead of spinning: with a process per snippet, spinning
    # threads only take CPU from the snippets running beside them. Numbers are unchanged.
    "OMP_WAIT_POLICY": "PASSIVE",
}
# Needed to find programs and caches (matplotlib's font cache lives under HOME).
PASSED = ("PATH", "HOME", "TMPDIR", "SYSTEMROOT", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "MPLCONFIGDIR")
# Thread counts change the order of float sums, so they are passed and keyed.
KEYED = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def environment(snippets_dir: Path) -> dict[str, str]:
    env = {k: os.environ[k] for k in PASSED + KEYED if k in os.environ}
    env.update(PINNED)
    env["PYTHONPATH"] = str(snippets_dir)  # helper modules next to the snippets import
    return env


def command(path: Path) -> list[str]:
    return [sys.executable, "-m", "doctest", str(Path(path).resolve())]


def run(path: Path, snippets_dir: Path, cwd: Path, timeout: float | None = None) -> subprocess.CompletedProcess:
    """The reference command, as every caller runs it: in cwd (a new empty folder), with
    this environment, stdin at /dev/null (as a snippet's own process has it)."""
    return subprocess.run(command(path), cwd=cwd, env=environment(snippets_dir), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def cpus() -> int:
    """CPUs this process may run on (fewer than the machine's in a container or under taskset)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# torch's vectorised kernels come in an AVX-512 and an AVX2 build, picked at run time
# (ATen's CPU_CAPABILITY): the two print different last digits for some functions
# (GELU, measured). These flags decide which one runs.
AVX512 = {"avx512f", "avx512bw", "avx512vl", "avx512dq", "fma"}
AVX2 = {"avx2", "fma"}


def vector_unit(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The vector instruction set CPU-dispatching libraries pick on this machine: the
    build cache and the proof record, restored on another machine (a CI runner of another
    CPU model), then re-run rather than reuse a result from the other kernel."""
    try:
        with open(cpuinfo, encoding="utf-8") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        flags = ""
    if not flags:  # not Linux on x86: the processor's name is the best key at hand
        return platform.processor() or platform.machine()
    have = set(flags.partition(":")[2].split())
    return "avx512" if AVX512 <= have else "avx2" if AVX2 <= have else "baseline"


def keyed() -> dict:
    """What of the machine can change outputs without changing any file: part of the cache key."""
    return {"env": {k: os.environ.get(k) for k in KEYED}, "pinned": PINNED, "cpus": cpus(),
            "vector_unit": vector_unit()}


def version(name: str) -> str | None:
    """The installed version of a distribution, or of the one that provides this
    import name (sklearn: scikit-learn), read without importing it; None if absent."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        pass
    for dist in metadata.packages_distributions().get(name, []):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


# The platform the recorded outputs belong to (the ``reference_platform`` option,
# e.g. the one CI runs on): {"os", "machine", "python"} and any package versions,
# such as {"torch": "2.13.0+cpu"}. On it a changed output fails the build; elsewhere
# the site still builds, shows this machine's outputs with a notice where they
# differ, and lists them. With none declared, every machine is the reference.
BASE = ("os", "machine", "python")


def declared(configured: dict | None) -> dict | None:
    # Tests simulate another reference (so this machine is not it) through this variable.
    override = os.environ.get("SNIPDOC_REFERENCE_PLATFORM")
    return json.loads(override) if override else (dict(configured) if configured else None)


def platform_here(env: dict, platform: dict | None) -> dict:
    """This machine, described with the fields of the declared platform
    (env: cache.environment(); versions it lacks are read from the installed packages)."""
    here = {"os": env["os"], "machine": env["machine"], "python": ".".join(env["python"].split()[0].split(".")[:2])}
    for name in platform or {}:
        if name not in BASE:
            here[name] = env[name] if name in env else version(name)
    return here


def on_reference(env: dict, platform: dict | None) -> bool:
    return not platform or platform_here(env, platform) == platform
