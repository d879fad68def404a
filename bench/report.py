"""Medians, ratios and the targets, printed as Markdown for the README."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from .suite import Samples

MIB = 1024 * 1024


@dataclass
class Scale:
    title: str  # column heading, e.g. "20 snippets, 2 pages"
    short: str  # e.g. "20 snippets"
    samples: Samples
    rounds: int
    pages: int
    jupyter_pages: int

    def s(self, key: str) -> float | None:
        values = self.samples.seconds.get(key)
        return statistics.median(values) if values else None

    def cpu(self, key: str) -> float | None:
        values = self.samples.cpu.get(key)
        return statistics.median(values) if values else None

    def mib(self, key: str) -> float | None:
        values = self.samples.peak.get(key)
        return statistics.median(values) / MIB if values else None

    @property
    def floor(self) -> float:
        return self.s("floor")

    @property
    def jupyter_estimated(self) -> bool:
        return self.jupyter_pages < self.pages

    def jupyter_cold_full(self) -> float | None:
        """mkdocs-jupyter's cold build of every page, from a build of the first few:
        the cached rebuild's cost once, plus the execution (cold minus cached) per page."""
        cold, cached = self.s("jupyter_cold"), self.s("jupyter_cached")
        if cold is None:
            return None
        return cached + (cold - cached) * self.pages / self.jupyter_pages


# (key, label, compare with the floor)
ROWS = [
    ("floor", "plain Material, outputs pasted as code blocks (the floor)", True),
    ("cold", "snipdoc, cold build (empty cache)", True),
    ("warm", "snipdoc, warm build (nothing changed)", True),
    ("serve_edit", "snipdoc under serve: rebuild after editing one snippet (worker warm)", True),
    ("serve_first_edit", "snipdoc under serve: first edit of a session (worker starts, imports torch)", True),
    ("serve_noop", "snipdoc under serve: rebuild, nothing changed", True),
    ("serve_floor_edit", "the floor under serve: rebuild after editing one page", True),
    ("mdexec", "markdown-exec (no cache: every build)", True),
    ("jupyter_cold", "mkdocs-jupyter, execute: true, no cache", True),
    ("jupyter_cached", "mkdocs-jupyter, cached rebuild", True),
    ("torch", '`python -c "import torch"`', False),
    ("compute_run", "the snippets' own compute, in one process, torch import excluded", False),
    ("compute_restore", "snipdoc's state reset between snippets (worker side, same process)", False),
    ("pytest", "`pytest --doctest-glob` over the snippets (`make test`'s doctest step)", False),
]


def table(scales: list[Scale]) -> str:
    head = "| build |" + "".join(f" {s.title}: s | × floor | CPU s | peak MiB |" for s in scales)
    rule = "|---|" + "---:|---:|---:|---:|" * len(scales)
    lines = [head, rule]
    for key, label, relative in ROWS:
        cells = []
        for scale in scales:
            seconds, cpu, peak = scale.s(key), scale.cpu(key), scale.mib(key)
            if seconds is None:
                cells += ["–", "", "", ""]
                continue
            text, ratio = f"{seconds:.2f}", f"{seconds / scale.floor:.2f}×" if relative else ""
            if key.startswith("jupyter") and scale.jupyter_estimated:
                text = f"{seconds:.2f} ({scale.jupyter_pages} of {scale.pages} pages)"
                ratio, cpu, peak = "", None, None
                if key == "jupyter_cold":
                    full = scale.jupyter_cold_full()
                    text += f"; all pages ≈ {full:.0f}"
                    ratio = f"≈ {full / scale.floor:.1f}×"
            cells += [text, ratio, f"{cpu:.2f}" if cpu is not None else "", f"{peak:.0f}" if peak is not None else ""]
        lines.append(f"| {label} |" + "".join(f" {c} |" for c in cells))
    return "\n".join(lines)


@dataclass
class Verdict:
    name: str
    met: bool
    detail: str


def targets(scale: Scale) -> list[Verdict]:
    floor, torch, compute = scale.floor, scale.s("torch"), scale.s("compute_run")
    out = []

    warm = scale.s("warm")
    cpu_ratio = scale.cpu("warm") / scale.cpu("floor")
    out.append(Verdict("warm build ≤ 1.15× the floor", warm <= 1.15 * floor,
                       f"{warm:.2f} s = {warm / floor:.2f}× {floor:.2f} s (CPU time: {cpu_ratio:.2f}×)"))

    cold, allowed = scale.s("cold"), floor + 1.2 * torch + compute
    cpu_allowed = scale.cpu("floor") + 1.2 * scale.cpu("torch") + scale.cpu("compute_run")
    out.append(Verdict("cold build ≤ floor + 1.2× torch import + compute", cold <= allowed,
                       f"{cold:.2f} s vs. {floor:.2f} + 1.2×{torch:.2f} + {compute:.2f} = {allowed:.2f} s"
                       f" ({cold / allowed:.2f}×; CPU time: {scale.cpu('cold') / cpu_allowed:.2f}×)"))

    for key, name in (("serve_edit", "one-snippet edit under serve ≤ 1.3× the floor (worker warm)"),
                      ("serve_first_edit", "same, first edit of a serve session (worker not yet started)")):
        edit = scale.s(key)
        out.append(Verdict(name, edit <= 1.3 * floor, f"{edit:.2f} s = {edit / floor:.2f}× {floor:.2f} s"))

    peak, torch_mem, floor_mem = scale.mib("cold"), scale.mib("torch"), scale.mib("floor")
    allowed_mem = 1.5 * torch_mem + floor_mem
    out.append(Verdict("cold build's peak memory ≤ 1.5× `import torch` + the floor's", peak <= allowed_mem,
                       f"{peak:.0f} MiB vs. 1.5×{torch_mem:.0f} + {floor_mem:.0f} = {allowed_mem:.0f} MiB"))

    doctest, allowed = scale.s("pytest"), 1.3 * (torch + compute)
    cpu_allowed = 1.3 * (scale.cpu("torch") + scale.cpu("compute_run"))
    out.append(Verdict("doctest step ≤ 1.3× (torch import + compute)", doctest <= allowed,
                       f"{doctest:.2f} s vs. 1.3×({torch:.2f} + {compute:.2f}) = {allowed:.2f} s"
                       f" ({doctest / allowed:.2f}×; CPU time: {scale.cpu('pytest') / cpu_allowed:.2f}×)"))
    return out


def target_table(scales: list[Scale]) -> str:
    verdicts = [targets(s) for s in scales]
    lines = ["| target |" + "".join(f" {s.title} |" for s in scales), "|---|" + "---|" * len(scales)]
    for i, first in enumerate(verdicts[0]):
        cells = [f"{'**met**' if v[i].met else '**not met**'}: {v[i].detail}" for v in verdicts]
        lines.append(f"| {first.name} |" + "".join(f" {c} |" for c in cells))
    return "\n".join(lines)


def render(scales: list[Scale], environment: str) -> str:
    rounds = ", ".join(f"{s.rounds} rounds at {s.short}" for s in scales)
    comparisons = " and ".join(str(len(s.samples.seconds.get("mdexec", ()))) for s in scales)
    parts = [
        "## Benchmark",
        "",
        f"{environment}. Medians of interleaved rounds ({rounds}; markdown-exec, mkdocs-jupyter "
        f"and the floor under serve in {comparisons} of them), all measured in one run. "
        "CPU s is user + system time of the process and the children it reaped (the worker, kernels); "
        "it is less disturbed by other load than wall time. Peak memory is the sum of the high-water "
        "marks of the build's whole process tree (the snipdoc worker and Jupyter kernels included).",
        "",
        table(scales),
        "",
        "Serve rows time the rebuild itself, in one long-lived process that keeps plugin instances "
        "as `mkdocs serve` does; the watcher's delay is not counted. The floor column compares them "
        "with a whole `mkdocs build` process of the floor, as the targets do.",
        "",
    ]
    estimated = [s for s in scales if s.jupyter_estimated]
    for s in estimated:
        parts.append(
            f"At {s.short} mkdocs-jupyter was built on its first {s.jupyter_pages} pages only "
            "(a kernel and a torch import per page make a full build take minutes); the estimate for all "
            "pages adds the per-page execution cost. `python -m bench --full` measures it.")
    parts += ["", "### Targets", "", target_table(scales)]
    return "\n".join(parts)
