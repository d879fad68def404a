"""The chapter's PDF (tools/pdf.py), printed once from the real site and read back with
pypdf: what a reader who prints the chapter must find in it."""

from __future__ import annotations

import importlib.util
import re
import shutil
import unicodedata
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = "ch12"


def _tool():
    spec = importlib.util.spec_from_file_location("chapter_pdf", ROOT / "tools" / "pdf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Page(HTMLParser):
    """The chapter's h1/h2 texts and its figures' alt texts, as the site shows them."""

    def __init__(self):
        super().__init__()
        self.headings, self.figures, self._in = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("h1", "h2"):
            self._in, self._text = tag, ""
        elif tag == "img" and "snippet-light" in (attrs.get("class") or ""):
            self.figures.append(attrs.get("alt"))

    def handle_endtag(self, tag):
        if tag == self._in:
            self.headings.append(self._text.replace("¶", "").strip())
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text += data


@pytest.fixture(scope="module")
def chapter(built_site, serve, browser, tmp_path_factory):
    """(the page as parsed, the PDF as read by pypdf, its pages' text, the site printed)."""
    site = tmp_path_factory.mktemp("pdfsite") / "site"
    # A copy: the PDF's link is written into the page, which other tests read as built.
    shutil.copytree(built_site, site)
    tool = _tool()
    out = tool.print_chapter(browser, serve(site), CHAPTER, site / "pdf" / f"{CHAPTER}.pdf")
    tool.link_pdf(site, CHAPTER)
    page = _Page()
    page.feed((built_site / CHAPTER / "index.html").read_text(encoding="utf-8"))
    reader = pypdf.PdfReader(out)
    # Read once: pypdf takes seconds over the chapter's Type 3 fonts.
    return page, reader, [p.extract_text() for p in reader.pages], site


def _plain(text: str) -> str:
    """Without spaces, and NFKC: pypdf reads some CJK glyphs of Chromium's Type 3 fonts as
    their Kangxi radicals (⽅ U+2F45 for 方), which NFKC maps back."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_every_heading_of_the_chapter_is_in_the_pdf(chapter):
    page, _, texts, _ = chapter
    assert len(page.headings) > 5, page.headings
    # A line of its own, as a heading is printed: the prose quotes some headings too.
    lines = {_plain(line) for text in texts for line in text.splitlines()}
    missing = [h for h in page.headings if _plain(h) not in lines]
    assert not missing, missing


def test_formulas_are_typeset_not_tex(chapter):
    text = _plain("".join(chapter[2]))
    assert "\\frac" not in text and "\\nabla" not in text and "$$" not in text
    # σ and the sums of the typeset formulas are glyphs of MathJax's SVG outlines, drawn as
    # paths, not text: the typeset text around them (Chinese prose) is the evidence left.
    assert "softmax" in text


def _figures(reader) -> list[tuple[str, list[tuple[int, int]]]]:
    """The tagged PDF's Figure elements that carry an alt text (the images; the <figure>
    around one is a Figure without), in reading order: (alt, [(page object number, MCID)])."""
    found = []

    def ref(page) -> int:
        return getattr(page, "idnum", None) or page.indirect_reference.idnum

    def content(kid, page, out):
        kid = kid.get_object()
        if isinstance(kid, int):
            out.append((ref(page), kid))
        elif isinstance(kid, pypdf.generic.ArrayObject):
            for k in kid:
                content(k, page, out)
        elif isinstance(kid, pypdf.generic.DictionaryObject):
            page = kid.get("/Pg", page)
            if "/MCID" in kid:
                out.append((ref(page), kid["/MCID"]))
            elif "/K" in kid:
                content(kid["/K"], page, out)

    def walk(node, page=None):
        node = node.get_object()
        if isinstance(node, pypdf.generic.ArrayObject):
            for kid in node:
                walk(kid, page)
        elif isinstance(node, pypdf.generic.DictionaryObject):
            page = node.get("/Pg", page)
            if node.get("/S") == "/Figure" and "/Alt" in node:
                parts = []
                content(node.get("/K"), page, parts)
                found.append((str(node["/Alt"]), parts))
            elif "/K" in node:
                walk(node["/K"], page)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


def _drawing_operations(reader, page_number: int) -> Counter:
    """Path operations (m l c re) per marked-content id on one page."""
    page = next(p for p in reader.pages if p.indirect_reference.idnum == page_number)
    counts, open_ids = Counter(), []
    for operands, op in pypdf.generic.ContentStream(page.get_contents(), reader).operations:
        if op in (b"BDC", b"BMC"):
            props = operands[1] if op == b"BDC" else None
            open_ids.append(props.get("/MCID") if isinstance(props, pypdf.generic.DictionaryObject) else None)
        elif op == b"EMC" and open_ids:
            open_ids.pop()
        elif op in (b"m", b"l", b"c", b"re") and open_ids and open_ids[-1] is not None:
            counts[open_ids[-1]] += 1
    return counts


def test_every_figure_is_in_the_pdf_as_vectors(chapter):
    page, reader, _, _ = chapter
    assert len(page.figures) >= 5, page.figures
    # One Figure per light variant: the dark ones are hidden in print, as on a light screen.
    figures = [(alt, parts) for alt, parts in _figures(reader) if alt in page.figures]
    assert [alt for alt, _ in figures] == page.figures
    # Drawn as vectors: a matplotlib figure is thousands of path operations (its glyphs
    # are paths too); an empty box or a border is a handful.
    operations = {}
    for alt, parts in figures:
        drawn = sum((operations.setdefault(p, _drawing_operations(reader, p)))[mcid] for p, mcid in parts)
        assert drawn > 500, (alt, drawn)
    # And no figure became a bitmap.
    images = [name for p in reader.pages for name, xobj in (p.get("/Resources", {}).get("/XObject") or {}).items()
              if xobj.get_object().get("/Subtype") == "/Image"]
    assert not images, images


def test_fonts_are_embedded(chapter):
    _, reader, texts, _ = chapter
    text = _plain("".join(texts))
    assert "激活函数" in text
    # Every font, so the Chinese one too: Chromium embeds an OpenType CJK font (CFF
    # outlines, as Noto Sans CJK) as Type 3, whose glyphs are drawings in the file.
    fonts, unembedded = 0, []
    for p in reader.pages:
        for font in (p.get("/Resources", {}).get("/Font") or {}).values():
            font = font.get_object()
            fonts += 1
            if font.get("/Subtype") == "/Type3":
                if not font.get("/CharProcs"):
                    unembedded.append(font)
                continue
            descendants = font.get("/DescendantFonts")
            inner = descendants[0].get_object() if descendants else font
            descriptor = (inner.get("/FontDescriptor") or {})
            descriptor = descriptor.get_object() if descriptor else {}
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                unembedded.append(font.get("/BaseFont"))
    assert fonts and not unembedded, unembedded


def test_pages_are_numbered(chapter):
    _, reader, texts, _ = chapter
    total = len(reader.pages)
    assert total > 3
    for number in (1, total):
        lines = texts[number - 1].splitlines()
        assert f"{number} / {total}" in [line.strip() for line in lines], lines[-3:]


def test_the_outline_lists_the_sections_and_leads_to_their_pages(chapter):
    page, reader, _, _ = chapter
    outline = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                outline.append((item.title.replace("¶", "").strip(), reader.get_destination_page_number(item)))

    walk(reader.outline)
    titles = [title for title, _ in outline]
    assert [h for h in page.headings if h not in titles] == [], titles
    pages = [number for _, number in outline]
    assert pages == sorted(pages) and pages[-1] > 0, outline


def test_the_chapter_links_its_pdf_only_once_it_exists(chapter, built_site):
    _, _, _, site = chapter
    assert "chapter-pdf" not in (built_site / CHAPTER / "index.html").read_text(encoding="utf-8")
    html = (site / CHAPTER / "index.html").read_text(encoding="utf-8")
    [href] = re.findall(r'class="chapter-pdf"><a href="([^"]+)"', html)
    assert (site / CHAPTER / href).resolve() == (site / "pdf" / f"{CHAPTER}.pdf").resolve()
