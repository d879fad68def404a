"""Medians, ratios and the targets, printed as Markdown for the README."""

from __future__ import annotations

import os
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
    snippets: int = 0

    def __post_init__(self) -> None:
        if self.snippets in ISOLATION_BEFORE:
            wall, cpu = ISOLATION_BEFORE[self.snippets]
            self.samples.seconds["isolation_before"] = [wall]
            self.samples.cpu["isolation_before"] = [cpu]

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
    ("cold", "snipdoc, cold build (empty cache), two snippets at once (jobs: 2)", True),
    ("cold_j1", "snipdoc, cold build, one snippet at a time (jobs: 1)", True),
    ("warm", "snipdoc, warm build (nothing changed)", True),
    ("serve_edit", "snipdoc under serve: edit one snippet, until the page shows its output (server warm)", True),
    ("serve_first_edit", "snipdoc under serve: the same, right after serve starts (server still importing torch)",
     True),
    ("serve_noop", "snipdoc under serve: rebuild, nothing changed", True),
    ("serve_floor_edit", "the floor under serve: rebuild after editing one page", True),
    ("mdexec", "markdown-exec (no cache: every build)", True),
    ("jupyter_cold", "mkdocs-jupyter, execute: true, no cache", True),
    ("jupyter_cached", "mkdocs-jupyter, cached rebuild", True),
    ("torch", '`python -c "import torch"`', False),
    ("compute_import", "what snipdoc's fork server imports (torch, numpy, matplotlib.pyplot), once", False),
    ("compute_run", "the snippets' own compute: stdlib doctest in one process, nothing reset, imports excluded", False),
    ("isolation_before", "isolation, before: state reset between snippets (previous engine; earlier run, "
                         "not measured now)", False),
    ("isolation", "isolation, after: fork per snippet (as many trivial snippets through the fork server, "
                  "jobs: 1)", False),
    ("equivalence_cold", "equivalence proof from scratch: the reference command per snippet, {cpus} at a time "
                         "(`tests/test_equivalence.py` with no earlier proofs; measured once)", False),
    ("equivalence_edit", "equivalence proof after editing one snippet (the others proven before)", False),
    ("pytest", "`pytest --doctest-glob` over the snippets, a fork per item (`make test`'s doctest step)", False),
]

# The previous engine's state reset (worker side, same process), from the last
# benchmark it took part in: snippets -> (wall s, CPU s). It no longer exists.
ISOLATION_BEFORE = {20: (0.01, 0.01), 1000: (0.42, 0.61)}


def table(scales: list[Scale]) -> str:
    head = "| build |" + "".join(f" {s.title}: s | × floor | CPU s | peak MiB |" for s in scales)
    rule = "|---|" + "---:|---:|---:|---:|" * len(scales)
    lines = [head, rule]
    for key, label, relative in ROWS:
        label = label.format(cpus=os.cpu_count() or 2)
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
    """The targets of the isolation issue, then the earlier ones it does not replace."""
    floor, torch, compute = scale.floor, scale.s("torch"), scale.s("compute_run")
    cpu_floor, cpu_torch, cpu_compute = scale.cpu("floor"), scale.cpu("torch"), scale.cpu("compute_run")
    out = []

    per = scale.s("isolation") / scale.snippets * 1000
    out.append(Verdict("isolation per trivial snippet ≤ 5 ms", per <= 5,
                       f"{per:.1f} ms ({scale.s('isolation'):.2f} s for {scale.snippets:,} snippets, one at a time; "
                       f"CPU {scale.cpu('isolation') / scale.snippets * 1000:.1f} ms)"))

    cold, mdexec = scale.s("cold"), scale.s("mdexec")
    out.append(Verdict("cold build (jobs: 2) ≤ markdown-exec's ratio to the floor", cold <= mdexec,
                       f"{cold / floor:.2f}× vs. {mdexec / floor:.2f}× ({cold:.2f} s, {mdexec:.2f} s; CPU time: "
                       f"{scale.cpu('cold') / cpu_floor:.2f}× vs. {scale.cpu('mdexec') / cpu_floor:.2f}×)"))

    cold, allowed = scale.s("cold"), floor + torch + compute
    cpu_allowed = cpu_floor + cpu_torch + cpu_compute
    out.append(Verdict(
        "cold build (jobs: 2) ≤ floor + torch import + compute, and ≤ 1.6× the floor",
        cold <= allowed and cold <= 1.6 * floor,
        f"{cold:.2f} s vs. {floor:.2f} + {torch:.2f} + {compute:.2f} = {allowed:.2f} s ({cold / allowed:.2f}×; "
        f"CPU time: {scale.cpu('cold') / cpu_allowed:.2f}×), and {cold / floor:.2f}× the floor "
        f"(CPU time: {scale.cpu('cold') / cpu_floor:.2f}×)"))

    warm = scale.s("warm")
    out.append(Verdict("warm build ≤ 1.05× the floor", warm <= 1.05 * floor,
                       f"{warm:.2f} s = {warm / floor:.2f}× {floor:.2f} s (CPU time: "
                       f"{scale.cpu('warm') / cpu_floor:.2f}×)"))

    proof, allowed, cold = scale.s("equivalence_edit"), 3 * (torch + compute), scale.s("equivalence_cold")
    out.append(Verdict("equivalence proof ≤ 3× (torch import + compute)", proof <= allowed,
                       f"after an edit: {proof:.2f} s vs. 3×({torch:.2f} + {compute:.2f}) = {allowed:.2f} s "
                       f"({proof / allowed:.2f}×); from scratch: {cold:.0f} s ({cold / allowed:.0f}×)"))

    doctest, allowed = scale.s("pytest"), 3 * (torch + compute)
    cpu_allowed = 3 * (cpu_torch + cpu_compute)
    out.append(Verdict("doctest step ≤ 3× (torch import + compute)", doctest <= allowed,
                       f"{doctest:.2f} s vs. 3×({torch:.2f} + {compute:.2f}) = {allowed:.2f} s"
                       f" ({doctest / (torch + compute):.2f}× torch import + compute; CPU time: "
                       f"{scale.cpu('pytest') / cpu_allowed * 3:.2f}×)"))

    for key, name in (("serve_edit", "earlier: one-snippet edit under serve ≤ 1.3× the floor (server warm)"),
                      ("serve_first_edit", "earlier: same, right after serve starts")):
        edit = scale.s(key)
        out.append(Verdict(name, edit <= 1.3 * floor, f"{edit:.2f} s = {edit / floor:.2f}× {floor:.2f} s"))

    peak, torch_mem, floor_mem = scale.mib("cold"), scale.mib("torch"), scale.mib("floor")
    allowed_mem = 1.5 * torch_mem + floor_mem
    out.append(Verdict("earlier: cold build's peak memory ≤ 1.5× `import torch` + the floor's", peak <= allowed_mem,
                       f"{peak:.0f} MiB vs. 1.5×{torch_mem:.0f} + {floor_mem:.0f} = {allowed_mem:.0f} MiB"))
    return out


def target_table(scales: list[Scale]) -> str:
    verdicts = [targets(s) for s in scales]
    lines = ["| target |" + "".join(f" {s.title} |" for s in scales), "|---|" + "---|" * len(scales)]
    for i, first in enumerate(verdicts[0]):
        cells = [f"{'**met**' if v[i].met else '**not met**'}: {v[i].detail}" for v in verdicts]
        lines.append(f"| {first.name} |" + "".join(f" {c} |" for c in cells))
    return "\n".join(lines)


def render(scales: list[Scale], environment: str, make_test=None, today: int = 0) -> str:
    rounds = ", ".join(f"{s.rounds} rounds at {s.short}" for s in scales)
    comparisons = " and ".join(str(len(s.samples.seconds.get("mdexec", ()))) for s in scales)
    parts = [
        f"{environment}. Medians of interleaved rounds ({rounds}; markdown-exec, mkdocs-jupyter, "
        f"the floor under serve and the fork-per-snippet row in {comparisons} of them), all measured in one run. "
        "CPU s is user + system time of the process and the children it reaped (the fork server and its "
        "children, kernels); it is less disturbed by other load than wall time. Peak memory is that of the "
        "build's whole process tree (the fork server, its children and Jupyter kernels included), each page "
        "shared between forked processes counted once.",
        "",
        table(scales),
        "",
        "Serve rows time one change in a long-lived process that keeps plugin instances as `mkdocs serve` "
        "does: the rebuild, and when a page showed the snippet as running, the wait for its run and the "
        "rebuild that the plugin's reload signal triggers; the watcher's delay is not counted. The floor "
        "column compares them with a whole `mkdocs build` process of the floor, as the targets do.",
        "",
    ]
    for s in scales:
        if s.jupyter_estimated:
            parts.append(
                f"At {s.short} mkdocs-jupyter was built on its first {s.jupyter_pages} pages only "
                "(a kernel and a torch import per page make a full build take minutes); the estimate for all "
                "pages adds the per-page execution cost. `python -m bench --full` measures it.")
            parts.append("")
    if make_test is None:
        parts.append("The whole `make test` was not timed in this run (`python -m bench --make-test`).")
    else:
        if make_test.timed_out:
            parts.append(f"The whole `make test` with today's content ({today} snippets) did not finish: "
                         f"stopped after {make_test.seconds:.0f} s.")
        else:
            verdict = "passed" if make_test.returncode == 0 else f"failed (exit status {make_test.returncode})"
            parts.append(f"The whole `make test` with today's content ({today} snippets), once, every snippet "
                         f"proven from scratch as on a clean clone: {make_test.seconds:.0f} s "
                         f"({make_test.cpu:.0f} CPU s); it {verdict}.")
    parts += ["", "### Targets", "", target_table(scales)]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    """Print the tables again from a run's raw samples, with today's targets:
    ``python -m bench.report bench/out/results.json``."""
    import json
    import sys

    from .__main__ import environment

    path = (argv or sys.argv[1:] or ["bench/out/results.json"])[0]
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    scales = []
    for title, raw in data.items():
        if not isinstance(raw, dict) or not isinstance(raw.get("seconds"), dict):
            continue  # the environment, the `make test` entry
        samples = Samples()
        for key, values in raw["seconds"].items():
            samples.seconds[key] = values
            samples.cpu[key] = raw["cpu_seconds"].get(key, [])
            samples.peak[key] = raw["peak_bytes"].get(key, [])
        short, pages = title.split(", ")  # "1,000 snippets", "50 pages"
        pages = int(pages.split()[0])
        rounds = len(samples.seconds.get("floor", ()))
        scales.append(Scale(title, short, samples, rounds, pages, raw.get("jupyter_pages", min(2, pages)),
                            int(short.split()[0].replace(",", ""))))
    # Runs written before the file named their environment: described as this machine is now.
    print(render(scales, data.get("environment") or environment()))


if __name__ == "__main__":
    main()
