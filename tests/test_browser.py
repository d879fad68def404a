"""The built site in a real browser (headless Chromium): every page of it, in light and
dark mode on a desktop and on a 375 px phone.

A reader may be offline or behind a firewall, reads Chinese, and may be on a phone, so
every page must load only from the site itself, show every formula typeset, keep the
snippets' outputs readable in both colour schemes, copy runnable code, find Chinese words
in search, and pass axe's accessibility checks. Pages are found in the built site, so
pages added later are checked too. Each check is a function that the negative tests at
the end also run, on pages broken on purpose, to show it fails when it should.
"""

from __future__ import annotations

import base64
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SEARCH_BOX = 'input.md-search__input[data-md-component="search-query"]'
SEARCH_RESULT = "ol.md-search-result__list > li.md-search-result__item"
# Material's copy buttons, and mkdocs-jupyter's on notebook cells.
COPY_BUTTON = 'button.md-code__button[data-md-type="copy"], clipboard-copy'

MODES = {
    "light": dict(viewport={"width": 1280, "height": 800}, color_scheme="light"),
    "dark": dict(viewport={"width": 1280, "height": 800}, color_scheme="dark"),
    "phone": dict(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                  has_touch=True, color_scheme="light"),
}

# Blocks that may scroll sideways on a phone: code, outputs, display formulas (a long
# equation cannot wrap), tables (Material puts them in a scroll box) and notebook outputs.
MAY_SCROLL = ("pre, code, .highlight, .highlight-ipynb, .snippet-output, div.arithmatex, mjx-container, "
              ".md-typeset__scrollwrap, .jp-OutputArea-output")

# Resolves to the time (ms after navigation start) at which the formulas of the page were
# typeset and their fonts loaded. Runs after Material's own DOMContentLoaded handler has
# queued the page's typesetting on MathJax.startup.promise.
FORMULAS_SHOWN_JS = """
document.addEventListener("DOMContentLoaded", () => setTimeout(() => {
  const startup = window.MathJax && window.MathJax.startup;
  const typeset = startup && startup.promise ? startup.promise : Promise.resolve();
  window.__formulasShown = typeset
    .then(() => new Promise((done) => requestAnimationFrame(done)))
    .then(() => document.fonts.ready)
    .then(() => performance.now());
}));
"""

# Helpers the checks below share, defined once per page.
HELPERS_JS = """
window.__check = {
  rgba(css) {
    const m = css.match(/[\\d.]+/g).map(Number);
    return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1];
  },
  // The colour behind an element: its own and its ancestors' backgrounds, composited.
  background(el) {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = this.rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let out = [255, 255, 255];
    for (const c of layers.reverse()) out = out.map((v, i) => c[i] * c[3] + v * (1 - c[3]));
    return out;
  },
  luminance(rgb) {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  },
  contrast(el) {
    const bg = this.background(el);
    const c = this.rgba(getComputedStyle(el).color);
    const fg = bg.map((v, i) => c[i] * c[3] + v * (1 - c[3]));
    const [hi, lo] = [this.luminance(fg), this.luminance(bg)].sort((a, b) => b - a);
    return Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100;
  },
  shown(el) {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  },
  describe(el) {
    const cls = typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls;
  },
};
"""

MATH_PROBLEMS_JS = """
() => {
  const problems = [];
  for (const e of document.querySelectorAll("mjx-merror, [data-mjx-error]"))
    problems.push("TeX error: " + (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 100));
  for (const e of document.querySelectorAll(".arithmatex"))
    if (!e.querySelector("mjx-container")) problems.push("not typeset: " + e.textContent.trim().slice(0, 100));
  // TeX a reader would see as text: anywhere but code, outputs and typeset math.
  const skip = "pre, code, kbd, samp, script, style, textarea, mjx-container, .snippet-output, .snippet-failure";
  const tex = /\\$|\\\\[()[\\]]|\\\\[A-Za-z]+/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    const el = node.parentElement;
    if (tex.test(node.data) && !el.closest(skip) && el.checkVisibility())
      problems.push("raw TeX visible in " + __check.describe(el) + ": " + node.data.trim().slice(0, 100));
  }
  return problems;
}
"""

OUTPUTS_JS = """
() => [...document.querySelectorAll(".snippet-output, .jp-OutputArea-output")].map((e) => {
  const text = e.querySelector("pre") || e;
  return {
    what: __check.describe(e),
    text: text.textContent,
    shown: __check.shown(e) && (text.textContent.trim() !== "" || !!e.querySelector("img, svg")),
    typeset: e.querySelectorAll("mjx-container").length,
    contrast: __check.contrast(text),
    // Set apart from the code above it: a label and a coloured bar (snippet outputs only).
    distinct: !e.matches(".snippet-output") || (getComputedStyle(e, "::before").content !== "none" &&
      parseFloat(getComputedStyle(e).borderLeftWidth) >= 2),
  };
})
"""

FORMULA_CONTRAST_JS = """
() => [...document.querySelectorAll("mjx-container")].filter((e) => __check.shown(e))
  .map((e) => ({ tex: e.closest(".arithmatex, p, li, div").textContent.slice(0, 60), contrast: __check.contrast(e) }))
"""

SIDEWAYS_JS = """
(mayScroll) => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!__check.shown(el)) continue;
    const style = getComputedStyle(el);
    // A box that scrolls sideways itself.
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1 && !el.matches(mayScroll))
      problems.push("scrolls sideways: " + __check.describe(el));
    // A box that sticks out of the screen, unless an ancestor clips or scrolls it.
    if (el.getBoundingClientRect().right <= width + 1) continue;
    let holder = el.parentElement;
    while (holder && holder !== document.body && getComputedStyle(holder).overflowX === "visible") holder = holder.parentElement;
    const clipped = holder && holder !== document.body &&
      (["hidden", "clip"].includes(getComputedStyle(holder).overflowX) || holder.matches(mayScroll));
    if (!clipped) problems.push("wider than the screen: " + __check.describe(el));
  }
  return { scrollWidth: document.documentElement.scrollWidth, width, problems };
}
"""

HEADINGS_JS = """
() => [...document.querySelectorAll("article h1, article h2, article h3, article h4, article h5, article h6")]
  .map((h) => ({ id: h.id, text: h.textContent.replace(/[¶\\s]+$/, "") }))
"""

# The text of the section a search result links to: its heading up to the next heading.
SECTION_TEXT_JS = """
async (href) => {
  const url = new URL(href);
  const html = await (await fetch(url.pathname)).text();
  const doc = new DOMParser().parseFromString(html, "text/html");
  const article = doc.querySelector("article") || doc.body;
  const id = decodeURIComponent(url.hash.slice(1));
  if (!id) return article.textContent;
  const heading = doc.getElementById(id);
  if (!heading) return null;
  let text = heading.textContent;
  for (let e = heading.nextElementSibling; e && !/^H[1-6]$/.test(e.tagName); e = e.nextElementSibling) text += e.textContent;
  return text;
}
"""


@dataclass
class Loaded:
    """A page open in a browser context, with what happened while it loaded."""

    url: str
    mode: str
    page: object
    requests: list = field(default_factory=list)
    console: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)
    formulas_ms: float | None = None
    code_set_up: tuple[int, int] = (0, 0)  # (blocks Material had set up at load, blocks)
    first_visit: list = field(default_factory=list)  # requests until the network was idle, before any scrolling
    unreachable: list = field(default_factory=list)  # blocks not drawn yet, out of keyboard reach, at load

    def foreign_requests(self) -> list[str]:
        return [r.url for r in self.requests if not _is_local(r.url)]


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


def _block_other_hosts(route):
    if _is_local(route.request.url):
        route.continue_()
    else:
        route.abort("blockedbyclient")


def open_page(browser, url: str, mode: str = "light", abort: str | None = None, ready: bool = True,
              **context_options) -> Loaded:
    """Load url in a fresh context (a cold cache, like a first visit), recording every
    request and blocking all but the site's own, so no test depends on the internet.
    abort: a URL pattern to make fail as well. ready=False returns as soon as the page
    starts loading (finish_loading then waits), so that several pages load at once."""
    context = browser.new_context(**{**MODES[mode], **context_options})
    context.route("**/*", _block_other_hosts)
    if abort:
        context.route(abort, lambda route: route.abort())
    page = context.new_page()
    loaded = Loaded(url, mode, page)
    context.on("request", lambda request: loaded.requests.append(request))
    page.on("console", lambda m: m.type in ("error", "warning") and loaded.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: loaded.console.append(f"uncaught: {e}"))
    page.on("dialog", lambda d: (loaded.dialogs.append(d.message), d.dismiss()))
    page.add_init_script(FORMULAS_SHOWN_JS)
    page.add_init_script(HELPERS_JS)
    page.goto(url, wait_until="load" if ready else "commit")
    return finish_loading(loaded) if ready else loaded


# Material sets up a code block (its copy button) when the block first comes on screen
# (content.lazy): scroll each one into view as a reader scrolling through would, so that every
# check sees every block as a reader does. Returns [set up at load, blocks, left unset].
SET_UP_CODE_JS = """
async () => {
  const config = document.getElementById("__config");
  const features = (config && JSON.parse(config.textContent).features) || [];
  const blocks = features.includes("content.code.copy") ? [...document.querySelectorAll(".md-content pre > code")] : [];
  const pending = () => blocks.filter((c) => !c.parentElement.querySelector(":scope > .md-code__nav"));
  const atLoad = blocks.length - pending().length;
  for (let tries = 0; pending().length && tries < 2 * blocks.length; tries++) {
    pending()[0].scrollIntoView({ block: "center" });
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  }
  window.scrollTo(0, 0);
  return [atLoad, blocks.length, pending().length];
}
"""


# Blocks that may scroll sideways whose content the browser has not drawn (off screen,
# css/reading.css), without a tabindex: a keyboard could not reach them to scroll them.
UNREACHABLE_JS = """
() => [...document.querySelectorAll(".highlight pre > code, .snippet-output > pre, div.arithmatex")]
  .filter((b) => !(b.firstElementChild || b).checkVisibility({ contentVisibilityAuto: true }) && !b.hasAttribute("tabindex"))
  .map((b) => b.textContent.trim().slice(0, 30))
"""


def finish_loading(loaded: Loaded, idle: bool = False) -> Loaded:
    """idle: wait for the network to be idle, and keep what was fetched until then as the
    first visit (a page under mkdocs serve never is: its live reload keeps a request open)."""
    loaded.page.wait_for_load_state("load")
    loaded.formulas_ms = loaded.page.evaluate("window.__formulasShown")
    # Open what a reader can open (the exercises' answers): every check covers it too.
    loaded.page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    if idle:
        loaded.page.wait_for_load_state("networkidle")
    loaded.first_visit = list(loaded.requests)
    loaded.unreachable = loaded.page.evaluate(UNREACHABLE_JS)
    at_load, blocks, unset = loaded.page.evaluate(SET_UP_CODE_JS)
    assert not unset, f"{loaded.url}: {unset} of {blocks} code blocks got no copy button on screen"
    loaded.code_set_up = (at_load, blocks)
    return loaded


def math_problems(loaded: Loaded) -> list[str]:
    return loaded.page.evaluate(MATH_PROBLEMS_JS)


def output_problems(loaded: Loaded, min_contrast: float = 4.5) -> list[str]:
    problems = []
    for out in loaded.page.evaluate(OUTPUTS_JS):
        name = f"{out['what']} {out['text'][:40]!r}"
        if not out["shown"]:
            problems.append(f"not shown: {name}")
        if out["typeset"]:
            problems.append(f"output read as TeX: {name}")
        if not out["distinct"]:
            problems.append(f"looks like code (no label or bar): {name}")
        if out["contrast"] < min_contrast:
            problems.append(f"contrast {out['contrast']} < {min_contrast}: {name}")
    return problems


def sideways_problems(loaded: Loaded) -> list[str]:
    found = loaded.page.evaluate(SIDEWAYS_JS, MAY_SCROLL)
    problems = found["problems"]
    if found["scrollWidth"] > found["width"]:
        problems.append(f"the page scrolls sideways: {found['scrollWidth']} px wide on a {found['width']} px screen")
    return problems


# A reader's click on a copy button: open the answer it may be folded into, bring it on
# screen, and say where to click. Each button gets a real (trusted) mouse click, as a reader
# gives: a click synthesised in the page has no user activation of its own, and copying
# needs one (it lasts a few seconds after the last real input, so a loop of synthesised
# clicks copies nothing once that time is up).
COPY_AIM_JS = """
async (button) => {
  await navigator.clipboard.writeText("");  // so that a copy that did nothing reads as empty
  for (let d = button.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
  button.scrollIntoView({ block: "center" });
  const r = button.getBoundingClientRect();
  const cell = button.closest(".jp-Cell");
  const box = cell || button.closest(".highlight");
  const next = box.nextElementSibling;
  const output = cell ? cell.querySelector(".jp-Cell-outputWrapper") : next && next.matches(".snippet-output") && next;
  return {
    x: r.x + r.width / 2,
    y: r.y + r.height / 2,
    code: (cell ? cell.querySelector(".jp-InputArea pre") : document.querySelector(button.dataset.clipboardTarget)).textContent,
    python: box.matches(".language-python, .language-py") || !!box.querySelector(".hl-python"),
    output: output ? output.textContent : "",
  };
}
"""

# The copy lands a moment after the click (later on a busy machine): wait up to 5 s.
READ_CLIPBOARD_JS = """
async () => {
  for (let wait = 0; wait < 250; wait++) {
    const copied = await navigator.clipboard.readText();
    if (copied) return copied;
    await new Promise((done) => setTimeout(done, 20));
  }
  return "";
}
"""


# What one button copied, and the next button aimed at, in one round trip to the browser.
READ_AND_AIM_JS = f"""
async (next) => {{
  const copied = await ({READ_CLIPBOARD_JS.strip()})();
  return [copied, next ? await ({COPY_AIM_JS.strip()})(next) : null];
}}
"""


def copy_problems(loaded: Loaded) -> list[str]:
    """Click every copy button as a reader does; what lands on the clipboard must be the
    block's code and nothing else: no prompts, not the output shown below it, and Python
    that compiles."""
    page, problems = loaded.page, []
    buttons = page.locator(COPY_BUTTON).element_handles()
    copy = buttons[0].evaluate(COPY_AIM_JS) if buttons else None
    for i in range(len(buttons)):
        page.mouse.click(copy["x"], copy["y"])
        copied, following = page.evaluate(READ_AND_AIM_JS, buttons[i + 1] if i + 1 < len(buttons) else None)
        where = f"copy button {i + 1} ({copied[:40]!r}...)"
        if any(line.startswith((">>>", "...")) for line in copied.splitlines()):
            problems.append(f"{where}: copies prompts")
        output = copy["output"].strip().splitlines()
        if output and copied.rstrip().splitlines()[-len(output):] == output:
            problems.append(f"{where}: copies the output below it")
        if copied.rstrip("\n") != copy["code"].rstrip("\n"):
            problems.append(f"{where}: copies something else than the code block shows")
        if copy["python"] and (error := _syntax_error(copied)):
            problems.append(f"{where}: not runnable Python: {error}")
        copy = following
    return problems


def _syntax_error(code: str) -> str | None:
    if any(line.startswith(("%", "!")) for line in code.splitlines()):
        # A notebook cell runs in IPython, where %magic lines are valid.
        from IPython.core.inputtransformer2 import TransformerManager

        code = TransformerManager().transform_cell(code)
    try:
        compile(code, "<copied>", "exec")
    except SyntaxError as exc:
        return str(exc)
    return None


def search(page, query: str) -> list[str]:
    """Type query into the search box as a reader does; the links of the results.

    Material reads the box on keyup; typing Chinese (not on a US keyboard) sends none,
    so End is pressed afterwards, as a reader's IME commit would."""
    box = page.locator(SEARCH_BOX)
    box.click()
    box.fill("")  # first clear the results of an earlier query, so as not to read those
    box.press("End")
    page.wait_for_selector(SEARCH_RESULT, state="detached", timeout=5_000)
    box.fill(query)
    box.press("End")
    try:
        page.wait_for_selector(SEARCH_RESULT, timeout=5_000)
    except Exception:
        return []
    return page.eval_on_selector_all(f"{SEARCH_RESULT} a.md-search-result__link", "links => links.map((a) => a.href)")


SETTLED_JS = """
async () => {
  await (window.MathJax && MathJax.startup && MathJax.startup.promise);
  const running = document.getAnimations().filter((a) => a.effect.getTiming().iterations !== Infinity);
  await Promise.all(running.map((a) => a.finished.catch(() => null)));
}
"""


# The rules whose verdict depends on colours: the only ones a second colour scheme can change.
# Colour contrast is half of axe's time on the chapter, so each scheme runs them, the desktop
# in the light scheme runs every rule, and the phone every rule but these (its layout differs).
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
AXE_RULES = {"light": None, "dark": {"runOnly": {"type": "rule", "values": COLOUR_RULES}},
             "phone": {"rules": {rule: {"enabled": False} for rule in COLOUR_RULES}}}


def start_axe(loaded: Loaded) -> None:
    """Start axe-core on the page, once formulas and transitions are done (a colour caught
    halfway through a fade is not the page's), with the rules of its mode (AXE_RULES).
    Pages open in other tabs run theirs at the same time, each in its own renderer process."""
    loaded.page.evaluate(SETTLED_JS)
    loaded.page.add_script_tag(path=str(AXE))
    options = {"resultTypes": ["violations"], **(AXE_RULES.get(loaded.mode) or {})}
    loaded.page.evaluate("(options) => { window.__axe = axe.run(document, options); }", options)


def axe_problems(loaded: Loaded) -> list[str]:
    """axe-core's serious and critical violations (start_axe first, or it is started here)."""
    if not loaded.page.evaluate("() => !!window.__axe"):
        start_axe(loaded)
    result = loaded.page.evaluate("async () => { const r = await window.__axe; window.__axe = null; return r; }")
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def site_pages(site: Path) -> list[str]:
    """Every page of a built site, as a URL path ('' is the home page)."""
    paths = []
    for html in sorted(site.rglob("*.html")):
        rel = html.relative_to(site).as_posix()
        if rel != "404.html":
            paths.append(rel.removesuffix("index.html"))
    return paths


def _slug(path: str) -> str:
    return path.strip("/").replace("/", "-").removesuffix(".html") or "index"


@pytest.fixture(scope="module")
def site_url(built_site, serve):
    return serve(built_site)


@pytest.fixture(scope="module")
def pages(browser, built_site, site_url, screenshots_dir):
    """Every page of the real site, loaded once in each mode, with screenshots."""
    for old in screenshots_dir.glob("*.png"):
        old.unlink()
    loaded = {}
    # Every page starts loading at once (a renderer process each, so both CPUs work).
    report = ["page | requests to other hosts | transferred bytes | formulas shown after (ms; all pages loading at once)"]
    for path in site_pages(built_site):
        for mode in MODES:
            extra = {"permissions": ["clipboard-read", "clipboard-write"]} if mode == "light" else {}
            loaded[path, mode] = open_page(browser, site_url + path, mode, ready=False, **extra)
    for (path, mode), one in loaded.items():
        finish_loading(one, idle=mode == "light")
        # The first screen of each: a full-page screenshot of the chapter (thousands of typeset
        # formulas) took 10 to over 30 s; the checks below read the whole page anyway.
        one.page.screenshot(path=str(screenshots_dir / f"{_slug(path)}-{mode}.png"))
        if mode == "light":
            sent = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"]
                       for r in one.first_visit if _is_local(r.url) and r.response())
            report.append(f"/{path} | {len(one.foreign_requests())} | {sent} | {one.formulas_ms:.0f}")
    (screenshots_dir.parent / "page-metrics.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n" + "\n".join(report))
    yield loaded
    for one in loaded.values():
        one.page.context.close()


def _each(pages, *modes):
    return [(f"/{path} ({mode})", one) for (path, mode), one in pages.items() if not modes or mode in modes]


def _failures(pages, check, *modes) -> list[str]:
    return [f"{name}: {problem}" for name, one in _each(pages, *modes) for problem in check(one)]


def test_pages_are_found_in_the_built_site(built_site):
    found = site_pages(built_site)
    assert "" in found and "ch12/" in found, found


# What a reader downloads, uncompressed, as the pages fixture counts it (the light tab, once
# the network is idle). The first visit's budget is the aim it was given; the chapter's HTML
# was aimed at 400 KiB, which its formulas alone exceed (338 KiB, the MathML for screen
# readers included), so its budget holds what was reached (686 KiB) against growth.
FIRST_VISIT_BUDGET = 1.2 * 1024 * 1024
CHAPTER_HTML_BUDGET = 720 * 1024


def test_the_chapter_stays_within_its_weight_budget(pages, site_url):
    one = pages["ch12/", "light"]
    sizes = {r.url: r.sizes()["responseBodySize"] for r in one.first_visit if _is_local(r.url) and r.response()}
    assert sum(sizes.values()) <= FIRST_VISIT_BUDGET, sorted(sizes.items(), key=lambda kv: -kv[1])[:5]
    assert sizes[site_url + "ch12/"] <= CHAPTER_HTML_BUDGET


def test_no_page_requests_anything_from_another_host(pages):
    assert _failures(pages, Loaded.foreign_requests) == []


def test_no_page_logs_an_error_or_opens_a_dialog(pages):
    assert _failures(pages, lambda one: one.console + one.dialogs) == []


def test_every_formula_is_typeset(pages):
    assert any(one.page.locator("mjx-container").count() for one in pages.values()), "no formula on the whole site?"
    assert _failures(pages, math_problems) == []


def test_every_output_is_shown_literally_and_readable_in_light_and_dark(pages):
    assert any(one.page.locator(".snippet-output").count() for one in pages.values())
    dark = [one.page.evaluate("document.body.dataset.mdColorScheme") for _, one in _each(pages, "dark")]
    assert set(dark) == {"slate"}, "dark mode was not applied, so it was not checked"
    assert _failures(pages, output_problems) == []


def test_formulas_are_readable_in_light_and_dark(pages):
    low = [f"{name}: contrast {f['contrast']} at {f['tex']!r}"
           for name, one in _each(pages) for f in one.page.evaluate(FORMULA_CONTRAST_JS) if f["contrast"] < 4.5]
    assert low == []


def test_on_a_phone_only_code_outputs_and_formulas_scroll_sideways(pages):
    assert _failures(pages, sideways_problems, "phone") == []


def test_headings_have_readable_anchors(pages):
    problems = []
    for name, one in _each(pages, "light"):
        headings = one.page.evaluate(HEADINGS_JS)
        ids = [h["id"] for h in headings]
        for h in headings:
            chinese = any("\u4e00" <= ch <= "\u9fff" for ch in h["text"])
            if not h["id"] or h["id"].lstrip("_").isdigit() or ids.count(h["id"]) > 1 or (
                    chinese and not any("\u4e00" <= ch <= "\u9fff" for ch in h["id"])):
                problems.append(f"{name}: heading {h['text']!r} has the anchor #{h['id']}")
    assert problems == []
    assert any(h["id"] == "激活函数" for _, one in _each(pages, "light") for h in one.page.evaluate(HEADINGS_JS))


def test_code_blocks_are_set_up_as_they_come_on_screen(pages):
    """Setting up every block at load kept a phone busy for seconds (mkdocs.yml, content.lazy):
    on the chapter only the blocks near the first screen have their button at load."""
    at_load, blocks = pages["ch12/", "phone"].code_set_up
    assert blocks > 100 and at_load < blocks / 10, (at_load, blocks)


# Whether the chapter's last code block is laid out, scrolled away and then into view.
SKIPPED_JS = """
async () => {
  const last = [...document.querySelectorAll(".md-content .highlight pre > code")].pop();
  window.scrollTo(0, 0);
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const away = last.checkVisibility({ contentVisibilityAuto: true });
  last.scrollIntoView();
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const near = last.checkVisibility({ contentVisibilityAuto: true });
  window.scrollTo(0, 0);
  return [away, near];
}
"""


def test_blocks_not_drawn_yet_are_in_keyboard_reach(pages):
    """Checked at load, before anything is scrolled into view (js/a11y.js)."""
    assert pages["ch12/", "phone"].unreachable == []


def test_blocks_off_screen_are_not_laid_out(pages):
    """A phone lays out the chapter as the reader scrolls (css/reading.css, content-visibility)."""
    assert pages["ch12/", "phone"].page.evaluate(SKIPPED_JS) == [False, True]


def test_copy_buttons_copy_runnable_code_only(pages):
    assert any(one.page.locator(COPY_BUTTON).count() for one in pages.values())
    assert _failures(pages, copy_problems, "light") == []


# Selects the paragraph of the chapter's first inline formula, or a display formula and the
# paragraph before it, as a reader drags over them; the TeX of the formulas selected.
SELECT_FORMULA_JS = """
(display) => {
  const formula = document.querySelector(display ? "article div.arithmatex[data-tex]" : "article p span.arithmatex[data-tex]");
  const range = document.createRange();
  if (display) {
    range.setStartBefore(formula.previousElementSibling);
    range.setEndAfter(formula);
  } else range.selectNodeContents(formula.closest("p"));
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return [...range.cloneContents().querySelectorAll("[data-tex]")].map((f) => [f.tagName === "DIV", f.dataset.tex]);
}
"""


@pytest.mark.parametrize("display", [False, True], ids=["inline", "display"])
def test_copied_text_holds_the_tex_of_its_formulas(pages, display):
    page = pages["ch12/", "light"].page
    page.evaluate("navigator.clipboard.writeText('')")
    texes = page.evaluate(SELECT_FORMULA_JS, display)
    page.keyboard.press("Control+C")
    copied = page.evaluate("navigator.clipboard.readText()")
    page.evaluate("getSelection().removeAllRanges()")
    assert texes
    assert any(block for block, _ in texes) == display
    for block, tex in texes:
        assert (f"$${tex}$$" if block else f"\\({tex}\\)") in copied, (tex, copied[:300])


def test_search_finds_chinese_words_from_every_page(pages):
    empty = [name for name, one in _each(pages, "light") if not search(one.page, "激活函数")]
    assert empty == []


@pytest.mark.parametrize("query", ["激活函数", "损失函数", "梯度", "均方误差", "softmax", "logistic", "Rectified", "Mean"])
def test_search_leads_to_the_section_about_the_word(pages, site_url, query):
    page = pages["", "light"].page
    links = search(page, query)
    assert links, f"no result for {query}"
    # The best result and its first section: both must be about the word.
    for href in links[:2]:
        text = page.evaluate(SECTION_TEXT_JS, href)
        assert text is not None, f"{query}: {unquote(href)} links to a missing anchor"
        assert query.lower() in text.replace("\u200b", "").lower(), f"{query}: {unquote(href)} does not contain it"
    assert not math_problems(pages["", "light"]), "formulas quoted in search results must be typeset too"


def test_no_serious_accessibility_violation(pages):
    for _, one in _each(pages):
        if one.mode != "phone":  # the results are part of the page too (on a phone, behind a button)
            assert search(one.page, "softmax"), "no search results to check"
        start_axe(one)
    assert _failures(pages, axe_problems) == []


# --- Reading: line breaks, copy buttons, figures, search, navigation -------------------

# Where a line starts with punctuation that must not start one (Chinese typography's rule,
# which browsers keep within text but not next to an inline formula's box): each such
# character whose box sits on a lower line than what precedes it, and further left.
LINE_STARTS_JS = """
() => {
  const NO_START = /[，。、；：？！）」』】〉》”’…,.;:?!)\\]]/;
  const root = document.querySelector(".md-content") || document.body;
  const skip = "pre, code, script, style, mjx-container";
  const range = document.createRange();
  const box = (node, i) => {
    range.setStart(node, i); range.setEnd(node, i + 1);
    return [...range.getClientRects()].find((r) => r.width > 0);
  };
  // The last box drawn before node within its block.
  const before = (node) => {
    for (let n = node; n && n !== root; n = n.parentNode) {
      for (let s = n.previousSibling; s; s = s.previousSibling) {
        if (s.nodeType === Node.TEXT_NODE) {
          for (let i = s.length - 1; i >= 0; i--) if (/\\S/.test(s.data[i]) && box(s, i)) return box(s, i);
        } else if (s.nodeType === Node.ELEMENT_NODE) {
          const rects = [...s.getClientRects()].filter((r) => r.width > 0);
          if (rects.length) return rects[rects.length - 1];
        }
      }
      if (getComputedStyle(n.parentNode).display !== "inline") return null;
    }
    return null;
  };
  const found = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    const el = node.parentElement;
    if (el.closest(skip) || !el.checkVisibility()) continue;
    for (let i = 0; i < node.length; i++) {
      if (!NO_START.test(node.data[i])) continue;
      const here = box(node, i);
      if (!here) continue;
      let prev = null;
      for (let j = i - 1; j >= 0 && !prev; j--) if (/\\S/.test(node.data[j])) prev = box(node, j);
      if (!prev && !node.data.slice(0, i).trim()) prev = before(node);
      if (prev && (here.top + here.bottom) / 2 > prev.bottom && here.left < prev.left)
        found.push(node.data.slice(i, i + 12).trim());
    }
  }
  return found;
}
"""


def line_start_problems(loaded: Loaded) -> list[str]:
    loaded.page.evaluate(SETTLED_JS)
    return [f"a line starts with {text!r}" for text in loaded.page.evaluate(LINE_STARTS_JS)]


def test_no_line_starts_with_closing_punctuation(pages):
    assert _failures(pages, line_start_problems, "light", "phone") == []


# Code text under a copy button, with each block scrolled to its start and to its end.
COPY_OVERLAP_JS = """
() => {
  const found = [];
  for (const button of document.querySelectorAll(".md-content .md-code__button, .md-content clipboard-copy")) {
    if (!button.checkVisibility()) continue;
    const block = button.closest("pre, .CodeMirror");
    const code = block.matches("pre") ? block.querySelector(":scope > code") : block.querySelector(".highlight-ipynb");
    button.scrollIntoView({ block: "center" });
    for (const end of [false, true]) {
      code.scrollLeft = end ? code.scrollWidth : 0;
      const b = button.getBoundingClientRect();
      const shown = code.getBoundingClientRect();
      const range = document.createRange();
      const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
      search: for (let node; (node = walker.nextNode()); ) {
        for (let i = 0; i < node.length; i++) {
          if (!/\\S/.test(node.data[i])) continue;
          range.setStart(node, i); range.setEnd(node, i + 1);
          const r = range.getBoundingClientRect();
          if (r.right <= shown.left || r.left >= shown.right) continue;  // scrolled out of sight
          // A glyph's box is taller than the glyph: grazing the button's edge by 2 px is clear.
          if (r.left < b.right && r.right > b.left && r.top < b.bottom - 2 && r.bottom > b.top + 2) {
            found.push(`${node.data.slice(Math.max(0, i - 12), i + 12).trim()} (scrolled to the ${end ? "end" : "start"})`);
            break search;
          }
        }
      }
      code.scrollLeft = 0;
    }
  }
  return found;
}
"""


def copy_overlap_problems(loaded: Loaded) -> list[str]:
    return [f"the copy button covers code: {where}" for where in loaded.page.evaluate(COPY_OVERLAP_JS)]


def test_copy_buttons_cover_no_code(pages):
    assert _failures(pages, copy_overlap_problems, "light", "phone") == []


# Blocks whose strip for the button, once they are on screen, is not what js/copy-button.js
# would decide now: stale.
STALE_STRIP_JS = """
async () => {
  const stale = [];
  const blocks = [...document.querySelectorAll(".md-content pre")].filter((b) => b.querySelector(".md-code__button"));
  for (const block of blocks.filter((_, i) => i % 4 === 0)) {  // a sample: 2 frames each
    block.scrollIntoView({ block: "center" });
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    const had = block.classList.contains("copy-button-above");
    block.classList.remove("copy-button-above");
    const needs = reachesUnder(block, COPY_BUTTONS[0]);
    block.classList.toggle("copy-button-above", had);
    if (had !== needs) stale.push(block.textContent.trim().slice(0, 30));
  }
  return stale;
}
"""


def test_copy_buttons_are_placed_again_when_the_phone_is_turned(pages):
    """Turned sideways and back, a block gets the strip its code needs at that width when it
    comes on screen, those off screen at the turn too (drawn only on screen, css/reading.css)."""
    one = pages["ch12/", "phone"]
    try:
        for width, height in ((740, 375), (375, 740)):
            one.page.set_viewport_size({"width": width, "height": height})
            one.page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
            assert one.page.evaluate(STALE_STRIP_JS) == [], width
    finally:
        one.page.set_viewport_size(MODES["phone"]["viewport"])


MIN_TICK_PX = 9
FIGURE_IMAGES = ".snippet-figure img, .jp-RenderedSVG img"  # chapter figures, notebook outputs


def tick_label_units(svg: str) -> tuple[float, float]:
    """The smallest tick label font size of a matplotlib SVG, and its width, in its own units.
    Text is drawn as paths: each label is a group scaled from glyphs 100 units high."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    sizes = []
    for tick in root.iter("{http://www.w3.org/2000/svg}g"):
        if re.fullmatch(r"[xy]tick_\d+", tick.get("id", "")):
            for g in tick.iter("{http://www.w3.org/2000/svg}g"):
                if m := re.search(r"scale\(([\d.]+)", g.get("transform", "")):
                    sizes.append(float(m.group(1)) * 100)
    return min(sizes, default=math.inf), float(root.get("viewBox").split()[2])


def svg_source(page, src: str) -> str:
    """An image's SVG: inline data (notebook outputs) or a file of the site (the chapter's)."""
    if src.startswith("data:"):
        return base64.b64decode(src.split(",", 1)[1].split("#")[0]).decode()
    return page.evaluate("(src) => fetch(src).then((r) => r.text())", src)


FIGURES_JS = """
(selector) => [...document.querySelectorAll(selector)].filter((img) => img.checkVisibility())
  .map((img) => ({ src: img.src, width: img.getBoundingClientRect().width, alt: img.alt }))
"""


def figure_problems(loaded: Loaded) -> list[str]:
    """Each figure's tick labels are at least MIN_TICK_PX CSS px as shown, or as shown
    after a tap on the figure."""
    page, problems = loaded.page, []
    for i, figure in enumerate(page.evaluate(FIGURES_JS, FIGURE_IMAGES)):
        font, width = tick_label_units(svg_source(page, figure["src"]))
        px = font * figure["width"] / width
        if px >= MIN_TICK_PX:
            continue
        page.locator(FIGURE_IMAGES).filter(visible=True).nth(i).click()
        zoomed = page.evaluate(FIGURES_JS, "dialog[open] img")
        if not zoomed:
            problems.append(f"{figure['alt']}: tick labels {px:.1f} px, and a tap does not enlarge it")
            continue
        px_zoomed = font * zoomed[0]["width"] / width
        if px_zoomed < MIN_TICK_PX:
            problems.append(f"{figure['alt']}: tick labels {px:.1f} px, {px_zoomed:.1f} px after a tap")
        page.locator("dialog[open]").click()
        if page.evaluate(FIGURES_JS, "dialog[open] img"):
            problems.append(f"{figure['alt']}: the enlarged figure does not close on a tap")
    return problems


def test_figure_tick_labels_are_legible_on_a_phone(pages):
    assert any(one.page.locator(".jp-RenderedSVG img").count() for _, one in _each(pages, "phone"))
    assert any(one.page.locator(".snippet-figure img").count() for _, one in _each(pages, "phone"))
    assert _failures(pages, figure_problems, "phone") == []


def figure_scheme_problems(loaded: Loaded) -> list[str]:
    """Each chapter figure is shown once, in the variant drawn for the page's scheme:
    light ink on the page's own colour in dark mode, the white-paper one in light mode.
    The variant the scheme hides is never downloaded."""
    want = "snippet-dark" if loaded.mode == "dark" else "snippet-light"
    problems = []
    shown = loaded.page.evaluate(
        "() => [...document.querySelectorAll('.snippet-figure')].map((f) =>"
        " [...f.querySelectorAll('img')].filter((i) => i.checkVisibility()).map((i) => ({cls: i.className, src: i.src})))")
    hidden = set(loaded.page.evaluate(
        "() => [...document.querySelectorAll('.snippet-figure img')].filter((i) => !i.checkVisibility()).map((i) => i.src)"))
    for i, imgs in enumerate(shown):
        if [img["cls"] for img in imgs] != [want]:
            problems.append(f"figure {i + 1}: shows {[img['cls'] for img in imgs]}, not {want}")
            continue
        svg = svg_source(loaded.page, imgs[0]["src"])
        if (loaded.mode == "dark") != ("#e2e4e9" in svg):
            problems.append(f"figure {i + 1}: the {want} image is not drawn for this scheme")
    fetched = [r.url for r in loaded.requests if r.url in hidden]
    problems += [f"the hidden variant {unquote(url)} was downloaded" for url in fetched]
    return problems


# A name token drawn where Pygments' span used to be: its colour with the span, against
# that of the code around it (which is what it is drawn in now that the span is gone).
NAME_COLOUR_JS = """
() => {
  const code = document.querySelector(".highlight code");
  const name = document.createElement("span");
  name.className = "n";
  name.textContent = "x";
  code.append(name);
  const colours = [getComputedStyle(name).color, getComputedStyle(code).color];
  name.remove();
  return colours;
}
"""


def test_code_names_keep_their_colour_without_their_spans(pages, built_site):
    chapter = (built_site / "ch12" / "index.html").read_text(encoding="utf-8")
    assert 'class="n"' not in chapter and 'class="w"' not in chapter and "manual_seed" in chapter
    for mode in ("light", "dark"):
        with_span, around = pages["ch12/", mode].page.evaluate(NAME_COLOUR_JS)
        assert with_span == around, mode


def test_dark_mode_shows_the_dark_figure_variant(pages):
    assert any(one.page.locator(".snippet-figure").count() for _, one in _each(pages, "dark"))
    assert _failures(pages, figure_scheme_problems, "light", "dark", "phone") == []


# The result a reader is shown first: the highest-scored entry of the first result, and
# whether the term is highlighted whole in it (each of its characters inside a <mark>).
BEST_HIT_JS = """
(term) => {
  const item = document.querySelector("ol.md-search-result__list > li.md-search-result__item");
  if (!item) return null;
  const score = (a) => parseFloat(a.querySelector("article").dataset.mdScore);
  const best = [...item.querySelectorAll("a.md-search-result__link")].reduce((a, b) => score(b) > score(a) ? b : a);
  let text = "";
  const marked = [];
  const walker = document.createTreeWalker(best, NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode()); )
    for (const ch of n.data) {
      if (ch === "\\u200b") continue;
      text += ch;
      marked.push(!!n.parentElement.closest("mark"));
    }
  let whole = false;
  for (let i = text.indexOf(term); i >= 0 && !whole; i = text.indexOf(term, i + 1))
    whole = marked.slice(i, i + term.length).every(Boolean);
  // The words Material says the result lacks ("缺少: 交叉熵*"), without its label.
  const lacking = best.querySelector(".md-search-result__terms");
  const missing = lacking ? [...lacking.childNodes].slice(1).map((n) => n.textContent.trim()).filter((w) => w && w !== ":") : [];
  return { href: best.href, whole, missing, marks: [...best.querySelectorAll("mark")].map((m) => m.textContent.replace(/\\u200b/g, "")) };
}
"""


def glossary_section(docs: Path, query: str) -> str | None:
    """The section (URL path and anchor) the glossary gives for the term query begins."""
    from snipdoc.integration import search as glossary

    sections = glossary.section_urls(glossary.load_glossary(docs / glossary.GLOSSARY), use_directory_urls=True)
    return next((url for term, url in sections.items() if term.startswith(query)), None)


def best_hit_problems(page, query: str, docs: Path, expected: str | None = None) -> list[str]:
    """What is wrong with the result shown first: not the section expected (the glossary's,
    or the one given), or one without the query; the query not highlighted whole in it; a
    word said to be missing ("缺少") that it contains."""
    links = search(page, query)
    if not links:
        return [f"{query}: no result"]
    hit = page.evaluate(BEST_HIT_JS, query)
    where = unquote(urlsplit(hit["href"]).path.lstrip("/") + "#" + urlsplit(hit["href"]).fragment)
    problems = []
    expected = expected or glossary_section(docs, query)
    text = (page.evaluate(SECTION_TEXT_JS, hit["href"]) or "").replace("\u200b", "")
    if expected and where.rstrip("#") != expected:
        problems.append(f"{query}: the first result is {where}, not the section about it, {expected}")
    if not expected and query.lower() not in text.lower():
        problems.append(f"{query}: the first result {where} does not contain it")
    if not hit["whole"]:
        problems.append(f"{query}: not highlighted whole in {where}: marks {hit['marks']}")
    present = [word for word in hit["missing"] if word.rstrip("*").lower() in text.lower()]
    if present:
        problems.append(f"{query}: {where} is said to lack {present}, which it contains")
    return problems


# Sections the chapter itself says a term is about, beside the glossary's: a heading that
# names it, or a phrase that defines it (这就是“梯度消失”).
DEFINED_IN = {"梯度消失": "ch12/#sigmoidlogistic-函数", "softmax": "ch12/#softmax", "ReLU": "ch12/#relu线性整流单元",
              "sigmoid": "ch12/#sigmoidlogistic-函数"}


@pytest.mark.parametrize("query", ["雅可比", "均方误差", "激活函数", "梯度下降", "交叉熵损失", *DEFINED_IN,
                                   "数值稳定", "logistic", "Rectified", "Exponential", "Mean", "Squared", "Gaussian"])
def test_search_shows_the_section_about_a_term_first_with_the_term_highlighted(pages, query):
    page = pages["", "light"].page
    assert best_hit_problems(page, query, ROOT / "docs", DEFINED_IN.get(query)) == []


def search_ready(page) -> None:
    """Wait for Material's search worker: when it gets ready, Material reads the box once
    (without any handler of ours), so a query filled in before that is searched by chance."""
    page.wait_for_function("() => !document.querySelector('.md-search-result__meta').textContent.includes('初始化')")


def test_a_query_entered_without_key_events_is_searched(pages):
    page = pages["ch12/", "light"].page
    box = page.locator(SEARCH_BOX)
    box.click()
    search_ready(page)
    box.fill("softmax")  # an input event and no key: a paste from the context menu
    page.wait_for_selector(SEARCH_RESULT, timeout=5_000)
    box.evaluate("(box) => { box.value = ''; box.dispatchEvent(new Event('input')); }")
    page.wait_for_selector(SEARCH_RESULT, state="detached", timeout=5_000)
    # An input method commits its text when the composition ends.
    box.evaluate("""(box) => {
      box.dispatchEvent(new CompositionEvent("compositionstart"));
      box.value = "激活函数";
      box.dispatchEvent(new InputEvent("input", { isComposing: true }));
      box.dispatchEvent(new CompositionEvent("compositionend", { data: "激活函数" }));
    }""")
    page.wait_for_selector(SEARCH_RESULT, timeout=5_000)


def test_pages_end_with_links_to_the_previous_and_next_page(pages):
    page = pages["ch12/", "light"].page
    assert page.locator(".md-footer__link--prev").count() == 1
    assert page.locator(".md-footer__link--next").count() == 1


def test_the_sidebar_says_which_entry_is_the_notebook(pages):
    label = pages["", "light"].page.evaluate("""() => {
      const link = document.querySelector('.md-sidebar--primary a.md-nav__link[href$="notebooks/ch12/"]');
      return link && link.closest("li.md-nav__item--section").querySelector(":scope > label, :scope > .md-nav__link").textContent.trim();
    }""")
    assert label and "Jupyter Notebook" in label, label


def test_notebook_pages_inline_no_stylesheet(built_site):
    for page in built_site.glob("notebooks/**/index.html"):
        html = page.read_text(encoding="utf-8")
        assert "<style" not in html.split('<article', 1)[1], f"{page}: a stylesheet inlined in the page"
        assert 'assets/jupyter/notebook.css">' in html


# The computed style of every element of the notebook, for the properties that show.
# Read once the page has reacted to the styles in place: fonts loaded, and two frames for
# the layout scripts (js/copy-button.js re-places a copy button when its block's size changes).
NOTEBOOK_STYLES_JS = """
async () => {
  await document.fonts.ready;
  for (let i = 0; i < 2; i++) await new Promise((done) => requestAnimationFrame(done));
  return [...document.querySelectorAll(".jupyter-wrapper *")].map((el) => {
    const s = getComputedStyle(el);
    return ["display", "position", "color", "background-color", "font-family", "font-size", "font-weight",
            "line-height", "white-space", "margin-top", "margin-left", "padding-top", "padding-left",
            "border-top-width", "border-left-color", "width", "overflow-x", "visibility"].map((p) => s.getPropertyValue(p)).join("|");
  });
}
"""


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_the_shared_notebook_stylesheet_styles_the_page_as_the_whole_jupyter_css_did(browser, site_url, built_site, mode):
    """The rules left out of the shared stylesheet change nothing: with mkdocs-jupyter's
    own inlined CSS back in place, every element of the notebook looks the same."""
    from mkdocs_jupyter.nbconvert2 import nb2html

    from snipdoc.integration import notebook_css

    ipynb = next(built_site.glob("notebooks/**/*.ipynb"))
    url = site_url + ipynb.parent.relative_to(built_site).as_posix() + "/"
    _, styles = notebook_css.take_styles(nb2html(str(ipynb), no_prompt=True))
    one = open_page(browser, url, mode)
    shared = one.page.evaluate(NOTEBOOK_STYLES_JS)
    one.page.evaluate("""(styles) => {
      const link = document.querySelector('link[href$="assets/jupyter/notebook.css"]');
      for (const css of styles) link.insertAdjacentHTML("beforebegin", "<style>" + css + "</style>");
      link.remove();
    }""", styles)
    whole = one.page.evaluate(NOTEBOOK_STYLES_JS)
    one.page.context.close()
    assert len(shared) > 100
    assert [(i, [(x, y) for x, y in zip(a.split("|"), b.split("|")) if x != y]) for i, (a, b) in enumerate(zip(shared, whole)) if a != b] == []


# Any HTTP request from Python goes to a closed port: a build that needs the internet fails.
UNPLUGGED = {name: "http://127.0.0.1:9" for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}


def test_mkdocs_serve_works_with_the_network_unplugged(browser, tmp_path):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    env = {**os.environ, **UNPLUGGED, "NO_PROXY": "", "no_proxy": "", "NO_MKDOCS_2_WARNING": "1"}
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "mkdocs"), "serve", "-a", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/ch12/"
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "mkdocs serve did not start"
                time.sleep(0.5)
        one = open_page(browser, url)
        assert one.foreign_requests() == [] and one.console == []
        assert one.page.locator("mjx-container").count() and math_problems(one) == []
        assert one.page.locator(".snippet-output").count() and output_problems(one) == []
        one.page.context.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


# Negative tests: the checks above fail on a page broken on purpose.

TINY_MKDOCS_YML = """\
site_name: t
theme:
  name: material
  language: zh
  font: false
  features: [content.code.copy]
markdown_extensions:
  - pymdownx.superfences
  - pymdownx.highlight
  - pymdownx.arithmatex:
      generic: true
plugins:
  - snipdoc
extra_css: [css/snippets.css]
extra_javascript: [js/search-formulas.js]
"""

TINY_PAGES = {
    # Output that looks like HTML, Markdown and TeX, on a page with a typeset formula.
    "index.md": "# 输出\n\n公式 $x^2$。\n\n::: snippet x.txt\n",
    "foreign.md": '# 外部图片\n\n<img src="http://example.com/x.png" alt="外部图片">\n',
}
LITERAL = "<script>alert(1)</script> *a* $x$"


@pytest.fixture(scope="module")
def tiny_url(tmp_path_factory, serve, build_site):
    root = tmp_path_factory.mktemp("tiny")
    (root / "mkdocs.yml").write_text(TINY_MKDOCS_YML, encoding="utf-8")
    (root / "node_modules").symlink_to(ROOT / "node_modules")
    for folder in ("css", "js"):
        shutil.copytree(ROOT / "docs" / folder, root / "docs" / folder)
    for name, text in TINY_PAGES.items():
        (root / "docs" / name).write_text(text, encoding="utf-8")
    (root / "snippets").mkdir()
    (root / "snippets" / "x.txt").write_text(f">>> print({LITERAL!r})\n{LITERAL}\n", encoding="utf-8")
    return serve(build_site(root, root / "site"))


def test_output_looking_like_html_markdown_or_tex_is_shown_literally(browser, tiny_url):
    one = open_page(browser, tiny_url)
    assert one.page.locator("mjx-container").count() == 1, "the page must have a typeset formula for the test to mean anything"
    assert one.page.locator(".snippet-output pre").inner_text() == LITERAL
    assert one.dialogs == [] and one.console == []
    assert output_problems(one) == [] and math_problems(one) == []


def test_math_check_fails_on_a_formula_left_as_tex_and_a_tex_error(browser, site_url):
    # A TeX error fails the build (tests/test_math.py): shown here as MathJax would draw one.
    one = open_page(browser, site_url + "ch12/")
    one.page.evaluate("""() => {
      document.querySelector("span.arithmatex").textContent = "\\\\(x^2\\\\)";
      document.querySelectorAll("span.arithmatex")[1].querySelector("svg").setAttribute("data-mjx-error", "Missing close brace");
    }""")
    problems = math_problems(one)
    for kind in ("not typeset", "raw TeX", "TeX error"):
        assert any(p.startswith(kind) for p in problems), (kind, problems)
    one.page.context.close()


def test_request_check_catches_and_blocks_another_host(browser, tiny_url):
    one = open_page(browser, tiny_url + "foreign/")
    assert one.foreign_requests() == ["http://example.com/x.png"]
    assert all(r.failure for r in one.requests if not _is_local(r.url)), "requests to other hosts are blocked"


def test_checks_fail_on_unreadable_output_sideways_page_and_copied_prompt(browser, tiny_url):
    phone = open_page(browser, tiny_url, "phone")
    phone.page.evaluate("document.querySelector('article').insertAdjacentHTML('beforeend', '<p style=\"width:600px\">宽</p>')")
    assert any(p.startswith("wider than the screen: p") for p in sideways_problems(phone))
    assert any("scrolls sideways" in p for p in sideways_problems(phone))

    light = open_page(browser, tiny_url, permissions=["clipboard-read", "clipboard-write"])
    light.page.add_style_tag(content=".snippet-output pre { color: #ddd } .snippet-output { border: 0 }")
    assert any(p.startswith("contrast") for p in output_problems(light))
    assert any(p.startswith("looks like code") for p in output_problems(light))
    light.page.evaluate("document.querySelector('pre > code').textContent = '>>> print(1)'")
    assert any("copies prompts" in p for p in copy_problems(light))
    # A button that puts other text on the clipboard than its block shows (Material copies
    # data-clipboard-text, when a button has it, instead of the block).
    light.page.evaluate("document.querySelector('pre > code').textContent = 'print(1)'")
    assert copy_problems(light) == []
    light.page.evaluate("document.querySelector('button[data-md-type=copy]').dataset.clipboardText = 'print(2)'")
    assert any("copies something else" in p for p in copy_problems(light))


# A site where a query's last word is also the start of a longer one, as on a page about
# cross-entropy loss: the query segmentation once dropped that word.
TINY_SEARCH_YML = f"""\
site_name: t
theme:
  name: material
  language: zh
  font: false
hooks: [{ROOT / "snipdoc" / "src" / "snipdoc" / "integration" / "hooks.py"}]
plugins: [search]
markdown_extensions:
  - toc:
      slugify: !!python/object/apply:pymdownx.slugs.slugify {{kwds: {{case: lower}}}}
extra_javascript: [js/search-input.js]
exclude_docs: /glossary.yml
"""
TINY_SEARCH_PAGES = {
    "index.md": "# 首页\n\n这里讲分类，也提到损失和交叉验证。\n",
    # The heading is a phrase, not a term (search.defined_terms): the query 交叉熵损失 is two
    # words of the index, the case Material's worker got wrong.
    "loss.md": "# 损失\n\n## 交叉熵损失的定义\n\n交叉熵损失衡量两个分布的差距。\n\n## 其他损失\n\n损失函数还有很多种，损失越小越好。\n",
    "glossary.yml": "交叉熵: loss.md#交叉熵损失的定义\n",
}


@pytest.fixture(scope="module")
def tiny_search(tmp_path_factory, serve, build_site):
    root = tmp_path_factory.mktemp("tiny-search")
    (root / "mkdocs.yml").write_text(TINY_SEARCH_YML, encoding="utf-8")
    shutil.copytree(ROOT / "docs" / "js", root / "docs" / "js")
    for name, text in TINY_SEARCH_PAGES.items():
        (root / "docs" / name).write_text(text, encoding="utf-8")
    return root, serve(build_site(root, root / "site"))


def _material_worker(site: Path) -> Path:
    import material

    name = next(site.glob("assets/javascripts/workers/search.*.min.js")).name
    return Path(material.__file__).parent / "templates" / "assets" / "javascripts" / "workers" / name


def test_search_keeps_a_query_s_last_word_and_the_unpatched_worker_did_not(browser, tiny_search):
    root, url = tiny_search
    one = open_page(browser, url)
    assert best_hit_problems(one.page, "交叉熵损失", root / "docs") == []
    one.page.context.close()
    # Material's own worker, as it is installed: "损失" is dropped from the query.
    context = browser.new_context(**MODES["light"])
    context.route("**/*", _block_other_hosts)
    worker = _material_worker(root / "site").read_bytes()
    context.route("**/workers/search.*.min.js", lambda route: route.fulfill(body=worker, content_type="text/javascript"))
    page = context.new_page()
    page.goto(url, wait_until="load")
    assert any("not highlighted whole" in p for p in best_hit_problems(page, "交叉熵损失", root / "docs"))
    context.close()


def test_search_check_fails_without_the_input_handler(browser, tiny_search):
    _, url = tiny_search
    one = open_page(browser, url, abort="**/search-input.js")
    box = one.page.locator(SEARCH_BOX)
    box.click()
    search_ready(one.page)
    box.fill("交叉熵")
    with pytest.raises(Exception):
        one.page.wait_for_selector(SEARCH_RESULT, timeout=3_000)
    one.page.context.close()
