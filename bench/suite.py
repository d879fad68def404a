"""The measurements of one benchmark project, repeated in interleaved rounds.

The machine is shared and noisy, so every figure that a ratio compares is
taken in the same rounds: each round runs every unit once, in an order
rotated from round to round, and the report compares medians. Units that
depend on each other (a warm build needs the cold build's cache) stay
together inside one unit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from snipdoc.engine import reference

from . import measure
from .sites import REPO, Project

PYTHON = sys.executable
MKDOCS = str(Path(sys.executable).parent / "mkdocs")
ENV = dict(os.environ, NO_MKDOCS_2_WARNING="1")


@dataclass
class Samples:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    peak: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, key: str, run: measure.Run) -> None:
        self.seconds[key].append(run.seconds)
        self.cpu[key].append(run.cpu)
        self.peak[key].append(run.peak)


class Suite:
    def __init__(self, project: Project, edit: str, edits: int, log) -> None:
        self.project = project
        self.proof_edits = 0
        self.edit = edit  # the snippet an author edits under serve
        self.edits = edits  # edits per serve session after the first
        self.log = log
        self.samples = Samples()

    # -- units ---------------------------------------------------------------

    def torch_import(self) -> None:
        self.samples.add("torch", measure.run([PYTHON, "-c", "import torch"], REPO, ENV))

    def floor(self) -> None:
        self.samples.add("floor", self._build("floor"))

    def snipdoc(self) -> None:
        """Two snippets at once (jobs: 2): cold, then warm."""
        self._empty_cache("snipdoc")
        self.samples.add("cold", self._build("snipdoc"))
        self.samples.add("warm", self._build("snipdoc"))

    def snipdoc1(self) -> None:
        """One snippet at a time (jobs: 1), cold."""
        self._empty_cache("snipdoc1")
        self.samples.add("cold_j1", self._build("snipdoc1"))

    def _empty_cache(self, variant: str) -> None:
        """The runs cached, not the typeset formulas: the other builds typeset none (their
        formulas are left for a browser to typeset), so a cold build is compared with them
        on the snippets' execution alone."""
        cache = self.project.snipdoc_cache(variant)
        formulas = cache / "formulas.json"
        kept = formulas.read_bytes() if formulas.is_file() else None
        shutil.rmtree(cache, ignore_errors=True)
        if kept is not None:
            cache.mkdir(parents=True)
            formulas.write_bytes(kept)

    def serve(self) -> None:
        # A session starts with the cache of earlier builds, as an author's does.
        answers = self._serve("snipdoc", self.project.snippets_dir / self.edit,
                              ["edit"] * (1 + self.edits) + ["build"])
        start, first, *edits, noop = answers
        # One fork server for the whole session, and one run per edit.
        if start["runs"] or any(a["server_starts"] != 1 for a in answers) or \
                [a["runs"] for a in answers] != list(range(len(answers) - 1)) + [len(answers) - 2]:
            raise RuntimeError(f"serve did not run as expected: {answers}")
        self.samples.seconds["serve_start"].append(start["seconds"])
        self.samples.seconds["serve_first_edit"].append(first["seconds"])
        self.samples.seconds["serve_edit"].extend(e["seconds"] for e in edits)
        self.samples.seconds["serve_noop"].append(noop["seconds"])

    def serve_floor(self) -> None:
        page = self.project.root / "docs-floor" / f"{next(iter(self.project.pages))}.md"
        _, *edits = self._serve("floor", page, ["edit"] * self.edits)
        self.samples.seconds["serve_floor_edit"].extend(e["seconds"] for e in edits)

    def mdexec(self) -> None:
        self.samples.add("mdexec", self._build("mdexec"))

    def jupyter(self) -> None:
        shutil.rmtree(self.project.jupyter_cache, ignore_errors=True)
        self.samples.add("jupyter_cold", self._build("jupyter"))
        self.samples.add("jupyter_cached", self._build("jupyter"))

    def compute(self) -> None:
        files = [str(f) for f in self.project.snippet_files]
        # In the reference environment, as the fork server runs.
        run = measure.run([PYTHON, "-m", "bench.compute", str(self.project.snippets_dir), *files], REPO,
                          reference.environment(self.project.snippets_dir))
        report = json.loads(run.output.strip().splitlines()[-1])
        if report["failures"]:
            raise RuntimeError(f"snippets failed when run directly: {report['failures'][:5]}")
        for key in ("run", "import"):
            self.samples.seconds[f"compute_{key}"].append(report[f"{key}_wall"])
            self.samples.cpu[f"compute_{key}"].append(report[f"{key}_cpu"])

    def isolation(self) -> None:
        count = len(self.project.snippet_files)
        run = measure.run([PYTHON, "-m", "bench.isolation", str(count), "1"], REPO, ENV)
        report = json.loads(run.output.strip().splitlines()[-1])
        self.samples.seconds["isolation"].append(report["wall"])
        self.samples.cpu["isolation"].append(report["cpu"])

    def equivalence(self) -> None:
        """The proof from scratch, once (at 1,000 snippets it takes minutes), then in
        every round the proof after an author's edit: one snippet gains a prose line
        (new bytes, the same examples), the others were proven before."""
        files = self.project.snippet_files
        record = self.project.root / "proofs"
        if not self.samples.seconds["equivalence_cold"]:
            shutil.rmtree(record, ignore_errors=True)
            self.samples.add("equivalence_cold", self._prove(record, len(files)))
        edited = self.project.snippets_dir / self.edit
        original = edited.read_bytes()
        self.proof_edits += 1
        try:
            edited.write_bytes(original + f"\nA line of prose, edit {self.proof_edits}.\n".encode())
            self.samples.add("equivalence_edit", self._prove(record, 1))
        finally:
            edited.write_bytes(original)

    def _prove(self, record: Path, expected: int) -> measure.Run:
        files = self.project.snippet_files
        run = measure.run([PYTHON, "-m", "bench.equivalence", str(self.project.snippets_dir), str(record),
                           *map(str, files)], REPO, ENV)
        ran = json.loads(run.output.strip().splitlines()[-1])["ran"]
        if ran != expected:
            raise RuntimeError(f"the equivalence proof ran {ran} snippets, {expected} expected")
        return run

    def pytest(self) -> None:
        run = measure.run([PYTHON, "-m", "pytest", "-q"], self.project.root, ENV)
        self.samples.add("pytest", run)

    UNITS = ("torch_import", "floor", "snipdoc", "snipdoc1", "serve", "serve_floor", "mdexec", "jupyter",
             "compute", "isolation", "equivalence", "pytest")
    # Figures for comparison, not held to targets: fewer rounds keep the run short.
    COMPARISONS = ("serve_floor", "mdexec", "jupyter", "isolation")

    # -- running ---------------------------------------------------------------

    def warm_up(self) -> None:
        """One untimed pass that fills the OS file cache and jieba's dictionary cache,
        and snipdoc's cache, which a serve session starts with."""
        self.log("  warm-up (not counted)")
        self._build("floor")
        measure.run([PYTHON, "-c", "import torch"], REPO, ENV)
        self._build("snipdoc")

    def rounds(self, n: int, comparison_rounds: int) -> Samples:
        self.warm_up()
        units = self.UNITS
        for r in range(n):
            order = units[r % len(units):] + units[:r % len(units)]
            if r >= comparison_rounds:
                order = tuple(u for u in order if u not in self.COMPARISONS)
            started = time.perf_counter()
            for unit in order:
                getattr(self, unit)()
            self.log(f"  round {r + 1}/{n}: {time.perf_counter() - started:.0f} s")
        return self.samples

    def _build(self, variant: str) -> measure.Run:
        config = self.project.config(variant)
        return measure.run([MKDOCS, "build", "--strict", "-q", "-f", str(config)], self.project.root, ENV)

    def _serve(self, variant: str, edited: Path, commands: list[str]) -> list[dict]:
        proc = subprocess.run(
            [PYTHON, "-m", "bench.serve_driver", str(self.project.config(variant)), str(edited)],
            input="\n".join(commands + ["quit"]) + "\n", capture_output=True, text=True,
            cwd=REPO, env=ENV, check=False,
        )
        answers = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or len(answers) != len(commands) + 1 or any(a["problems"] for a in answers):
            raise RuntimeError(f"serve driver failed ({proc.returncode}): {answers}\n{proc.stderr[-3000:]}")
        return answers
