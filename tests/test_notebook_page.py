"""The notebook's page of the site against its chapter, in a browser: figures in the
reader's colour scheme with their captions, answers closed, the chapter's boxes, and
upright code comments, on a desktop and on a 375 px phone, light and dark."""

from __future__ import annotations

import pytest

MODES = {
    "light": dict(viewport={"width": 1280, "height": 800}, color_scheme="light"),
    "dark": dict(viewport={"width": 1280, "height": 800}, color_scheme="dark"),
    "phone-dark": dict(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                       has_touch=True, color_scheme="dark"),
    "phone": dict(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                  has_touch=True, color_scheme="light"),
}

# What a reader sees of each box: the colours Material gives its kind.
BOX_STYLE = """els => els.map(e => { const s = getComputedStyle(e), t = getComputedStyle(e.querySelector('.admonition-title'));
  return [e.className, s.borderLeftColor, t.backgroundColor, t.fontWeight]; })"""


LOAD_SHOWN = """async els => { let loaded = 0;
  for (const e of els.filter(e => e.offsetWidth > 0)) {
    e.loading = "eager"; await e.decode().catch(() => {}); loaded += e.naturalWidth > 0; }
  return loaded; }"""


@pytest.fixture(scope="module")
def tabs(browser, built_site, serve):
    """The chapter and its notebook page in each mode, all loading at once (a renderer
    process each): one after the other, the eight loads took half a minute."""
    base = serve(built_site)
    opened = {}
    for mode in MODES:
        for path in ("ch12/", "notebooks/ch12/"):
            tab = browser.new_context(**MODES[mode]).new_page()
            tab.goto(base + path, wait_until="commit")
            opened[mode, path] = tab
    for tab in opened.values():
        tab.wait_for_load_state("networkidle")
    yield opened
    for tab in opened.values():
        tab.context.close()


@pytest.mark.parametrize("mode", MODES)
def test_the_notebook_page_shows_what_the_chapter_shows(mode, tabs, screenshots_dir):
    # A folder of their own: the page-by-page screenshots of test_browser.py replace theirs.
    shots = screenshots_dir / "notebook"
    shots.mkdir(exist_ok=True)
    chapter, tab = tabs[mode, "ch12/"], tabs[mode, "notebooks/ch12/"]
    scheme = "dark" if "dark" in mode else "light"
    assert tab.evaluate("document.body.dataset.mdColorScheme") == ("slate" if scheme == "dark" else "default")
    # Figures: the variant of the reader's scheme, numbered and captioned as on the chapter.
    shown = tab.eval_on_selector_all(
        "figure.snippet-figure img", "els => els.filter(e => e.offsetWidth > 0).map(e => [e.className, e.alt])")
    captions = tab.eval_on_selector_all("figure.snippet-figure figcaption", "els => els.map(e => e.textContent)")
    assert captions == chapter.eval_on_selector_all("figure.snippet-figure figcaption", "els => els.map(e => e.textContent)")
    assert len(captions) >= 5 and all(c.startswith("图 12-") for c in captions)
    assert shown == [[f"snippet-{scheme}", c] for c in captions]
    # Each shown figure's file loads (they load lazily: asked for now).
    assert tab.eval_on_selector_all("figure.snippet-figure img", LOAD_SHOWN) == len(captions)
    # Answers: closed, with their code and outputs, until the reader opens one.
    answers = tab.locator("details.success")
    assert answers.count() == 4
    first_output = answers.first.locator(".jp-OutputArea-output").first
    assert not first_output.is_visible()
    answers.first.locator("summary").click()
    assert first_output.is_visible()
    # The warning and bug boxes, as the chapter draws them.
    boxes = tab.eval_on_selector_all(".admonition.warning, .admonition.bug", BOX_STYLE)
    assert len(boxes) >= 4 and boxes[:2] == chapter.eval_on_selector_all(".admonition.warning, .admonition.bug", BOX_STYLE)[:2]
    # Chinese code comments stay upright (a Chinese font has no italic).
    comments = tab.eval_on_selector_all(".jp-CodeCell .c1", "els => [...new Set(els.map(e => getComputedStyle(e).fontStyle))]")
    assert comments == ["normal"]
    answers.first.locator("summary").click()
    tab.screenshot(path=str(shots / f"{mode}.png"))
    tab.locator("figure.snippet-figure").first.scroll_into_view_if_needed()
    tab.screenshot(path=str(shots / f"{mode}-figure.png"))
    tab.locator(".admonition.bug").first.scroll_into_view_if_needed()
    tab.screenshot(path=str(shots / f"{mode}-box.png"))
    answers.first.scroll_into_view_if_needed()
    tab.screenshot(path=str(shots / f"{mode}-answers.png"))
