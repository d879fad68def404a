"""The engine stands alone: its wheel, installed into a fresh virtual environment
without torch, builds a small site whose snippets use only the standard library
and numpy, with the same guarantees (a failing snippet fails the build; each
snippet runs in a process of its own). Figures are drawn where matplotlib is
installed and left out cleanly where it is not, so two environments are made:
one without matplotlib, one with it.

The environments are kept under .cache/standalone/, keyed by the wheel's inputs
(snipdoc/pyproject.toml, its README and its source) and this Python, so only an
edit of the engine pays for new ones; packages come from PyPI through pip's cache."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import venv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "snipdoc"
CACHE = ROOT / ".cache" / "standalone"
# Both environments get the MkDocs extra and numpy; only the second gets matplotlib.
PACKAGES = {"plain": ["numpy"], "figures": ["numpy", "matplotlib"]}

SNIPPETS = {
    "stdlib.txt": ">>> import json, statistics\n>>> statistics.mean([1, 2, 3, 4])\n2.5\n"
                  ">>> json.dumps({'b': 1, 'a': [1, 2]}, sort_keys=True)\n'{\"a\": [1, 2], \"b\": 1}'\n",
    "numbers.txt": ">>> import numpy as np\n>>> np.arange(6).reshape(2, 3).sum(axis=0)\narray([3, 5, 7])\n"
                   ">>> np.set_printoptions(precision=2)\n>>> np.array([1 / 3])\narray([0.33])\n",
    # The previous snippet's print options died with its process.
    "fresh.txt": ">>> import numpy as np\n>>> np.array([1 / 3])\narray([0.33333333])\n",
}
FIGURE = (">>> import numpy as np\n>>> import matplotlib.pyplot as plt\n>>> fig, ax = plt.subplots(figsize=(2, 2))\n"
          ">>> _ = ax.plot(np.arange(3), np.arange(3) ** 2)\n")
FAILING = ">>> import numpy as np\n>>> np.ones(2) / 0\narray([inf, inf])\n>>> 1 / 0\n"


def _inputs() -> list[Path]:
    """What the wheel is built from."""
    return [ENGINE / "pyproject.toml", ENGINE / "README.md",
            *sorted(p for p in (ENGINE / "src").rglob("*") if p.is_file() and p.suffix != ".pyc"
                    and not any(part.endswith(".egg-info") for part in p.parts))]


def _key() -> str:
    h = hashlib.sha256(sys.version.encode())
    for path in _inputs():
        h.update(path.relative_to(ENGINE).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    run = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=900, **kw)
    assert run.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


_ENVIRONMENTS: dict = {}


def start_environments() -> None:
    """Make the environments in the background (conftest.py starts this as the session
    starts: on a clean checkout pip takes a minute or two, beside tests that wait)."""
    if "result" not in _ENVIRONMENTS:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="standalone")
        _ENVIRONMENTS["result"] = pool.submit(_make_environments)
        pool.shutdown(wait=False)


@pytest.fixture(scope="module")
def environments() -> dict[str, Path]:
    """{name: python} of the two environments, made once per version of the engine's inputs."""
    start_environments()
    return _ENVIRONMENTS["result"].result()


def _make_environments() -> dict[str, Path]:
    here = CACHE / _key()
    if not (here / "ready").exists():
        if CACHE.exists():  # environments of earlier engine versions
            for old in CACHE.iterdir():
                shutil.rmtree(old, ignore_errors=True)
        # Built from a copy of its inputs, so the checkout gets no build folders, by this
        # environment's own setuptools: no download for the build.
        source = here / "source"
        for path in _inputs():
            (source / path.relative_to(ENGINE)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / path.relative_to(ENGINE))
        wheels = here / "wheel"
        _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
              "-w", wheels, source])
        [wheel] = wheels.glob("snipdoc-*.whl")
        def make(name: str) -> None:
            venv.create(here / name, with_pip=True, clear=True)
            _run([here / name / "bin" / "python", "-m", "pip", "install", "--quiet", f"{wheel}[mkdocs]",
                  *PACKAGES[name]])

        with ThreadPoolExecutor(max_workers=len(PACKAGES)) as pool:
            list(pool.map(make, PACKAGES))
        (here / "ready").touch()
    return {name: here / name / "bin" / "python" for name in PACKAGES}


def _site(root: Path, preload: list[str], snippets: dict[str, str]) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "snippets").mkdir()
    (root / "mkdocs.yml").write_text(
        "site_name: t\nmarkdown_extensions:\n  - snipdoc:\n"
        f"      preload: [{', '.join(preload)}]\n      timeout: 30\nplugins:\n  - snipdoc\n", encoding="utf-8")
    (root / "docs" / "index.md").write_text(
        "# t\n\n" + "\n\n".join(f"::: snippet {name}" for name in snippets) + "\n", encoding="utf-8")
    for name, text in snippets.items():
        (root / "snippets" / name).write_text(text, encoding="utf-8")
    return root


def _build(python: Path, root: Path) -> subprocess.CompletedProcess:
    # The environment's own interpreter, without the test run's variables that could
    # reach packages outside it.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run([str(python), "-m", "mkdocs", "build", "--strict"], cwd=root, capture_output=True,
                          text=True, timeout=300, env={**env, "NO_MKDOCS_2_WARNING": "1"})


def test_the_wheel_needs_no_torch(environments):
    for python in environments.values():
        absent = subprocess.run([str(python), "-c", "import torch"], capture_output=True, text=True)
        assert absent.returncode != 0 and "No module named 'torch'" in absent.stderr
        _run([python, "-m", "snipdoc", "--help"])
        _run([python, "-m", "pip", "check"])
    plain = subprocess.run([str(environments["plain"]), "-c", "import matplotlib"], capture_output=True)
    assert plain.returncode != 0  # the environment where figures must be left out cleanly


@pytest.mark.parametrize("name", list(PACKAGES))
def test_a_numpy_and_standard_library_site_builds(environments, name, tmp_path):
    snippets = dict(SNIPPETS)
    if name == "figures":
        snippets["figure.txt"] = FIGURE
    root = _site(tmp_path, ["numpy"] + (["matplotlib.pyplot"] if name == "figures" else []), snippets)
    run = _build(environments[name], root)
    assert run.returncode == 0, run.stderr
    page = (root / "site" / "index.html").read_text(encoding="utf-8")
    for output in ("2.5", "array([3, 5, 7])", "array([0.33])", "array([0.33333333])"):
        assert f"<pre>{output}</pre>" in page
    assert ("snippet-figure" in page) == (name == "figures")
    if name == "figures":
        [name] = re.findall(r'<img class="snippet-light" src="assets/figures/(\w+\.svg)#only-light"', page)
        assert (root / "site" / "assets" / "figures" / name).read_text(encoding="utf-8").startswith("<?xml")


def test_a_failing_snippet_fails_the_build(environments, tmp_path):
    root = _site(tmp_path, [], {**SNIPPETS, "broken.txt": FAILING})
    run = _build(environments["plain"], root)
    assert run.returncode != 0
    assert "snippets/broken.txt:4: unexpected exception: ZeroDivisionError: division by zero" in run.stderr
    assert not (root / "site" / "index.html").exists()


def test_preloading_what_is_not_installed_is_a_clear_error(environments, tmp_path):
    root = _site(tmp_path, ["numpy", "torch"], SNIPPETS)
    run = _build(environments["plain"], root)
    assert run.returncode != 0
    assert "option 'preload' names torch, which is not installed" in run.stderr


def test_the_site_serves_and_shows_real_outputs(environments, tmp_path):
    """`mkdocs serve` in the environment without torch: the page shows each snippet's
    real output once its run is done (serve never waits: meanwhile a box says it runs)."""
    root = _site(tmp_path, ["numpy"], SNIPPETS)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    server = subprocess.Popen([str(environments["plain"]), "-m", "mkdocs", "serve",
                               "-a", f"127.0.0.1:{port}"], cwd=root, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env={**env, "NO_MKDOCS_2_WARNING": "1"})
    try:
        page, deadline = "", time.monotonic() + 120
        while "<pre>array([0.33333333])</pre>" not in page and time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode("utf-8")
            except OSError:
                continue
        for output in ("2.5", "array([3, 5, 7])", "array([0.33])", "array([0.33333333])"):
            assert f"<pre>{output}</pre>" in page
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert "ERROR" not in err, err
