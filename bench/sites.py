"""Generate one benchmark project: the snippets, and the same pages four ways.

Layout of a generated project (under bench/out/, git-ignored):

    snippets/pNN/NAME.txt   doctest snippets, outputs written by the record command
    snippets/conftest.py    copied from the repository, so pytest runs them as `make test` does
    pytest.ini              the repository's pytest settings, pointed at snippets/
    floor.yml     docs-floor/    outputs pasted as code blocks, no plugin that executes
    snipdoc.yml   docs-snipdoc/  `::: snippet` directives, run by snipdoc with two workers (jobs: 2)
    snipdoc1.yml  docs-snipdoc/  the same pages, one worker (jobs: 1)
    mdexec.yml    docs-mdexec/   the same code run by markdown-exec
    jupyter.yml   docs-jupyter/  one notebook per page, executed by mkdocs-jupyter

Every variant shares one theme and set of Markdown extensions (those of the
repository's mkdocs.yml), so the differences measured are the execution
machinery's alone.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from snipdoc.engine import render
from snipdoc.engine.parse import Snippet, parse_snippet

from .examples import EXAMPLES, source

REPO = Path(__file__).resolve().parent.parent

# What all variants share; mirrors the theme and extensions of mkdocs.yml.
COMMON_CONFIG = """\
site_name: Benchmark
docs_dir: {docs}
site_dir: {site}
theme:
  name: material
  language: zh
  font: false
  features:
    - content.code.copy
    - navigation.sections
markdown_extensions:
{extensions}  - admonition
  - attr_list
  - md_in_html
  - pymdownx.details
  - pymdownx.superfences
  - pymdownx.highlight
  - pymdownx.arithmatex:
      generic: true
  - toc:
      permalink: true
"""

# snipdoc's settings belong to its Markdown extension; the plugin adds what needs MkDocs' hooks.
SNIPDOC_EXTENSION = ("  - snipdoc:\n      snippets_dir: snippets\n"
                     "      cache_dir: cache/{variant}\n      jobs: {jobs}\n"
                     "      preload: [torch, numpy, matplotlib.pyplot]\n")
JOBS = {"snipdoc": 2, "snipdoc1": 1}  # variant -> snippets run at once on a cache miss

PLUGINS = {
    "floor": "plugins:\n  - search\n",
    "snipdoc": "plugins:\n  - search\n  - snipdoc\n",
    "snipdoc1": "plugins:\n  - search\n  - snipdoc\n",
    "mdexec": "plugins:\n  - search\n  - markdown-exec\n",
    # allow_errors stays false as in the real site; cells that show an error on
    # purpose carry the raises-exception tag instead.
    "jupyter": ("plugins:\n  - search\n  - mkdocs-jupyter:\n      execute: true\n      allow_errors: false\n"
                "      include: ['*.ipynb']\n      cache_dir: {cache}\n"),
}
VARIANTS = tuple(PLUGINS)

FORMULAS = {
    "sigmoid": r"\sigma(x)=\frac{1}{1+e^{-x}}",
    "tanh": r"\tanh(x)=\frac{e^x-e^{-x}}{e^x+e^{-x}}",
    "softmax": r"S(y_i)=\frac{e^{y_i}}{\sum_j e^{y_j}}",
    "mse_loss": r"loss=\sum [y-(wx+b)]^2",
}


@dataclass
class Project:
    root: Path
    pages: dict[str, list[str]]  # page name -> snippet names (relative to snippets/)

    def config(self, variant: str) -> Path:
        return self.root / f"{variant}.yml"

    def site(self, variant: str) -> Path:
        return self.root / f"site-{variant}"

    @property
    def snippets_dir(self) -> Path:
        return self.root / "snippets"

    def snipdoc_cache(self, variant: str = "snipdoc") -> Path:
        return self.root / "cache" / variant

    @property
    def jupyter_cache(self) -> Path:
        return self.root / "cache" / "mkdocs-jupyter"

    @property
    def snippet_files(self) -> list[Path]:
        return [self.snippets_dir / name for names in self.pages.values() for name in names]


def layout(n_pages: int, per_page: int) -> dict[str, list[str]]:
    """Page -> snippets. Page N uses variant N of the examples, so every file differs."""
    names = list(EXAMPLES)
    pages = {}
    for p in range(n_pages):
        start = (p * per_page) % len(names) if per_page < len(names) else 0
        chosen = [names[(start + i) % len(names)] for i in range(per_page)]
        pages[f"p{p:02d}"] = [f"p{p:02d}/{name}.txt" for name in chosen]
    return pages


def generate(root: Path, n_pages: int, per_page: int, jupyter_pages: int | None = None, log=print) -> Project:
    """Write the snippets, record their outputs, then write the four sites.

    jupyter_pages limits the notebook site to its first pages: mkdocs-jupyter
    starts a kernel (and imports torch) per page, which at 50 pages takes
    minutes per build.
    """
    project = Project(root, layout(n_pages, per_page))
    if root.exists():
        shutil.rmtree(root)
    for page, names in project.pages.items():
        variant = int(page[1:])
        for name in names:
            path = project.snippets_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source(Path(name).stem, variant), encoding="utf-8")
    shutil.copy(REPO / "snippets" / "conftest.py", project.snippets_dir / "conftest.py")
    # The pages' formulas are typeset at build time, with MathJax from the project's node_modules.
    (root / "node_modules").symlink_to(REPO / "node_modules")
    _write_pytest_ini(root)
    # `snipdoc record` reads its settings (the preload list) from mkdocs.yml: without them every
    # snippet's process imported torch itself (1,000 snippets: minutes instead of seconds).
    (root / "mkdocs.yml").write_text("markdown_extensions:\n" + SNIPDOC_EXTENSION.format(variant="record", jobs=2),
                                     encoding="utf-8")
    log(f"recording {len(project.snippet_files)} snippets with `python -m snipdoc record`")
    subprocess.run(
        [sys.executable, "-m", "snipdoc", "record", "--snippets-dir", str(project.snippets_dir)],
        cwd=root, check=True, stdout=subprocess.DEVNULL,
    )
    snippets = {name: parse_snippet(project.snippets_dir / name, name) for name in
                [n for names in project.pages.values() for n in names]}
    for variant in VARIANTS:
        _write_variant(project, variant, snippets, jupyter_pages)
    # The doctest step's conftest (the notes' own) reads the preload list from the project's
    # mkdocs.yml; without one, every snippet's copy imported torch itself.
    (root / "mkdocs.yml").unlink()
    (root / "mkdocs.yml").symlink_to("snipdoc.yml")
    return project


def _write_pytest_ini(root: Path) -> None:
    """The repository's [tool.pytest.ini_options], so the doctest step costs what `make test`'s does."""
    options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    options = dict(options, testpaths=["snippets"])
    lines = ["[pytest]"]
    for key, value in options.items():
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        lines.append(f"{key} = {value}")
    (root / "pytest.ini").write_text("\n".join(lines) + "\n")


def _write_variant(project: Project, variant: str, snippets: dict[str, Snippet], jupyter_pages: int | None) -> None:
    pages = "snipdoc" if variant in JOBS else variant  # both snipdoc variants build the same pages
    docs = project.root / f"docs-{pages}"
    plugins = PLUGINS[variant].format(cache=project.jupyter_cache)
    extensions = SNIPDOC_EXTENSION.format(variant=variant, jobs=JOBS[variant]) if variant in JOBS else ""
    project.config(variant).write_text(
        COMMON_CONFIG.format(docs=docs.name, site=project.site(variant).name, extensions=extensions) + plugins,
        encoding="utf-8")
    if docs.exists():
        return
    docs.mkdir(parents=True)
    (docs / "index.md").write_text("# 基准\n\n同样的例子，四种构建方式。\n", encoding="utf-8")
    for i, (page, names) in enumerate(project.pages.items()):
        if variant == "jupyter":
            if jupyter_pages is not None and i >= jupyter_pages:
                continue
            notebook = _notebook(page, [snippets[n] for n in names])
            (docs / f"{page}.ipynb").write_text(json.dumps(notebook, ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            body = "\n\n".join(_section(variant, name, snippets[name]) for name in names)
            (docs / f"{page}.md").write_text(f"# 第 {page[1:]} 页\n\n{body}\n", encoding="utf-8")


def _intro(name: str) -> str:
    title = Path(name).stem
    text = f"## {title}\n\n下面的例子展示 `{title}` 在 torch 2.13 上真实的输出。"
    if title in FORMULAS:
        text += f"\n\n$$\n{FORMULAS[title]}\n$$"
    return text


def recorded_cells(snippet: Snippet) -> list[tuple[str, str, bool]]:
    """(code, output, is_error) as the site shows them, from the recorded outputs."""
    runs = [{"status": "ok", "got": e.want} for e in snippet.examples]
    return [(c.code, c.output, c.is_error) for c in render.cells(snippet.examples, runs)]


def _section(variant: str, name: str, snippet: Snippet) -> str:
    parts = [_intro(name)]
    if variant in JOBS:
        parts.append(f"::: snippet {name}")
    elif variant == "floor":
        for code, output, _ in recorded_cells(snippet):
            parts.append(f"```python\n{code}\n```")
            if output:
                parts.append(f"```text\n{output}\n```")
    elif variant == "mdexec":
        session = name.replace("/", "-").removesuffix(".txt")
        for code in _script_cells(snippet):
            parts.append(f'```python exec="on" session="{session}" source="above" result="text"\n{code}\n```')
    return "\n\n".join(parts)


def _script_cells(snippet: Snippet) -> list[str]:
    """The snippet as plain Python cells that print what the doctest shows.

    markdown-exec runs code with exec(), which shows no expression values and
    stops at an exception; the display hook and the expected errors are spelled
    out so that it prints the same outputs.
    """
    cells, code = [], []
    for example in snippet.examples:
        code.append(_as_script(example.source, example.want))
        if example.want:
            cells.append("".join(code).rstrip("\n"))
            code = []
    if code:
        cells.append("".join(code).rstrip("\n"))
    return cells


def _as_script(src: str, want: str) -> str:
    if want.startswith(render.TRACEBACK_HEADER):
        body = "".join("    " + line + "\n" for line in src.rstrip("\n").split("\n"))
        return (f"try:\n{body}except Exception as exc:\n"
                f"    print(f'Traceback (most recent call last):\\n    ...\\n{{type(exc).__name__}}: {{exc}}')\n")
    tree = ast.parse(src)
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
        return f"__value = ({src.rstrip()})\nif __value is not None:\n    print(repr(__value))\n"
    return src


def _notebook(page: str, snippets: list[Snippet]) -> dict:
    cells = [_md_cell(f"# 第 {page[1:]} 页")]
    for snippet in snippets:
        cells.append(_md_cell(_intro(snippet.name)))
        for code, _, is_error in recorded_cells(snippet):
            cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                    "source": code}
            if is_error:
                cell["metadata"]["tags"] = ["raises-exception"]
            cells.append(cell)
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 4,
    }


def _md_cell(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}
