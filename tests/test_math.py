"""Formulas are typeset when the site is built (snipdoc's formulas.py, MathJax 4 in Node):
a page arrives with its formulas drawn as SVG, loads no math script, and reads well on a
phone. Checked in the HTML as served and in headless Chromium, on the chapter and on its
notebook page."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from snipdoc.integration import formulas
from test_browser import LINE_STARTS_JS, MODES, open_page

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["ch12/", "notebooks/ch12/"]
# Every element that holds a formula on a page: arithmatex's on Markdown pages, and the
# same markup made from a notebook's $...$ (formulas.from_notebook).
FORMULA = re.compile(r'<(span|div) class="arithmatex"[^>]*>(.*?)</\1>', re.S)


def test_pages_as_served_hold_typeset_formulas_and_no_tex(built_site):
    for path in PAGES:
        page = (built_site / path / "index.html").read_text(encoding="utf-8")
        found = FORMULA.findall(page)
        assert len(found) > 100, f"/{path}: {len(found)} formulas?"
        raw = [body[:80] for _, body in found if re.search(r"\\\(|\\\[|\$\$", body)]
        assert raw == [], f"/{path}: TeX source as served"
        untypeset = [body[:80] for _, body in found if "<svg" not in body or "<mjx-assistive-mml" not in body]
        assert untypeset == [], f"/{path}: not typeset as SVG with its MathML"
        assert "assets/mathjax/svg.css" in page
        # The notebook template's own MathJax (2, from a CDN) is gone.
        assert "<script" not in "".join(re.findall(r"<script[^>]*mathjax[^>]*>", page, re.I))


def _math_requests(one) -> list[str]:
    return [r.url for r in one.requests if "/assets/mathjax/" in r.url or r.url.endswith("/search/formulas.json")]


def test_a_page_without_formulas_loads_no_math_and_a_page_with_them_no_math_script(browser, built_site, serve):
    url = serve(built_site)
    home = open_page(browser, url)
    assert home.page.locator("mjx-container").count() == 0, "the home page has a formula now: pick another page"
    assert _math_requests(home) == [] and home.page.evaluate("typeof MathJax") == "undefined"
    home.page.context.close()
    chapter = open_page(browser, url + "ch12/")
    assert chapter.page.locator("mjx-container svg").count() > 100
    assert [u.rsplit("/", 1)[1] for u in _math_requests(chapter)] == ["svg.css"]
    assert chapter.page.evaluate("typeof MathJax") == "undefined"
    chapter.page.context.close()


# Boxes that stick out of the screen (unless a box that scrolls holds them), inline formula
# parts that stick out of their paragraph, and display formulas that scroll without a
# shadow at their edge to say so.
PHONE_FIT_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  // (A box that scrolls or clips, such as the hidden MathML of a formula, is checked itself.)
  for (const el of document.querySelectorAll(".md-content *")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1) continue;
    let holder = el.parentElement;
    while (holder && !["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(holder).overflowX)) holder = holder.parentElement;
    if (!holder) problems.push("wider than the screen: " + el.tagName.toLowerCase() + "." + el.className);
  }
  for (const svg of document.querySelectorAll("span.arithmatex svg")) {
    const block = svg.closest("p, li, td, th, dd, div:not(.arithmatex)");
    if (svg.getBoundingClientRect().right > block.getBoundingClientRect().right + 1)
      problems.push("inline formula past its line: " + svg.closest("mjx-container").textContent.slice(0, 40));
  }
  for (const box of document.querySelectorAll("div.arithmatex")) {
    if (box.scrollWidth > box.clientWidth + 1 && !/radial-gradient/.test(getComputedStyle(box).backgroundImage))
      problems.push("scrolls with nothing to show it: " + box.textContent.slice(0, 40));
  }
  return { problems, scrolling: [...document.querySelectorAll("div.arithmatex")].filter((b) => b.scrollWidth > b.clientWidth + 1).length };
}
"""


@pytest.mark.parametrize("path", PAGES)
def test_nothing_is_wider_than_a_phone(browser, built_site, serve, path):
    one = open_page(browser, serve(built_site) + path, "phone")
    found = one.page.evaluate(PHONE_FIT_JS)
    assert found["problems"] == []
    assert found["scrolling"] > 0, "no display formula is wider than a phone: the shadow check checked nothing"
    assert one.page.evaluate("document.documentElement.scrollWidth") <= MODES["phone"]["viewport"]["width"]
    one.page.context.close()


@pytest.mark.parametrize("mode", ["phone", "light"])
@pytest.mark.parametrize("path", PAGES)
def test_no_line_starts_with_closing_punctuation(browser, built_site, serve, path, mode):
    one = open_page(browser, serve(built_site) + path, mode)
    assert one.page.evaluate(LINE_STARTS_JS) == []
    one.page.context.close()


def test_a_tex_error_fails_the_build_naming_the_page(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    (tmp_path / "docs" / "index.md").write_text("# t\n\n好 $x^2$，坏 $\\frac{1}{2$。\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\nmarkdown_extensions:\n  - pymdownx.arithmatex:\n      generic: true\nplugins: [snipdoc]\n",
        encoding="utf-8")
    (tmp_path / "snippets").mkdir()
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    assert "index.md: TeX error in '\\\\frac{1}{2': Missing close brace" in run.stderr, run.stderr


def test_an_unknown_macro_is_an_error():
    typesetter = formulas.Typesetter(ROOT)
    try:
        with pytest.raises(formulas.MathError, match=r"Undefined control sequence \\nosuchmacro"):
            typesetter.render([("x", False), ("\\nosuchmacro", False)])
    finally:
        typesetter.close()


def test_without_node_the_build_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(formulas.MathError, match="`node` is not on PATH. Install Node.js"):
        formulas.Typesetter(ROOT).render([("x", False)])
    with pytest.raises(formulas.MathError, match="Run `npm ci`"):
        monkeypatch.undo()
        formulas.Typesetter(tmp_path).render([("x", False)])


def test_numbered_figures_and_equations_are_linked_from_the_text(built_site):
    # The notebook page draws its figures with the chapter's numbered captions
    # (notebook_page.py), so its mentions of them are links too.
    mentions = {"fig": r"图 \d+-\d+", "eq": r"式 ?[(（]\d+-\d+[)）]"}
    for path, kinds in (("ch12/", ("fig", "eq")), ("notebooks/ch12/", ("fig", "eq"))):
        page = (built_site / path / "index.html").read_text(encoding="utf-8")
        ids = set(re.findall(r' id="([^"]+)"', page))
        links = re.findall(r'<a href="#((fig|eq)-[\d-]+)">(?:图|式)\u00a0', page)
        assert {kind for _, kind in links} == set(kinds), f"/{path}: {links}"
        assert [target for target, _ in links if target not in ids] == [], f"/{path}: links to nothing"
        # Every mention in the prose is a link (captions, headings and code are not prose).
        prose = re.sub(r"<(figcaption|h\d|code|pre)\b.*?</\1>|<a [^>]*>.*?</a>|<[^>]+>", " ", page, flags=re.S)
        assert re.findall("|".join(mentions[kind] for kind in kinds), prose) == [], f"/{path}: a mention left as text"
    chapter = (built_site / "ch12/index.html").read_text(encoding="utf-8")
    assert {"eq-12-1", "eq-12-2", "eq-12-3", "eq-12-4"} <= set(re.findall(r'<div class="arithmatex" id="([^"]+)"', chapter))
