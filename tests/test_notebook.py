"""The chapter notebooks: built from the same pages and snippets as the site, they
run top to bottom in a real Jupyter kernel and print what the site shows."""

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from sites import ARITHMATEX, config
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from snipdoc.integration import notebook

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def build(root: Path, *args: str) -> subprocess.CompletedProcess:
    # mkdocs-jupyter keeps its cache relative to the working folder, hence cwd.
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", *args], cwd=root,
                          capture_output=True, text=True, timeout=600, env=ENV)


def configured_notebooks() -> list[str]:
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    return list(config.plugins["snipdoc"].config.notebooks)


@pytest.fixture(scope="session")
def kernel_specs(tmp_path_factory) -> KernelSpecManager:
    """A python3 kernel on this very interpreter: a kernelspec elsewhere on the machine
    (a user-wide python3 without torch) must not be picked instead."""
    from ipykernel.kernelspec import write_kernel_spec

    folder = tmp_path_factory.mktemp("kernels")
    write_kernel_spec(str(folder / "python3"))
    return KernelSpecManager(kernel_dirs=[str(folder)], ensure_native_kernel=False)


def run_in_kernel(nb, specs: KernelSpecManager, cwd: Path):
    """Run a copy of nb from the top, as a reader's Jupyter does."""
    ran = copy.deepcopy(nb)
    for cell in ran.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    km = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)
    # The reader's kernel picks its own plotting backend; the build's Agg must not leak in.
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    NotebookClient(ran, km=km, timeout=300, resources={"metadata": {"path": str(cwd)}}).execute(env=env)
    return ran


def shown(outputs) -> list[tuple]:
    """What a reader sees of a cell's outputs (a kernel may split a stream in chunks)."""
    seen: list[tuple] = []
    for o in outputs:
        if o.output_type == "stream":
            if seen and seen[-1][:2] == ("stream", o.name):
                seen[-1] = ("stream", o.name, seen[-1][2] + o.text)
            else:
                seen.append(("stream", o.name, o.text))
        elif o.output_type == "execute_result":
            seen.append(("execute_result", o.data["text/plain"]))
        elif o.output_type == "display_data":
            seen.append(("display_data", o.data.get("image/svg+xml", sorted(o.data))))
        elif o.output_type == "error":
            seen.append(("error", o.ename, o.evalue))
    return seen


@pytest.mark.parametrize("page", configured_notebooks())
def test_notebook_runs_in_a_kernel_and_prints_what_the_site_shows(page, built_site, kernel_specs, tmp_path):
    downloaded = download_path(built_site, page)  # the very file a reader downloads
    nb = nbformat.read(downloaded, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.snipdoc.torch == _torch_version()
    ran = run_in_kernel(nb, kernel_specs, tmp_path)
    code = [(want, got) for want, got in zip(nb.cells, ran.cells) if want.cell_type == "code"]
    assert sum(bool(want.outputs) for want, _ in code) > 10  # the chapter's outputs are really there
    for want, got in code:
        assert shown(got.outputs) == shown(want.outputs), f"{page}: the cell\n{want.source}\nprints differently in a kernel"
        # Counts as a run from the top numbers them: the file looks freshly executed.
        assert got.execution_count == want.execution_count


def download_path(site: Path, page: str) -> Path:
    uri = notebook.notebook_uri(page)
    return site / uri.removesuffix(".ipynb") / uri.rpartition("/")[2]


@pytest.mark.parametrize("page", configured_notebooks())
def test_in_a_browser_the_notebook_downloads_and_its_contents_links_work(page, browser, built_site, serve):
    base = serve(built_site)
    want = download_path(built_site, page).read_bytes()
    context = browser.new_context(accept_downloads=True)
    try:
        tab = context.new_page()
        tab.goto(base + page.removesuffix(".md") + "/")
        with tab.expect_download() as chapter_download:
            tab.get_by_text("下载本章的 Jupyter Notebook").click()
        assert Path(chapter_download.value.path()).read_bytes() == want
        tab.get_by_text("在线查看 Notebook 版").click()
        tab.wait_for_load_state()
        with tab.expect_download() as page_download:
            tab.get_by_text(f"下载 {download_path(built_site, page).name}").click()
        assert Path(page_download.value.path()).read_bytes() == want
        # Every entry of the table of contents leads to its heading.
        targets = tab.eval_on_selector_all("nav.md-nav--secondary a.md-nav__link", "els => els.map(e => e.hash)")
        assert len(targets) > 3
        missing = [t for t in targets if not tab.evaluate("h => !!document.getElementById(decodeURIComponent(h.slice(1)))", t)]
        assert missing == []
    finally:
        context.close()


def _torch_version() -> str:
    from importlib.metadata import version

    return version("torch")


# --- a tiny site with one notebook ---------------------------------------------

TINY_YML = config(
    {"timeout": 30},
    extensions=["admonition", "pymdownx.details", "pymdownx.superfences", ARITHMATEX,
                "toc:\n      slugify: !!python/object/apply:pymdownx.slugs.slugify\n        kwds:\n          case: lower"],
    plugins=["search", "snipdoc:\n      notebooks: [ch.md]",
             'mkdocs-jupyter:\n      ignore: ["*.md", "*.py"]\n      execute: false\n      allow_errors: false\n'
             "      include_source: true"])

TINY_PAGE = """\
# 小章

公式 $e^{x}$，另见[首页](index.md)。

!!! note "提示"
    注意 $\\sigma(x)$。

## 小节

::: snippet t/a.txt caption="一条线"

??? success "答案"
    答案是 `print`。

    ::: snippet t/b.txt

结尾。
"""

# One output of each kind a kernel reports: a value (a tuple of multi-line
# tensors, which IPython's pretty printer would re-indent), printed text, an
# expected exception, a figure.
TINY_SNIPPET = """\
>>> import torch
>>> t = torch.arange(6.).reshape(2, 3)
>>> t, t
(tensor([[0., 1., 2.],
        [3., 4., 5.]]), tensor([[0., 1., 2.],
        [3., 4., 5.]]))
>>> print("printed")
printed
>>> torch.full([1], 2).requires_grad_()
Traceback (most recent call last):
    ...
RuntimeError: only Tensors of floating point dtype can require gradients
>>> import matplotlib.pyplot as plt
>>> fig, ax = plt.subplots(figsize=(2, 2))
>>> _ = ax.plot([0, 1], [1, 0])
"""


ANSWER_SNIPPET = """\
>>> print("answer")
answer
"""


def make_tiny(root: Path) -> Path:
    for name, text in {"mkdocs.yml": TINY_YML, "docs/index.md": "# 首页\n", "docs/ch.md": TINY_PAGE,
                       "snippets/t/a.txt": TINY_SNIPPET, "snippets/t/b.txt": ANSWER_SNIPPET}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    # Its formulas are typeset when it is built, with MathJax from node_modules.
    (root / "node_modules").symlink_to(ROOT / "node_modules")
    return root


def built(root: Path) -> subprocess.CompletedProcess:
    result = build(root)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """The tiny site after its first build (tests that edit it work on a copy)."""
    root = make_tiny(tmp_path_factory.mktemp("tiny"))
    first = built(root)
    assert "notebooks: 1 generated, 0 up to date" in first.stderr
    return root


def downloaded(root: Path):
    return nbformat.read(root / "site" / "notebooks" / "ch" / "ch.ipynb", as_version=4)


GENERATED = Path(".cache", "snipdoc", "generated", "notebooks", "ch.ipynb")


def test_notebook_has_each_kind_of_output_and_a_kernel_prints_the_same(tiny, kernel_specs, tmp_path):
    nb = downloaded(tiny)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert markdown.startswith("# 小章\n\n> ")
    assert f"torch {_torch_version()}" in nb.cells[0].source  # from the run's environment
    # Without site_url a link to another page has nowhere to lead in Jupyter: only its text stays.
    assert "$e^{x}$" in markdown and "[首页]" not in markdown and "首页" in markdown and "](../" not in markdown
    # Material's admonition as its HTML, with a Markdown body that Jupyter renders too.
    assert ('<div class="admonition note">\n<p class="admonition-title"><strong>提示</strong></p>\n\n'
            '注意 $\\sigma(x)$。\n\n</div>') in markdown
    # An answer stays closed in Jupyter: its prose in <details>, its code cells hidden.
    assert '<details class="success">\n<summary><strong>答案</strong></summary>\n\n答案是 `print`。' in markdown
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source == notebook.SETUP_CODE
    # The page's grouping: the statements up to each output form one cell.
    assert [c.source for c in code[1:]] == [
        "import torch\nt = torch.arange(6.).reshape(2, 3)\nt, t",
        'print("printed")',
        "torch.full([1], 2).requires_grad_()",
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(2, 2))\n_ = ax.plot([0, 1], [1, 0])",
        'print("answer")',
    ]
    assert [c.metadata.get("jupyter") for c in code[4:]] == [None, {"source_hidden": True, "outputs_hidden": True}]
    assert [[o.output_type for o in c.outputs] for c in code[1:]] == [
        ["execute_result"], ["stream"], ["error"], ["display_data"], ["stream"]]
    error = code[3].outputs[0]
    assert (error.ename, error.evalue) == ("RuntimeError", "only Tensors of floating point dtype can require gradients")
    assert code[3].metadata.tags == ["raises-exception"]
    figure = code[4].outputs[0]
    assert figure.data["image/svg+xml"].lstrip().startswith("<?xml")  # the light variant: Jupyter shows it
    # The rest of what the chapter shows, for the site's page of the notebook.
    meta = figure.metadata.snipdoc
    assert (meta.number, meta.caption) == ("图 1", "一条线")
    assert meta.dark.lstrip().startswith("<?xml") and meta.dark != figure.data["image/svg+xml"]

    ran = run_in_kernel(nb, kernel_specs, tmp_path)
    for want, got in zip(code, [c for c in ran.cells if c.cell_type == "code"]):
        assert shown(got.outputs) == shown(want.outputs), want.source


def test_the_chapter_page_links_to_its_notebook_and_the_download_exists(tiny):
    site = tiny / "site"
    chapter = (site / "ch" / "index.html").read_text(encoding="utf-8")
    assert '<a href="../notebooks/ch/ch.ipynb" download>' in chapter
    assert '<a href="../notebooks/ch/">' in chapter
    assert (site / "notebooks" / "ch" / "ch.ipynb").read_bytes() == (tiny / GENERATED).read_bytes()
    # The rendered notebook links to its own download (the way back to the chapter is in the
    # sidebar: a relative link in the notebook would lead nowhere once it is downloaded).
    rendered = (site / "notebooks" / "ch" / "index.html").read_text(encoding="utf-8")
    assert 'href="ch.ipynb"' in rendered
    figure_output = next(o for c in downloaded(tiny).cells for o in c.get("outputs", []) if o.output_type == "display_data")
    # Its headings have the site's readable anchors, and its table of contents links them.
    assert '<h2 id="小节">' in rendered and '<a href="#小节" class="md-nav__link">' in rendered
    # Its figure as the chapter's: each scheme's variant as a file, the number and caption
    # as caption and alt text (not mkdocs-jupyter's placeholder).
    assert "No description has been provided" not in rendered
    assert '<figcaption>图 1 一条线</figcaption>' in rendered
    figure = re.search(r'<figure class="snippet-figure">.*?</figure>', rendered, re.S)[0]
    files = []
    for scheme in ("light", "dark"):
        img = re.search(rf'<img class="snippet-{scheme}" src="\.\./\.\./(assets/figures/\w+\.svg)#only-{scheme}"[^>]*>', figure)
        assert img and 'alt="图 1 一条线"' in img[0] and (site / img[1]).is_file()
        files.append((site / img[1]).read_text(encoding="utf-8"))
    assert files == [figure_output.data["image/svg+xml"], figure_output.metadata.snipdoc.dark]
    # Its admonition as Material's box; its answer, code and output included, in a closed <details>.
    assert re.search(r'<div class="admonition note">\s*<p class="admonition-title"><strong>提示</strong></p>', rendered)
    answer = re.search(r'<details class="success">.*?</details>', rendered, re.S)
    assert answer and answer[0].count('<div class="jp-Cell ') == 2  # the code cell, once (its inner part)
    assert 'print</span><span class="p">(</span><span class="s2">"answer"' in answer[0]
    assert "<pre>answer\n</pre>" in answer[0] and "open" not in answer[0].split(">", 1)[0]
    assert rendered.count("<pre>answer\n</pre>") == 1 and 'class="cell-tag">' not in rendered.split("<details", 1)[1]
    # Search leads to the chapter, not to a second copy of each of its sections.
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert '"location":"ch/' in index and '"location":"notebooks/' not in index


def test_an_unchanged_chapter_does_not_regenerate_its_notebook(tiny):
    before = (tiny / GENERATED).stat().st_mtime_ns
    second = built(tiny)
    assert "notebooks: 0 generated, 1 up to date" in second.stderr
    assert (tiny / GENERATED).stat().st_mtime_ns == before
    assert "snippets: 0 executed" in second.stderr
    assert "Cache hit" in second.stderr and "Cache miss" not in second.stderr  # mkdocs-jupyter's own cache


def test_editing_a_snippet_changes_the_notebook_on_the_next_build(tiny, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(tiny, root, symlinks=True)
    assert "printed\n" in [o.get("text") for c in downloaded(root).cells for o in c.get("outputs", [])]
    snippet = root / "snippets" / "t" / "a.txt"
    snippet.write_text(TINY_SNIPPET.replace('print("printed")\nprinted', 'print("edited")\nedited'), encoding="utf-8")
    second = built(root)
    assert "snippets: 1 executed" in second.stderr and "notebooks: 1 generated" in second.stderr
    texts = [o.get("text") for c in downloaded(root).cells for o in c.get("outputs", [])]
    assert "edited\n" in texts and "printed\n" not in texts
    page = (root / "site" / "notebooks" / "ch" / "index.html").read_text(encoding="utf-8")
    assert "edited" in page and "printed" not in page
