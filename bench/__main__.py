"""``python -m bench``: build the benchmark projects, measure, print the Markdown table.

Progress goes to stderr; the table goes to stdout and to bench/out/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib import metadata

from . import browser_serve, measure, report
from .sites import REPO, generate
from .suite import ENV, Suite

OUT = REPO / "bench" / "out"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--small-rounds", type=int, default=5, help="rounds at 20 snippets (default 5)")
    parser.add_argument("--large-rounds", type=int, default=3, help="rounds at 1,000 snippets (default 3)")
    parser.add_argument("--comparison-rounds", type=int, nargs=2, default=[3, 2], metavar=("SMALL", "LARGE"),
                        help="rounds that also build with markdown-exec and mkdocs-jupyter and time the "
                             "floor under serve (default 3 and 2)")
    parser.add_argument("--pages", type=int, default=50, help="pages of the large site (20 snippets each)")
    parser.add_argument("--jupyter-pages", type=int, default=2,
                        help="pages of the large site that mkdocs-jupyter builds (default 2)")
    parser.add_argument("--full", action="store_true", help="mkdocs-jupyter on every page of the large site")
    parser.add_argument("--small-only", action="store_true", help="skip the 1,000-snippet site")
    parser.add_argument("--real-site-edits", type=int, default=3, metavar="N",
                        help="edits of each kind timed on the real site under serve, in Chromium (default 3; 0 skips)")
    parser.add_argument("--make-test", action="store_true",
                        help="also time the repository's whole `make test` once, after the rounds (several minutes)")
    parser.add_argument("--make-test-timeout", type=float, default=1800, metavar="SECONDS",
                        help="stop `make test` after this long and report that it did not finish (default 1800)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    # (folder, title, short title, pages, snippets a page, notebook pages, rounds, edited snippet,
    #  edits per serve session after the first, rounds with the comparisons)
    plans = [("small", "20 snippets, 2 pages", "20 snippets", 2, 10, 2, args.small_rounds, "p00/sigmoid.txt", 2,
              args.comparison_rounds[0])]
    if not args.small_only:
        jupyter_pages = args.pages if args.full else min(args.jupyter_pages, args.pages)
        plans.append(("large", f"{args.pages * 20:,} snippets, {args.pages} pages", f"{args.pages * 20:,} snippets",
                      args.pages, 20,
                      jupyter_pages, args.large_rounds, f"p{args.pages // 2:02d}/softmax_grad.txt", 1,
                      args.comparison_rounds[1]))
    scales = []
    for name, title, short, pages, per_page, jupyter_pages, rounds, edit, edits, comparisons in plans:
        log(f"{title}: generating the sites")
        project = generate(OUT / name, pages, per_page, jupyter_pages, log=lambda m: log("  " + m))
        suite = Suite(project, edit, edits, log)
        samples = suite.rounds(rounds, comparisons)
        scales.append(report.Scale(title, short, samples, rounds, pages, jupyter_pages, pages * per_page))

    make_test = None
    if args.make_test:
        log("the repository's `make test`, once")
        make_test = measure.run(["make", "test"], REPO, dict(ENV, PYTEST_ARGS="-q", SNIPDOC_PROVE_ALL="1"), check=False,
                                timeout=args.make_test_timeout)
        log(make_test.output.strip().splitlines()[-1] if make_test.output.strip() else "(no output)")

    real_site = None
    if args.real_site_edits:
        log("the real site under serve, in Chromium")
        real_site = browser_serve.measure(args.real_site_edits)

    today = len(list((REPO / "snippets").rglob("*.txt")))
    text = report.render(scales, environment(), make_test, today)
    if real_site:
        text += "\n\n" + "\n".join([
            "The author's edit loop on the real site (`python -m bench.browser_serve`): a real `mkdocs serve` of a "
            "copy of this repository's site with its caches, the chapter open in Chromium, and the seconds from "
            "saving an edit until the browser painted the page that shows it.",
            "", "| edit | median s | each edit, s |", "|---|---:|---|", *browser_serve.rows(real_site)])
    print(text)
    (OUT / "results.md").write_text(text + "\n", encoding="utf-8")
    (OUT / "results.json").write_text(json.dumps(
        {**{s.title: {"seconds": s.samples.seconds, "cpu_seconds": s.samples.cpu, "peak_bytes": s.samples.peak,
                      "jupyter_pages": s.jupyter_pages} for s in scales},
         "environment": environment(),
         **({"make test": {"seconds": make_test.seconds, "cpu_seconds": make_test.cpu,
                           "returncode": make_test.returncode, "timed_out": make_test.timed_out}}
            if make_test else {})}, indent=1))
    log(f"done in {time.perf_counter() - started:.0f} s; table also in bench/out/results.md")
    return 0


def environment() -> str:
    return (f"torch {metadata.version('torch')}, Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs, mkdocs {metadata.version('mkdocs')}, "
            f"Material {metadata.version('mkdocs-material')}, markdown-exec {metadata.version('markdown-exec')}, "
            f"mkdocs-jupyter {metadata.version('mkdocs-jupyter')}")


if __name__ == "__main__":
    sys.exit(main())
