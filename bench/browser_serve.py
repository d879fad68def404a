"""The author's edit loop on the real site: a real `mkdocs serve` of a copy of this
repository's site, the chapter open in headless Chromium, and the time from saving an
edit until the browser shows it (livereload's reload included).

Run as ``python -m bench.browser_serve [--edits N]``. Two kinds of edit, alternated:

- **prose**: a word added to a paragraph of the chapter page;
- **snippet**: a new example (``>>> 1000 + i`` with its recorded output) appended to one of
  the chapter's snippets, so that the page can only show it after a real run.

The copy lives in a temporary folder with the repository's snipdoc cache, so the server
starts warm, as an author's does on the second day. The first edit of each kind is timed
after the server has built once and imported torch (a warm server); the figures are
medians. Chromium is the one the browser tests use (tests/conftest.py finds it).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGE = "docs/ch12.md"
SNIPPET = "snippets/ch12/relu.txt"
PROSE_ANCHOR = "本章分为两部分。"  # the first paragraph of the chapter
COPIED = ["docs", "snippets", "overrides", "mkdocs.yml", "snipdoc", "node_modules", ".cache/snipdoc",
          ".cache/mkdocs-jupyter"]


def copy_site(dest: Path) -> None:
    for name in COPIED:
        src = REPO / name
        if not src.exists():
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name == "node_modules":
            target.symlink_to(src)
        elif src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__", "serve-reload"))
        else:
            shutil.copy2(src, target)


# The moment the browser first painted the document that holds the edit (its first
# contentful paint), in ms since the epoch; null while the page shows an older document.
# Asked once the page can answer, which on the chapter may be after MathJax has typeset
# it: the paint time, not the answer's, is what a reader sees.
SHOWN_JS = """
([text, output]) => {
  const shown = document.body.innerText.includes(text) && (output === null ||
    [...document.querySelectorAll(".snippet-output")].some((o) => o.innerText.trim() === output));
  if (!shown) return null;
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return performance.timeOrigin + (paint ? paint.startTime : performance.now());
}
"""


def shown_at(page, shown) -> float | None:
    try:
        return page.evaluate(SHOWN_JS, shown)
    except Exception:  # the page is reloading: its old document is gone
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, step: float = 0.02) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser_serve", description=__doc__)
    parser.add_argument("--edits", type=int, default=3, help="edits of each kind (default 3)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for one edit to show")
    parser.add_argument("--log", type=Path, help="keep the server's log here, each line with its time")
    args = parser.parse_args(argv)
    print("\n".join(rows(measure(args.edits, args.timeout, args.log))))
    return 0


def rows(results: dict[str, list[float]]) -> list[str]:
    """Markdown table rows: the median of each kind of edit, and every edit's time."""
    return [f"| the real site under serve, in Chromium: {kind} edit until the page shows it | "
            f"{statistics.median(times):.2f} | {', '.join(f'{t:.2f}' for t in times)} |"
            for kind, times in results.items()]


def measure(edits: int = 3, timeout: float = 60, keep_log: Path | None = None) -> dict[str, list[float]]:
    """Seconds from saving each edit until the browser painted the page that shows it."""
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import CHROMIUM_ARGS, find_browser
    from playwright.sync_api import sync_playwright

    executable, how = find_browser()
    if executable is None:
        raise SystemExit(how)
    results: dict[str, list[float]] = {"prose": [], "snippet": []}
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        root = Path(tmp)
        copy_site(root)
        port = free_port()
        log = open(root / "serve.log", "w")
        server = subprocess.Popen([str(Path(sys.executable).parent / "mkdocs"), "serve", "-a", f"127.0.0.1:{port}"],
                                  cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
                                       "HOME": tmp, **({"PYTHONPATH": os.environ["PYTHONPATH"]}
                                                       if "PYTHONPATH" in os.environ else {})})
        started_at = time.perf_counter()

        def copy_log() -> None:  # each line with the seconds since serve started, for reading afterwards
            for line in server.stdout:
                log.write(f"{time.perf_counter() - started_at:8.2f} {line.decode(errors='replace')}")
                log.flush()

        threading.Thread(target=copy_log, daemon=True).start()
        try:
            serve_log = root / "serve.log"
            if not wait_for(lambda: "Serving on" in serve_log.read_text(), 300, 0.2):
                raise SystemExit("mkdocs serve did not start:\n" + serve_log.read_text()[-3000:])
            # Warm: the plugin imports torch after the first build; wait for that to settle.
            time.sleep(5)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/ch12/", wait_until="load")
                page_file, snippet_file = root / PAGE, root / SNIPPET
                if PROSE_ANCHOR not in page_file.read_text(encoding="utf-8"):
                    raise SystemExit(f"{PAGE} no longer holds {PROSE_ANCHOR!r}: set PROSE_ANCHOR in {__file__}")
                for i in range(edits):
                    for kind in ("prose", "snippet"):
                        marker = f"{kind}{i}x{time.time_ns() % 10**6}"
                        if kind == "prose":
                            text = page_file.read_text(encoding="utf-8")
                            edited = text.replace(PROSE_ANCHOR, f"{PROSE_ANCHOR}{marker}", 1)
                            shown = [marker, None]
                            target = page_file
                        else:
                            value = 1000 + i * 10 + (time.time_ns() % 7)
                            edited = snippet_file.read_text(encoding="utf-8") + f">>> {value} + 1  # {marker}\n{value + 1}\n"
                            shown = [marker, str(value + 1)]  # the code, and its output from the run
                            target = snippet_file
                        started = time.perf_counter()
                        log.write(f"{started - started_at:8.2f} --- {kind} edit {i + 1}\n")
                        saved = time.time()
                        target.write_text(edited, encoding="utf-8")
                        painted: list[float] = []
                        wait_for(lambda: painted.append(at) or True if (at := shown_at(page, shown)) else False,
                                 timeout)
                        elapsed = painted[0] / 1000 - saved if painted else float("inf")
                        results[kind].append(elapsed)
                        print(f"{kind} edit {i + 1}: {elapsed:.2f} s{'' if painted else ' (not shown)'}",
                              file=sys.stderr, flush=True)
                        time.sleep(6)  # let the follow-up rebuilds (the notebook) finish
                browser.close()
        finally:
            server.terminate()
            server.wait(30)
            log.close()
            if keep_log:
                shutil.copy(root / "serve.log", keep_log)
    return results


if __name__ == "__main__":
    sys.exit(main())
