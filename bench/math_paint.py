"""How long a reader on a mid-range phone waits for the formulas of a built site's chapter.

Run as ``python -m bench.math_paint SITE [SITE ...] [--page ch12/] [--rounds 5]``: each SITE
is a built site folder (``mkdocs build -d SITE``), served over local HTTP as
``python -m http.server`` would. The page is opened in headless Chromium (the one the
browser tests use) at 375 px, with a cold cache and the CPU slowed 4x (the DevTools
protocol's Emulation.setCPUThrottlingRate), and these are timed from navigation start:

- **first paint**: the first contentful paint;
- **parsed**: DOMContentLoaded, when the whole document is parsed and its scripts have run;
- **all formulas**: the first frame at which the document is parsed, every formula
  (arithmatex element) holds a typeset box with a size, and the fonts are loaded, so that
  none shows TeX source or a fallback glyph;
- **bytes**: the page's HTML, and everything the first visit transfers (bodies, uncompressed).

Figures are medians of the rounds, sites interleaved round by round.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import threading
from pathlib import Path

from tests.conftest import CHROMIUM_ARGS, find_browser

# Records the first frame at which every formula is on screen, typeset and drawn with its fonts.
WATCH_JS = """
(() => {
  const done = () => document.readyState !== "loading" && document.fonts.status === "loaded" &&
    [...document.querySelectorAll(".arithmatex")].every((e) => {
      const box = e.querySelector("mjx-container");
      return box && box.getBoundingClientRect().width > 0;
    });
  const frame = () => done() ? (window.__allFormulas = performance.now()) : requestAnimationFrame(frame);
  requestAnimationFrame(frame);
})();
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path) -> str:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/"


def measure(browser, url: str, rate: float) -> dict:
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    sizes = []
    page.on("requestfinished", lambda r: sizes.append((r.url, r.sizes()["responseBodySize"])))
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
    page.add_init_script(WATCH_JS)
    page.goto(url, wait_until="commit", timeout=120_000)
    page.wait_for_function("window.__allFormulas !== undefined", timeout=120_000)
    page.wait_for_load_state("networkidle", timeout=120_000)
    result = {
        "formulas": page.evaluate("document.querySelectorAll('.arithmatex').length"),
        "first paint": page.evaluate(
            "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN"),
        "parsed": page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventStart"),
        "all formulas": page.evaluate("window.__allFormulas"),
        "html": next(size for address, size in sizes if address == url),
        "transfer": sum(size for _, size in sizes),
    }
    context.close()
    return result


def interleaved(sites: list[Path], page: str, rounds: int, measure_one) -> dict[Path, list]:
    """measure_one(browser, url) for each site's page, round after round, sites interleaved
    (each served as python -m http.server would), in the browser the tests use."""
    from playwright.sync_api import sync_playwright

    executable, how = find_browser()
    if executable is None:
        raise SystemExit(f"no browser: {how}")
    urls = {site: serve(site) + page for site in sites}
    runs = {site: [] for site in sites}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        for _ in range(rounds):
            for site, url in urls.items():
                runs[site].append(measure_one(browser, url))
        browser.close()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sites", nargs="+", type=Path)
    parser.add_argument("--page", default="ch12/")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=4.0, help="CPU slowdown (4: a mid-range phone)")
    args = parser.parse_args()
    runs = interleaved(args.sites, args.page, args.rounds, lambda browser, url: measure(browser, url, args.rate))
    print(f"/{args.page} at 375 px, CPU {args.rate:g}x slower, median of {args.rounds}\n")
    print("site | formulas | first paint (ms) | parsed (ms) | all formulas shown (ms) | HTML (KiB) | first visit (KiB)")
    print("---|---|---|---|---|---|---")
    for site, results in runs.items():
        med = {key: statistics.median(r[key] for r in results) for key in results[0]}
        print(f"{site} | {med['formulas']:.0f} | {med['first paint']:.0f} | {med['parsed']:.0f} | {med['all formulas']:.0f} | "
              f"{med['html'] / 1024:.0f} | {med['transfer'] / 1024:.0f}")


if __name__ == "__main__":
    main()
