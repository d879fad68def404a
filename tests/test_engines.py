"""The same snippets under MkDocs, ProperDocs and Zensical: identical snippet
HTML, a failing snippet fails each build with the same message, and Zensical's
page cache never serves a page whose snippet changed."""

import base64
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sites import make_site

BIN = Path(sys.executable).parent
OPTIONS = {"timeout": 20, "inputs": "!!python/object/apply:snipdoc.integration.extension.inputs_digest [snippets]"}
PAGE = "# t\n\n::: snippet a.txt\n\n!!! note\n\n    ::: snippet b.txt\n\n三倍是 {{ a.txt#tripled[1] | .1f }}。\n"
SNIPPETS = {
    "a.txt": ">>> import torch\n>>> torch.tensor([1., 2.]) * 3  # value: tripled\ntensor([3., 6.])\n>>> 1 / 0\n"
             "Traceback (most recent call last):\n    ...\nZeroDivisionError: division by zero\n",
    "b.txt": ">>> import matplotlib.pyplot as plt\n>>> _ = plt.plot([0, 1], [1, 0])\n>>> print('<b>x</b>')\n<b>x</b>\n",
}
# What each theme wraps around a snippet differs; what the snippet itself becomes must not.
SNIPPET_HTML = re.compile(r'<div class="snippet-[^"]*"[^>]*>.*?</div>|<figure class="snippet-figure">.*?</figure>'
                          r'|<code>.*?</code>', re.S)


def site(root: Path, snippets=SNIPPETS) -> Path:
    return make_site(root, {"index.md": PAGE}, snippets, options=OPTIONS)


def build(root: Path, engine: str) -> subprocess.CompletedProcess:
    cmd = {"mkdocs": [str(BIN / "mkdocs"), "build", "--strict"], "properdocs": [str(BIN / "properdocs"), "build", "--strict"],
           "zensical": [str(BIN / "zensical"), "build"]}[engine]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


def snippet_html(root: Path) -> list[str]:
    page = (root / "site" / "index.html").read_text(encoding="utf-8")
    return [_same_figure(re.sub(r"<span[^>]*>|</span>|<a [^>]*></a>", "", m)) for m in SNIPPET_HTML.findall(page)]


def _same_figure(html: str) -> str:
    """A figure is data in the page under Zensical (no plugin) and a file of the site under
    MkDocs and ProperDocs (figure_files.py): both become the digest of the SVG they hold."""
    data = re.compile(r'src="data:image/svg\+xml;base64,([^"#]+)')
    html = data.sub(lambda m: 'src="' + _name(base64.b64decode(m[1])), html)
    return re.sub(r'src="assets/figures/(\w+)\.svg(#only-\w+)" loading="lazy" width="\d+" height="\d+"',
                  r'src="\1\2"', html)


def _name(svg: bytes) -> str:
    return hashlib.sha256(svg).hexdigest()[:20]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = {}
    for engine in ("mkdocs", "properdocs", "zensical"):
        root = site(tmp_path_factory.mktemp(engine))
        run = build(root, engine)
        assert run.returncode == 0, f"{engine}:\n{run.stdout}\n{run.stderr}"
        out[engine] = root
    return out


def test_every_engine_renders_the_same_snippet_html(built):
    reference = snippet_html(built["mkdocs"])
    assert len([h for h in reference if "snippet-figure" in h]) == 1
    assert any("ZeroDivisionError" in h for h in reference) and any("&lt;b&gt;x&lt;/b&gt;" in h for h in reference)
    for engine in ("mkdocs", "properdocs", "zensical"):
        assert snippet_html(built[engine]) == reference, engine
        page = (built[engine] / "site" / "index.html").read_text(encoding="utf-8")
        assert "::: snippet" not in page
        # A value quoted from a run, with where it comes from.
        assert '三倍是 <span class="snippet-value" title="snippets/a.txt:2 的运行结果" tabindex="0">6.0</span>。' in page, engine


def test_a_snippet_only_edit_shows_on_the_next_zensical_build(built):
    root = built["zensical"]
    (root / "snippets" / "b.txt").write_text(SNIPPETS["b.txt"].replace("<b>x</b>", "<b>y</b>"))
    run = build(root, "zensical")
    assert run.returncode == 0, run.stderr
    assert any("&lt;b&gt;y&lt;/b&gt;" in h for h in snippet_html(root))


@pytest.mark.parametrize("engine", ["mkdocs", "properdocs", "zensical"])
def test_a_failing_snippet_fails_every_engine_naming_file_and_line(tmp_path, engine):
    root = site(tmp_path, {**SNIPPETS, "a.txt": ">>> x = 1\n>>> {}['k']\n"})
    run = build(root, engine)
    assert run.returncode != 0
    assert "snippets/a.txt:2: unexpected exception: KeyError: 'k'\n  (embedded at docs/index.md:3)" in run.stdout + run.stderr
