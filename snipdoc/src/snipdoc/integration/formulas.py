"""Formulas typeset when the site is built, so that a page arrives with them drawn.

Typeset in the browser, a phone showed TeX source for seconds before MathJax had
loaded and run. Here MathJax 4 runs in Node (typeset.cjs, one process for the whole
build and, under `mkdocs serve`, for every rebuild) and turns each formula into SVG:
it needs no font files and no script, and looks the same at first paint as later.
Each formula keeps its MathML, hidden from sight, for screen readers.

A formula is typeset once per TeX source: the answers are kept for the life of the
plugin, and in a cache file between builds (a third of a warm build's time otherwise),
so a build only sends MathJax the formulas it has not seen; the cache is dropped when
MathJax, typeset.cjs or this file change.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ..engine.cache import write_atomic

SCRIPT = Path(__file__).with_name("typeset.cjs")
PACKAGE = "@mathjax/src"
STYLESHEET = "assets/mathjax/svg.css"
"""Where the site serves the CSS the typeset formulas need (linked by pages that have one)."""
FOR_SEARCH = "search/formulas.json"
"""Every formula of the site, typeset, for search results that quote one (js/search-formulas.js)."""

# What pymdownx.arithmatex (generic mode) makes of $...$ and $$...$$ in Markdown.
ARITHMATEX = re.compile(r'<(span|div) class="arithmatex"([^>]*)>\s*\\([(\[])(.*?)\\[)\]]\s*</\1>', re.S)
# What MathJax writes for its own browser-side tools (the TeX of every part, its node
# kinds, links that serve Internet Explorer), which a page typeset here never runs: a
# third of the weight of the formulas. The node kinds its stylesheet reads stay.
UNUSED = re.compile(r' (?:data-latex|data-c|xmlns(?::xlink)?|focusable|role|overflow)="[^"]*"'
                    r'| data-mml-node="(?!mtable|merror|maction)[^"]*"| style="position: relative;"')
MOVED_GLYPH = re.compile(r'<g transform="translate\(([-\d.]+),([-\d.]+)\)"><use (href="[^"]*")/></g>')
GROUP = re.compile(r"<g( [^>]*)?>|</g>")
# The outer group of most SVGs only flips MathJax's coordinates: done by the stylesheet
# instead, for the groups left without attributes (others, such as a numbered
# equation's, keep their own).
FLIP = '<g stroke="currentColor" fill="currentColor" stroke-width="0" transform="scale(1,-1)">'
FLIP_CSS = """
mjx-container[jax="SVG"] > svg > g:not([transform]) { stroke: currentColor; fill: currentColor; stroke-width: 0; transform: scale(1,-1); }
/* The box its hidden MathML is laid over (MathJax sets this on each container). */
mjx-container { position: relative; }
"""


def slim(html: str) -> str:
    """A typeset formula without what only MathJax's browser-side tools read."""
    html = UNUSED.sub("", html).replace("xlink:href=", "href=").replace(FLIP, "<g>")
    html = re.sub(r"(<use [^>]*)></use>", r"\1/>", html).replace("MJX-NCM-", "M")
    # A glyph moved by a group of its own is moved by its own x and y.
    html = MOVED_GLYPH.sub(_moved_glyph, html)
    # The SVG's outer group stays (the stylesheet flips it); other groups without
    # attributes only held what was removed, and give way to their contents.
    out, open_groups, last = [], [], 0
    for m in GROUP.finditer(html):
        out.append(html[last:m.start()])
        last = m.end()
        if m[0] == "</g>":
            if open_groups.pop():
                out.append(m[0])
        else:
            keep = m[1] is not None or html.startswith("<svg", html.rfind("<", 0, m.start()))
            open_groups.append(keep)
            if keep:
                out.append(m[0])
    out.append(html[last:])
    return "".join(out)


def _moved_glyph(m: re.Match) -> str:
    y = "" if m[2] == "0" else f' y="{m[2]}"'
    return f'<use {m[3]} x="{m[1]}"{y}/>'


USES = re.compile(r'href="#([^"]+)"')
# Chinese typography never starts a line with closing punctuation (，。）) nor ends one with
# opening punctuation (（“). Browsers keep that rule within text, but a formula is a box of
# its own and a line may break on either side of it, so the formula and the punctuation
# touching it are glued together (.math-glue, white-space: nowrap; the formula's own break
# points, MathJax's mjx-break, stay breakable).
GLUE = re.compile(r'([（「『【〈《“‘(\[]*)(<span class="arithmatex"[^>]*>.*?</span>)([，。、；：？！）」』】〉》”’…,.;:?!)\]]*)', re.S)


class MathError(Exception):
    """MathJax could not start, or a formula is not valid TeX."""


class Typesetter:
    """One Node process with MathJax, started at the first formula."""

    def __init__(self, project: Path, cache_file: Path | None = None) -> None:
        self.project = project
        self.process: subprocess.Popen | None = None
        self.css = ""
        self.typeset: dict[tuple[str, bool], str] = {}
        self.glyphs: dict[str, str] = {}
        self.seconds = 0.0  # spent waiting for MathJax, its start included
        self.sent = 0
        self.cache_file = cache_file
        self.version = self._version()
        self._load()

    def _version(self) -> str:
        """What the typeset formulas depend on besides their TeX."""
        package = self.project / "node_modules" / PACKAGE / "package.json"
        parts = [SCRIPT.read_bytes(), Path(__file__).read_bytes(), package.read_bytes() if package.is_file() else b""]
        return hashlib.sha256(b"\0".join(parts)).hexdigest()

    def _load(self) -> None:
        try:
            data = json.loads(self.cache_file.read_text(encoding="utf-8"))
            if data["version"] == self.version:
                self.css, self.glyphs = data["css"], data["glyphs"]
                self.typeset = {(key[1:], key[0] == "d"): html for key, html in data["typeset"].items()}
        except (AttributeError, OSError, ValueError, KeyError, TypeError):
            pass  # no cache yet, or an unreadable one: typeset anew

    def save(self) -> None:
        if self.cache_file is None or not self.sent:
            return
        data = {"version": self.version, "css": self.css, "glyphs": self.glyphs,
                "typeset": {("d" if display else "i") + tex: html for (tex, display), html in self.typeset.items()}}
        write_atomic(self.cache_file, json.dumps(data, ensure_ascii=False).encode(), durable=False)

    def _start(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise MathError("formulas are typeset at build time by MathJax in Node.js, and `node` is not on PATH. "
                            "Install Node.js 18 or later, then run `npm ci` next to mkdocs.yml.")
        if not (self.project / "node_modules" / PACKAGE / "package.json").is_file():
            raise MathError(f"MathJax ({PACKAGE}) is missing from {self.project / 'node_modules'}. "
                            "Run `npm ci` (or `make serve`) next to mkdocs.yml.")
        # Its messages go to a file: a pipe nobody reads while it works could fill and stall it.
        self.errors = tempfile.TemporaryFile()
        self.process = subprocess.Popen([node, str(SCRIPT), str(self.project)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.errors, encoding="utf-8")
        self.css = self._answer()["css"] + FLIP_CSS

    def _answer(self):
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            self.errors.seek(0)
            raise MathError(f"MathJax stopped: {self.errors.read().decode(errors='replace').strip()}")
        return json.loads(line)

    def render(self, formulas: list[tuple[str, bool]]) -> list[str]:
        """Each formula (TeX, display?) as HTML; MathError names the first that fails."""
        new = list(dict.fromkeys(f for f in formulas if f not in self.typeset))
        if new:
            started = time.monotonic()
            self.sent += len(new)
            if self.process is None:
                self._start()
            self.process.stdin.write(json.dumps(new) + "\n")
            self.process.stdin.flush()
            for (tex, display), answer in zip(new, self._answer()):
                if "error" in answer:
                    raise MathError(f"TeX error in {tex!r}: {answer['error']}")
                self.typeset[tex, display] = slim(answer["html"])
                self.glyphs.update({g.replace("MJX-NCM-", "M"): path.replace("MJX-NCM-", "M")
                                    for g, path in answer["glyphs"].items()})
            self.seconds += time.monotonic() - started
        return [self.typeset[f] for f in formulas]

    def defs(self, html: str) -> str:
        """The glyphs the formulas in html draw, in one hidden SVG for them to point to."""
        used = sorted(set(USES.findall(html)) & self.glyphs.keys())
        paths = "".join(self.glyphs[g] for g in used)
        return f'<svg class="mjx-glyphs" style="display:none" aria-hidden="true"><defs>{paths}</defs></svg>'

    def write(self, site: Path) -> None:
        """The stylesheet, and the formulas for search results, into the built site."""
        if not self.typeset:
            return
        for name, text in ((STYLESHEET, self.css), (FOR_SEARCH, json.dumps({
            "stylesheet": STYLESHEET,
            "glyphs": self.defs("".join(self.typeset.values())),
            "formulas": {("d" if display else "i") + tex: html for (tex, display), html in self.typeset.items()},
        }, ensure_ascii=False))):
            path = site / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def close(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(timeout=10)
            self.process = None
            self.errors.close()


def typeset_page(html: str, typesetter: Typesetter, stylesheet_url: str) -> str:
    """html with its arithmatex formulas typeset, their glyphs and the stylesheet link added;
    unchanged if it has none."""
    found = list(ARITHMATEX.finditer(html))
    if not found:
        return html
    rendered = iter(typesetter.render([(htmllib.unescape(m[4]), m[3] == "[") for m in found]))
    # The TeX stays in an attribute (6 KiB on the chapter) for a reader who copies text with
    # formulas in it: js/copy-tex.js puts their TeX on the clipboard, where the SVG has none.
    html = ARITHMATEX.sub(lambda m: f'<{m[1]} class="arithmatex"{m[2]} data-tex="{m[4].replace(chr(34), "&quot;")}">'
                          f'{next(rendered)}</{m[1]}>', html)
    html = GLUE.sub(lambda m: f'<span class="math-glue">{m[0]}</span>' if m[1] or m[3] else m[0], html)
    html = html.replace("</head>", f'<link rel="stylesheet" href="{stylesheet_url}">\n</head>', 1)
    body = re.search(r"<body[^>]*>", html).end()
    return html[:body] + typesetter.defs(html) + html[body:]


# A notebook page (mkdocs-jupyter) keeps the $...$ and $$...$$ of its Markdown cells as
# text, and its template writes a MathJax 2 loader (from a CDN unless told otherwise).
NOTEBOOK_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
DOLLARS = re.compile(r"(?<!\\)\$\$(.+?)\$\$|(?<!\\)\$(.+?)(?<!\\)\$", re.S)
TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*>")
LONE_DISPLAY = re.compile(r'<p>\s*(<div class="arithmatex">.*?</div>)\s*</p>', re.S)


def from_notebook(html: str) -> str:
    """A notebook page's formulas, in its Markdown cells' text (not code, not outputs), as
    pymdownx.arithmatex marks them on Markdown pages, and its MathJax script taken out."""
    html = NOTEBOOK_MATHJAX.sub("", html)
    out, last, depth, code = [], 0, 0, 0
    for m in TAG.finditer(html):
        text = html[last:m.start()]
        out.append(DOLLARS.sub(_arithmatex, text) if depth and not code else text)
        closing, name = m[1] == "/", m[2].lower()
        if depth:
            depth += (-1 if closing else 1) if name == "div" else 0
            code += (-1 if closing else 1) if name in ("code", "pre") else 0
        elif name == "div" and not closing and "jp-RenderedMarkdown" in m[0]:
            depth = 1
        out.append(m[0])
        last = m.end()
    out.append(html[last:])
    # A formula alone in its paragraph is a display formula: a block of its own.
    return LONE_DISPLAY.sub(r"\1", "".join(out))


def _arithmatex(m: re.Match) -> str:
    if m[1] is not None:
        return f'<div class="arithmatex">\\[{m[1]}\\]</div>'
    return f'<span class="arithmatex">\\({m[2]}\\)</span>'
