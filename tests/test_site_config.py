"""Site configuration that depends on where the site is published (site_url, repo_url),
and the build-time pieces of Chinese search."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from snipdoc.integration import search
from snipdoc.integration.extension import options_from

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = {"SITE_URL": "https://owner.github.io/pytorch-notes/",
             "REPO_URL": "https://github.com/owner/pytorch-notes"}
COLAB = "https://colab.research.google.com/github/owner/pytorch-notes/blob/gh-pages/notebooks/ch12/ch12.ipynb"


def _markdown_links(ipynb: Path) -> list[str]:
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return re.findall(r"\]\(([^)\s]+)", text) + re.findall(r'href="([^"]+)"', text)


@pytest.fixture(scope="module")
def published_site(tmp_path_factory) -> Path:
    """The real site built as it is published: with its address and repository set."""
    dest = tmp_path_factory.mktemp("published")
    env = {k: v for k, v in os.environ.items() if k not in PUBLISHED}
    run = subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-d", str(dest)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**env, **PUBLISHED, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, run.stderr
    return dest


def test_with_site_url_the_sitemap_lists_every_page(published_site):
    urls = re.findall(r"<loc>([^<]+)</loc>", (published_site / "sitemap.xml").read_text(encoding="utf-8"))
    assert set(urls) >= {PUBLISHED["SITE_URL"], PUBLISHED["SITE_URL"] + "ch12/"}


def test_with_site_url_the_notebook_links_absolutely_and_opens_in_colab(published_site):
    links = _markdown_links(published_site / "notebooks" / "ch12" / "ch12.ipynb")
    assert PUBLISHED["SITE_URL"] + "ch12/" in links and COLAB in links
    assert [link for link in links if not link.startswith("https://")] == []
    assert f'href="{COLAB}"' in (published_site / "ch12" / "index.html").read_text(encoding="utf-8")


def test_with_repo_url_pages_have_edit_links_but_generated_notebooks_do_not(published_site):
    chapter = (published_site / "ch12" / "index.html").read_text(encoding="utf-8")
    assert f'href="{PUBLISHED["REPO_URL"]}/edit/main/docs/ch12.md"' in chapter
    assert f'href="{PUBLISHED["REPO_URL"]}"' in chapter  # the repository link in the header
    assert 'rel="edit"' not in (published_site / "notebooks" / "ch12" / "index.html").read_text(encoding="utf-8")


def test_the_footer_has_the_licence(published_site):
    assert "CC BY-SA 4.0" in (published_site / "ch12" / "index.html").read_text(encoding="utf-8")


def test_without_site_url_the_notebook_has_no_link_that_leads_nowhere(built_site):
    links = _markdown_links(built_site / "notebooks" / "ch12" / "ch12.ipynb")
    # Its own download (next to it) is the only relative link; nothing points into the site.
    assert [link for link in links if not link.startswith("https://")] == ["ch12.ipynb"]
    chapter = (built_site / "ch12" / "index.html").read_text(encoding="utf-8")
    assert "colab.research.google.com" not in chapter and 'rel="edit"' not in chapter


def test_colab_needs_a_github_repository():
    from snipdoc.integration.notebook import colab_url

    assert colab_url("https://github.com/o/r.git", "nb/x.ipynb") == \
        "https://colab.research.google.com/github/o/r/blob/gh-pages/nb/x.ipynb"
    assert colab_url("https://gitlab.com/o/r", "nb/x.ipynb") is None
    assert colab_url(None, "nb/x.ipynb") is None


def test_the_installed_search_worker_is_patched_where_its_segmentation_loops_end():
    import material

    worker = next((Path(material.__file__).parent / "templates/assets/javascripts/workers").glob("search.*.min.js"))
    js = worker.read_text(encoding="utf-8")
    patched = search.patch_worker(js)
    assert "o<t.length;o++)t.slice(s,o)in e" in js and "o<=t.length;o++)t.slice(s,o)in e" in patched
    assert "a<t.length-1&&" in js and "a<t.length&&" in patched
    assert "sourceMappingURL" not in patched  # the map describes the code before the patch
    # A Chinese query's words, before each gets its "*": "交叉熵**" was then said to be missing.
    assert 'invertedIndex)].join("* ")' in js and 'invertedIndex)].join(" ")' in patched
    with pytest.raises(Exception, match="has changed"):
        search.patch_worker(js.replace("new Uint16Array", "new Uint32Array"))


def test_glossary_terms_are_one_word_for_jieba():
    import jieba

    glossary = search.load_glossary(ROOT / "docs" / search.GLOSSARY)
    assert {"均方误差", "雅可比矩阵", "交叉熵", "反向传播"} <= set(glossary)
    search.add_words(glossary)
    for term in glossary:
        assert list(jieba.cut(f"这是{term}的例子")).count(term) == 1, term


def test_the_published_site_loads_nothing_from_other_hosts(browser, serve, published_site):
    """With repo_url set, Material's header would ask GitHub's API for stars and forks."""
    from test_browser import open_page

    for path in ("ch12/", "notebooks/ch12/"):
        one = open_page(browser, serve(published_site) + path)
        one.page.wait_for_load_state("networkidle")
        assert one.foreign_requests() == [], path
        assert one.page.locator("a.md-source").count()  # the repository link is there
        one.page.context.close()


def _nav_paths(items) -> list[str]:
    for item in items:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            yield from _nav_paths(value)
        else:
            yield value


def test_every_page_in_the_nav_exists_for_every_engine(published_site):
    """A nav entry names a page of docs/: Zensical runs no MkDocs plugin, so a generated
    notebook listed there would be a dead link. The plugin lists the notebooks itself."""
    from mkdocs.utils.yaml import yaml_load

    with open(ROOT / "mkdocs.yml", encoding="utf-8") as f:
        nav = yaml_load(f)["nav"]
    assert [p for p in _nav_paths(nav) if not (ROOT / "docs" / p).is_file()] == []
    chapter = (published_site / "ch12" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<a href="\.\./notebooks/ch12/"[^>]*class="md-nav__link"', chapter)
    assert 'aria-label="下一页: Notebook 版：激活函数与损失函数"' in chapter


def test_the_settings_read_from_another_folder_find_the_project_s_files(tmp_path, monkeypatch):
    # `python -m snipdoc ... -f path/to/mkdocs.yml`: the YAML tags read project paths.
    monkeypatch.chdir(tmp_path)
    options = options_from(ROOT / "mkdocs.yml")
    assert options["reference_platform"]["torch"] and len(options["inputs"]) == 64


def test_a_page_defines_the_terms_its_headings_name_and_its_phrases_define():
    separator = r"[\s\-、。，：（）“”/]+"
    html = ('<h1 id="top">激活函数与损失函数</h1><p>这就是“梯度消失”。</p>'
            '<h3 id="relu">ReLU（线性整流单元）<a class="headerlink" href="#relu">&para;</a></h3>'
            '<h3 id="mse">均方误差（MSE）</h3><p>这才是“均方误差”。</p>'
            '<h3 id="list">Leaky ReLU、ELU 与 SiLU</h3><h2 id="topics">均方误差与求梯度</h2>'
            '<h3 id="grad">用 backward() 求梯度</h3><h3 id="long">求梯度的两种方式</h3>'
            '<h3 id="dx">softmax 的导数</h3><h3 id="sm">softmax</h3><p>后来称为“饱和”。</p>')
    assert search.defined_terms(html, "ch/", separator) == {
        "梯度消失": "ch/",  # before any h2: the page's own entry
        "ReLU": "ch/#relu", "线性整流单元": "ch/#relu",
        "均方误差": "ch/#mse", "MSE": "ch/#mse",  # the first section that names it keeps it
        "ELU": "ch/#list", "SiLU": "ch/#list",  # a list's Latin words, not "Leaky ReLU" (two words)
        "softmax": "ch/#sm", "饱和": "ch/#sm",
    }


def test_highlighted_code_loses_only_its_name_and_whitespace_spans():
    from snipdoc.integration.highlight_markup import slim

    block = ('<div class="highlight"><pre><span></span><code><span class="n">x</span><span class="w"> </span>'
             '<span class="o">=</span> <span class="n">torch</span><span class="o">.</span><span class="n">ones</span>'
             '<span class="p">(</span><span class="mi">2</span><span class="p">)</span></code></pre></div>')
    prose = '<p><span class="n">kept</span></p>'
    assert slim(prose + block) == prose + (
        '<div class="highlight"><pre><span></span><code>x <span class="o">=</span> torch<span class="o">.</span>ones'
        '<span class="p">(</span><span class="mi">2</span><span class="p">)</span></code></pre></div>')
