"""Where a phone's main thread spends a page load, by cause, from a Chromium trace.

Run as ``python -m bench.load_profile SITE [SITE ...] [--page ch12/] [--rounds 3]``: each SITE
is a built site folder, served as ``python -m http.server`` would and opened as
``bench.math_paint`` opens it (375 px, cold cache, CPU slowed 4x). For each site it prints
the main thread's busy time until a second after the load event, split into: parsing HTML,
each script's own running time, and the style and layout work each script forced (reading a
size after changing the page makes the browser lay out the whole page at once), each counted
once: parsing is its own time, less the scripts it ran and the layout outside them. Times are
throttled milliseconds, medians of the rounds, sites interleaved round by round.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
from pathlib import Path

from bench.math_paint import interleaved

SCRIPT_EVENTS = ("EvaluateScript", "FunctionCall", "EventDispatch", "TimerFire", "FireAnimationFrame")
LAYOUT_EVENTS = ("Layout", "UpdateLayoutTree")


def _script_name(event: dict) -> str:
    data = event["args"].get("data") or {}
    url = data.get("url") or ""
    return url.rsplit("/", 1)[-1] or f"({data.get('type') or event['name']})"


def _within(event: dict, outer: dict) -> bool:
    return outer["ts"] <= event["ts"] and event["ts"] + event["dur"] <= outer["ts"] + outer["dur"]


def _innermost(event: dict, scripts: list[dict]) -> dict | None:
    around = [s for s in scripts if s is not event and _within(event, s)]
    return min(around, key=lambda s: s["dur"], default=None)


def profile(browser, url: str, rate: float) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
    browser.start_tracing(page=page, categories=["devtools.timeline"])
    page.goto(url, wait_until="load", timeout=120_000)
    page.wait_for_timeout(1000)
    events = [e for e in json.loads(browser.stop_tracing())["traceEvents"] if e.get("ph") == "X" and "dur" in e]
    context.close()
    parses = collections.Counter(e["tid"] for e in events if e["name"] == "ParseHTML")
    main = [e for e in events if e["tid"] == parses.most_common(1)[0][0]]
    scripts = [e for e in main if e["name"] in SCRIPT_EVENTS]
    out: dict[str, float] = collections.Counter()
    layouts = [e for e in main if e["name"] in LAYOUT_EVENTS]
    for e in main:
        if e["name"] == "ParseHTML":
            # Less the scripts the parser ran (<script> tags) and the layout outside them,
            # which are counted below under their own causes.
            nested = [x for x in scripts + layouts if _within(x, e) and _innermost(x, scripts) is None]
            out["parse HTML"] += (e["dur"] - sum(x["dur"] for x in nested)) / 1000
        elif e["name"] in LAYOUT_EVENTS:
            cause = _innermost(e, scripts)
            key = f"layout forced by {_script_name(cause)}" if cause else "layout and style, by the browser"
            out[key] += e["dur"] / 1000
    for s in scripts:
        if _innermost(s, scripts) is None:  # a task of its own: its time less the layout in it
            forced = sum(e["dur"] for e in layouts if s["ts"] <= e["ts"] <= s["ts"] + s["dur"]) / 1000
            out[f"script {_script_name(s)}"] += s["dur"] / 1000 - forced
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sites", nargs="+", type=Path)
    parser.add_argument("--page", default="ch12/")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=4.0)
    args = parser.parse_args()
    runs = interleaved(args.sites, args.page, args.rounds, lambda browser, url: profile(browser, url, args.rate))
    keys = sorted({k for rs in runs.values() for r in rs for k in r},
                  key=lambda k: -max(statistics.median(r.get(k, 0) for r in rs) for rs in runs.values()))
    print(f"/{args.page} at 375 px, CPU {args.rate:g}x slower: main-thread ms, median of {args.rounds}\n")
    print("cause | " + " | ".join(str(s) for s in args.sites))
    print("---|" + "---:|" * len(args.sites))
    for k in keys:
        meds = [statistics.median(r.get(k, 0) for r in runs[s]) for s in args.sites]
        if max(meds) >= 20:
            print(f"{k} | " + " | ".join(f"{m:.0f}" for m in meds))
    totals = [statistics.median(sum(r.values()) for r in runs[s]) for s in args.sites]
    print("all of the above | " + " | ".join(f"{t:.0f}" for t in totals))


if __name__ == "__main__":
    main()
