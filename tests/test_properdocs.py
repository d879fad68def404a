"""The site also builds with ProperDocs, the maintained continuation of MkDocs 1.x, so
it has a future when MkDocs 1.x has none: same files, same pages, same outputs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = re.compile(r'<meta name="generator" content="[^"]*">')
OUTPUT = re.compile(r'<div class="snippet-output[^"]*"[^>]*><pre>.*?</pre></div>', re.S)


def _files(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())


def _page(path: Path) -> str:
    """A page without the generator line, the one place where the two builds may differ."""
    return GENERATOR.sub("", path.read_text(encoding="utf-8"))


def test_properdocs_builds_the_same_site(built_site, build_site, tmp_path):
    site = build_site(ROOT, tmp_path / "site", command="properdocs")
    assert _files(site) == _files(built_site)
    assert "assets/mathjax/svg.css" in _files(site) and "search/formulas.json" in _files(site)
    pages = [name for name in _files(site) if name.endswith(".html")]
    assert "ch12/index.html" in pages
    for name in pages:
        assert _page(site / name) == _page(built_site / name), f"{name} differs between MkDocs and ProperDocs"
    assert OUTPUT.findall(_page(site / "ch12/index.html")), "the chapter shows no snippet output?"
    index = "search/search_index.json"
    assert (site / index).read_bytes() == (built_site / index).read_bytes()
