"""A chapter page as a Jupyter notebook, built from the same page and the same
snippet runs as the website.

The page's prose becomes Markdown cells (formulas stay ``$...$``); each
embedded snippet becomes the code cells the page shows, with the outputs of its
real run written the way a Jupyter kernel reports them: an expression's value
as ``execute_result``, printed text as ``stream``, an expected exception as an
``error`` in a cell tagged ``raises-exception``, a figure as SVG
``display_data``. A notebook is regenerated only when its key changes: the
page's converted text and the cache keys of its snippets (which cover their
bytes, helper modules, versions and engine settings) and the generator's own code.
"""

from __future__ import annotations

import ast
import hashlib
import json
import posixpath
import re
from html import escape
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin

from markdown.extensions import toc
from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, InclusionLevel
from mkdocs.utils import get_relative_url

from ..engine import cache, render, values
from ..engine.core import Engine
from ..engine.parse import Directive, SnippetError, find_directives
from ..engine.figures import FIGURE_RC, FIGURE_SAVE
from ..engine.run import TRACEBACK_HEADER
from . import formulas, notebook_page

log = get_plugin_logger(__name__)

FOLDER = "notebooks"  # generated notebooks live at notebooks/<page>.ipynb in the site

# IPython shows values through its pretty printer, which re-wraps what repr
# prints (a tuple of multi-line tensors gets extra indentation, long lists are
# folded at 79 columns); the site shows repr, as doctest does. The figure
# settings are run.py's (the notebook test compares the SVG a kernel draws
# with the site's, byte for byte).
# Without matplotlib installed no snippet draws, and the setup leaves figures out.
SETUP_CODE = "\n".join([
    "%config PlainTextFormatter.pprint = False",
    *([
        '%config InlineBackend.figure_formats = ["svg"]',
        f"%config InlineBackend.print_figure_kwargs = {FIGURE_SAVE!r}",
        "import matplotlib",
        *(f"matplotlib.rcParams[{k!r}] = {v!r}" for k, v in FIGURE_RC.items()),
    ] if find_spec("matplotlib") else []),
])

SETUP_NOTE = (
    "下面这个代码格只调整显示方式，不影响计算：输出用 `repr` 显示（IPython 默认的 `pprint` "
    "会重新排版，例如给元组里的多行张量多加缩进），图用 SVG 显示，并固定 SVG 里的 id，"
    "这样运行结果与网站上的逐字相同。"
)


def _nbformat():
    """nbformat, imported only when a notebook is written: an up-to-date build skips it."""
    import nbformat.v4

    return nbformat


def notebook_uri(page_uri: str) -> str:
    """notebooks/ch12.ipynb for ch12.md: its own folder, so its URL never collides with a page's."""
    return f"{FOLDER}/{posixpath.splitext(page_uri)[0]}.ipynb"


def add_to_files(pages: list[str], files, config, engine: Engine, folder: Path, docs_prefix: str,
                 defer: Callable[[str], bool] | None = None) -> dict[str, Written]:
    """Write (or keep) the notebook of each listed page and add it to the site's files.

    mkdocs-jupyter, listed after this plugin, then renders each one as a page
    (its on_files runs after ours and wraps the .ipynb files it finds).
    defer(page): under `mkdocs serve`, True leaves a notebook that exists but is out of
    date as it is, marked pending (its page says so); without it, every one is written.
    """
    written: dict[str, Written] = {}
    for page in pages:
        source = files.get_file_from_path(page)
        if source is None or not source.is_documentation_page():
            raise PluginError(f"snipdoc: notebooks: '{page}' is not a page of {docs_prefix}/")
        uri = notebook_uri(page)
        if files.get_file_from_path(uri) is not None:
            raise PluginError(f"snipdoc: {docs_prefix}/{uri} would be replaced by the notebook generated from {page}")
        urls = _NotebookUrls(uri, config)

        def link(path: str, page=page, urls=urls) -> str | None:
            path = path or posixpath.basename(page)  # "#section": a section of this page
            target = files.get_file_from_path(posixpath.normpath(posixpath.join(posixpath.dirname(page), path)))
            return None if target is None else urls.outside(target.url) or ""

        intro = {"page": urls.outside(source.url), "download": urls.link(urls.download),
                 "name": posixpath.basename(uri), "colab": colab_url(config.repo_url, urls.download)}
        path = folder / uri
        plan = Plan(path, Path(source.abs_src_path), f"{docs_prefix}/{page}", engine, link, intro)
        if plan.current:
            written[page] = Written(path, generated=False)
        elif defer is not None and path.is_file() and defer(page):
            written[page] = Written(path, generated=False, pending=True)
        else:
            written[page] = plan.write()
        # The plugin puts it in the nav (on_nav): listed in mkdocs.yml, it would be a dead
        # link under engines that run no MkDocs plugins, such as Zensical.
        files.append(File(uri, src_dir=str(folder), dest_dir=config.site_dir,
                          use_directory_urls=config.use_directory_urls, inclusion=InclusionLevel.NOT_IN_NAV))
    if written:
        fresh = sum(w.generated for w in written.values())
        log.info(f"notebooks: {fresh} generated, {len(written) - fresh} up to date")
    return written


def add_to_nav(nav, notebooks: dict[str, "Written"], files, section: str, title: str) -> None:
    """A nav section with each notebook page, titled after its chapter's title in the nav."""
    from mkdocs.structure.nav import Section, _add_parent_links, _add_previous_and_next_links

    titles = {p.file.src_uri: p.title for p in nav.pages}
    pages = []
    for page in notebooks:
        file = files.get_file_from_path(notebook_uri(page))
        if file is None or file.page is None:
            continue
        file.page.title = title.format(title=titles.get(page) or posixpath.splitext(posixpath.basename(page))[0])
        pages.append(file.page)
    if pages:
        nav.items.append(Section(section, pages))
        nav.pages = [p for p in nav.pages if p not in pages] + pages
        _add_previous_and_next_links(nav.pages)
        _add_parent_links(nav.items)


class _NotebookUrls:
    """Where mkdocs-jupyter puts a notebook: rendered as a page, with the .ipynb beside it."""

    def __init__(self, uri: str, config) -> None:
        as_page = File(posixpath.splitext(uri)[0] + ".md", src_dir=None, dest_dir=config.site_dir,
                       use_directory_urls=config.use_directory_urls)
        self.page = as_page.url
        folder = posixpath.dirname(as_page.dest_uri)
        self.download = posixpath.join(folder, posixpath.basename(uri))
        self.site_url = config.site_url

    def link(self, url: str) -> str:
        """Absolute when the site's address is known (so a downloaded copy links home too)."""
        if self.site_url:
            return urljoin(self.site_url, url)
        return get_relative_url(url, self.page)

    def outside(self, url: str) -> str | None:
        """A link that also works in a downloaded copy opened in Jupyter: absolute, or
        none when the site's address is not configured (a relative one leads nowhere there)."""
        return urljoin(self.site_url, url) if self.site_url else None


COLAB_BRANCH = "gh-pages"
"""The branch that holds the built site, .ipynb files included (the notes' Pages workflow
writes it after each deployment; so does mkdocs gh-deploy): Colab opens notebooks from a
GitHub repository, and the notebooks are built, not committed."""


def colab_url(repo_url: str | None, path: str) -> str | None:
    """"Open in Colab" for the notebook published at path, if the repository is on GitHub."""
    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", repo_url or "")
    return m and f"https://colab.research.google.com/github/{m[1]}/{m[2]}/blob/{COLAB_BRANCH}/{path}"


def with_page_links(html: str, page, notebooks: dict[str, "Written"], config) -> str:
    """The chapter page, with a note after its title that links to its notebook.

    Added to the HTML, not the Markdown: lines added to the Markdown would shift the
    line numbers that the page's error messages give."""
    if page.file.src_uri not in notebooks:
        return html
    uri = notebook_uri(page.file.src_uri)
    urls = _NotebookUrls(uri, config)
    download = escape(get_relative_url(urls.download, page.url))
    online = escape(get_relative_url(urls.page, page.url))
    colab = colab_url(config.repo_url, urls.download)
    note = (
        '<div class="admonition info">\n<p class="admonition-title">Jupyter Notebook</p>\n'
        f"<p>本章也是一个 Jupyter Notebook，代码和输出与本页相同，可以下载后在 Jupyter 里从头运行："
        f'<a href="{download}" download>下载本章的 Jupyter Notebook（{escape(posixpath.basename(uri))}）</a>，'
        f'或者<a href="{online}">在线查看 Notebook 版</a>'
        + (f'，或者<a href="{escape(colab)}">在 Colab 中打开</a>' if colab else "")
        + "。</p>\n</div>\n"
    )
    title = re.match(r"\s*<h1\b.*?</h1>\n?", html, re.S)
    at = title.end() if title else 0
    return html[:at] + note + html[at:]


UPDATING_HTML = (
    '<div class="admonition info"><p class="admonition-title">Notebook 版正在更新</p>'
    "<p>页面或示例改过之后，Notebook 版在打开时才重新生成：现在正在生成，完成后本页会自动刷新。</p></div>"
)
"""What a notebook page shows under `mkdocs serve` while its notebook is regenerated."""


_HEADING = re.compile(r'<h([1-6]) id="[^"]*">(.*?)<a class="anchor-link" href="#[^"]*">', re.S)


def finish_page(html: str, page, notebooks: dict[str, "Written"], config) -> str:
    """A rendered notebook page as a page of this site."""
    if page.file.src_uri not in {notebook_uri(p) for p in notebooks}:
        return html
    # Search would list every section twice; it leads to the chapter, which links here.
    page.meta["search"] = {"exclude": True}
    html = notebook_page.finish(html, Path(page.file.abs_src_path))
    return formulas.from_notebook(heading_anchors(html, page, config))


def heading_anchors(html: str, page, config) -> str:
    """Give a notebook page's headings the anchors the site's Markdown pages get.

    mkdocs-jupyter keeps only ASCII in heading ids (a Chinese heading gets
    id=""), while its table of contents links Python-Markdown's own slugs
    (#_2): the links in the sidebar would lead nowhere.
    """
    links = list(_flatten(page.toc))
    headings = list(_HEADING.finditer(html))
    if len(links) != len(headings):
        return html  # not the structure this was written for: leave it alone
    options = config.mdx_configs.get("toc", {})
    slugify = options.get("slugify", toc.slugify)
    used: set[str] = set()
    out, last = [], 0
    for m, link in zip(headings, links):
        link.id = toc.unique(slugify(link.title, options.get("separator", "-")), used)
        out.append(f'{html[last:m.start()]}<h{m[1]} id="{link.id}">{m[2]}<a class="anchor-link" href="#{link.id}">')
        last = m.end()
    return "".join(out) + html[last:]


def _flatten(links):
    for link in links:
        yield link
        yield from _flatten(link.children)


@dataclass
class Written:
    path: Path
    generated: bool  # False: the key matched, nothing was read or written
    pending: bool = False  # out of date, left for later (under serve); the file there is an older one


class Plan:
    """The notebook of one page at path: its key now, and writing it unless the one
    there has the same key."""

    def __init__(self, path: Path, page_path: Path, page_label: str, engine: Engine,
                 link: Callable[[str], str | None], intro_links: dict[str, str]) -> None:
        markdown = page_path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        try:
            self.items = page_items(markdown, page_label, link)
        except SnippetError as exc:  # the page reports it too; the notebook shows it instead of stale cells
            self.items = [exc]
        self.collapsed = collapsed_directives(markdown)
        self.snippets = [(d, _load(engine, d, f"{page_label}:{d.lineno}: ")) for d in _directives(self.items)]
        self.quoted = []  # snippets whose values the prose quotes
        for ref in values.find(markdown.split("\n")):
            try:
                self.quoted.append(engine.load(ref.snippet))
            except SnippetError:
                pass  # the page reports it
        self.path, self.page_label, self.engine, self.intro_links = path, page_label, engine, intro_links
        self.current = _stored_key(path) == self._key()

    def _key(self) -> str:
        return _key(self.items, self.snippets + [(None, s) for s in self.quoted], self.engine, self.intro_links)

    def _quote_values(self, text: str) -> str:
        """The prose with each value quoted from its run, as plain text (a notebook shows no tooltips)."""
        lines, _ = values.substitute(text.split("\n"), self.page_label,
                                     lambda ref, where: values.lookup(self.engine, ref, where, self.engine.result),
                                     as_html=False)
        return "\n".join(lines)

    def write(self) -> Written:
        items = [self._quote_values(item) if isinstance(item, str) else item for item in self.items]
        nb, complete = assemble(items, self.snippets, self.engine, self.page_label, self.intro_links, self.collapsed)
        # Again, now that every snippet ran: the key names the files the runs read.
        key = self._key()
        if complete:
            nb.metadata["snipdoc"]["key"] = key  # a notebook with a failed snippet is never reused
        data = _nbformat().writes(nb).encode() + b"\n"
        # Same bytes, same file: its mtime stays, and so does mkdocs-jupyter's cached page.
        if not (self.path.is_file() and self.path.read_bytes() == data):
            cache.write_atomic(self.path, data)
        return Written(self.path, generated=True)


# --- the page ---------------------------------------------------------------

def page_items(markdown: str, page_label: str, link: Callable[[str], str | None]) -> list:
    """The page as Markdown cell texts and snippet directives, in order."""
    found, errors = find_directives(markdown.split("\n"), page_label)
    if errors:
        raise SnippetError(errors[0][1])
    directives = {d.lineno: d for d in found}
    items: list = []
    chunk: list[str] = []
    for lineno, line in enumerate(markdown.split("\n"), 1):
        if lineno in directives:
            items.extend(_markdown_cells(chunk, link))
            items.append(directives[lineno])
            chunk = []
        else:
            chunk.append(line)
    items.extend(_markdown_cells(chunk, link))
    return items


def _markdown_cells(lines: list[str], link: Callable[[str], str | None]) -> list[str]:
    """One cell per heading, so a notebook's outline lists the page's sections."""
    text = rewrite_links(admonitions_as_html("\n".join(lines)), link)
    cells, current = [], []
    for line, in_fence in _with_fences(text.split("\n")):
        if not in_fence and re.match(r"#{1,6} ", line) and current:
            cells.append(current)
            current = []
        current.append(line)
    cells.append(current)
    return [body for c in cells if (body := "\n".join(c).strip("\n"))]


def _with_fences(lines: list[str]):
    """Each line with whether it is inside a fenced code block (where nothing is rewritten)."""
    fence = None
    for line in lines:
        m = re.match(r"\s*(`{3,}|~{3,})", line)
        if m and fence is None:
            fence = m.group(1)
            yield line, True
        elif m and line.strip() == fence:
            fence = None
            yield line, True
        else:
            yield line, fence is not None


_ADMONITION = re.compile(r'^(?P<mark>!!!|\?\?\?\+?)\s+(?P<kind>[\w-]+)(?:\s+[\w-]+)*(?:\s+"(?P<title>[^"]*)")?\s*$')


def admonitions_as_html(text: str) -> str:
    """Material's ``!!! note "title"`` blocks as the HTML Material draws them, and a
    collapsed ``??? note`` as ``<details>``: Jupyter knows neither block but renders both
    the HTML and the Markdown body (after a blank line), so the notebook's own page gets
    the chapter's boxes and an exercise's answer stays closed in Jupyter too."""
    lines = text.split("\n")
    out: list[str] = []
    fenced = [f for _, f in _with_fences(lines)]
    i = 0
    while i < len(lines):
        m = None if fenced[i] else _ADMONITION.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        body, i = _indented_block(lines, i + 1)
        kind, title = m.group("kind"), m.group("title")
        if title is None:
            title = kind.capitalize()
        inner = admonitions_as_html("\n".join(body))
        # The title in <strong>: bold in Jupyter, which has no admonition style.
        heading = f"<strong>{_inline_html(title)}</strong>" if title else ""
        if m.group("mark") == "???":
            out += [f'<details class="{kind}">', f"<summary>{heading}</summary>", "", inner, "", "</details>"]
        else:
            out += [f'<div class="admonition {kind}">']
            out += [f'<p class="admonition-title">{heading}</p>'] if title else []
            out += ["", inner, "", "</div>"]
    return "\n".join(out)


def _inline_html(title: str) -> str:
    """A title's Markdown as HTML (inside an HTML block nothing renders it): its `code`."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(title, quote=False))


def collapsed_directives(markdown: str) -> set[int]:
    """The lines of the snippets that sit in a collapsed ``???`` block (an exercise's
    answer): their cells are collapsed too."""
    lines = markdown.split("\n")
    found, _ = find_directives(lines, "")
    inside: set[int] = set()
    fenced = [f for _, f in _with_fences(lines)]
    for i, line in enumerate(lines):
        m = None if fenced[i] else _ADMONITION.match(line.lstrip())
        if m and m.group("mark") == "???":
            indent = len(line) - len(line.lstrip())
            body = [l[indent:] for l in lines[i + 1:]]
            _, end = _indented_block(body, 0)
            inside.update(range(i + 2, i + 2 + end))
    return {d.lineno for d in found if d.lineno in inside}


def _indented_block(lines: list[str], start: int) -> tuple[list[str], int]:
    end = start
    while end < len(lines) and (lines[end].startswith(("    ", "\t")) or not lines[end].strip()):
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1  # trailing blank lines separate the block from what follows
    body = [line[4:] if line.startswith("    ") else line.lstrip("\t") for line in lines[start:end]]
    return body, end


_LINK = re.compile(r"(!?\[[^\]\n]*\]\()([^)\s]+)((?:\s+\"[^\"\n]*\")?\))")


def rewrite_links(text: str, link: Callable[[str], str | None]) -> str:
    """Relative links (``index.md``, ``img/a.png``) as URLs that work from the notebook."""
    def repl(m: re.Match) -> str:
        target = m.group(2)
        if re.match(r"^([a-zA-Z][\w+.-]*:|/)", target):
            return m.group(0)
        # "#section" too: a notebook's own heading anchors are not the site's, so it
        # links to the section on the site, or (with no site address) is plain text.
        path, hash_, fragment = target.partition("#")
        url = link(path)
        if url == "" and not m.group(1).startswith("!"):
            return m.group(1)[1:-2]  # a link with nowhere to lead: its text
        return m.group(0) if not url else f"{m.group(1)}{url}{hash_}{fragment}{m.group(3)}"

    return "\n".join(line if fenced else _LINK.sub(repl, line)
                     for line, fenced in _with_fences(text.split("\n")))


def _directives(items: list) -> list[Directive]:
    return [item for item in items if isinstance(item, Directive)]


def _load(engine: Engine, d: Directive, where: str):
    try:
        return engine.load(d.snippet, where)
    except SnippetError as exc:
        return exc


# --- the key ----------------------------------------------------------------

def _key(items: list, snippets: list, engine: Engine, intro_links: dict[str, str]) -> str:
    parts = [_generator_version(), engine.env, intro_links]
    for item in items:
        parts.append(item if isinstance(item, str) else str(item) if isinstance(item, SnippetError)
                     else [item.snippet, item.part])
    for _, snippet in snippets:
        parts.append(str(snippet) if isinstance(snippet, SnippetError) else engine.fingerprint(snippet))
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _generator_version() -> str:
    """The source of the code that writes notebooks: editing it regenerates them all."""
    h = hashlib.sha256()
    for module in (__file__, render.__file__):
        h.update(Path(module).read_bytes())
    return h.hexdigest()


def _stored_key(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))["metadata"]["snipdoc"]["key"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


# --- the notebook -----------------------------------------------------------

def assemble(items: list, snippets: list, engine: Engine, page_label: str,
             intro_links: dict[str, str], collapsed: set[int] = frozenset()) -> tuple[nbformat.NotebookNode, bool]:
    """The notebook, and whether every snippet ran as recorded. collapsed: the lines of the
    snippets whose cells start collapsed (an exercise's answer)."""
    loaded = iter(snippets)
    numbers = render.Figures()
    cells = []
    complete = True
    first = 0
    if items and isinstance(items[0], str) and items[0].startswith("# "):
        title, _, rest = items[0].partition("\n")
        cells.append(_nbformat().v4.new_markdown_cell(f"{title}\n\n{_intro(engine, intro_links)}"))
        if rest.strip():
            cells.append(_nbformat().v4.new_markdown_cell(rest.strip("\n")))
        first = 1
    else:
        cells.append(_nbformat().v4.new_markdown_cell(_intro(engine, intro_links)))
    cells += [_nbformat().v4.new_markdown_cell(SETUP_NOTE), _nbformat().v4.new_code_cell(SETUP_CODE)]
    for item in items[first:]:
        if isinstance(item, str):
            cells.append(_nbformat().v4.new_markdown_cell(item))
            continue
        if isinstance(item, SnippetError):
            cells.append(_failure([str(item)]))
            complete = False
            continue
        directive, snippet = next(loaded)
        new, ok = snippet_cells(directive, snippet, engine, f"{page_label}:{directive.lineno}", numbers)
        if directive.lineno in collapsed:
            for cell in new:
                _collapse(cell)
        cells += new
        complete = complete and ok
    _number(cells)
    nb = _nbformat().v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python", "version": engine.env["python"].split()[0]},
        "snipdoc": {"page": page_label, "torch": engine.env["torch"]},
    })
    _nbformat().validate(nb)
    return nb, complete


def _intro(engine: Engine, links: dict[str, str]) -> str:
    env = engine.env
    python = env["python"].split()[0]
    return (
        f"> 这个 Notebook 由网站上的{_linked('同名页面', links['page'])}和它的示例在构建网站时自动生成，"
        f"内容与页面相同。每一个输出都来自 **torch {env['torch']}**（Python {python}）的真实运行；"
        f"用同样的版本从头运行，会得到同样的输出。[下载 {links['name']}]({links['download']})"
        + (f" · [在 Colab 中打开]({links['colab']})" if links.get("colab") else "")
    )


def _linked(text: str, url: str | None) -> str:
    return f"[{text}]({url})" if url else text


def _collapse(cell) -> None:
    """Hidden until opened: JupyterLab and Notebook 7 read these keys, and the site's page
    moves the cell into the answer's <details>. Not a tag: mkdocs-jupyter shows tags."""
    if cell.cell_type == "code":
        cell.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}



def snippet_cells(d: Directive, snippet, engine: Engine, where: str,
                  numbers: render.Figures | None = None) -> tuple[list, bool]:
    """The code cells of one embedded snippet (the page's grouping), with their outputs."""
    if isinstance(snippet, SnippetError):
        return [_failure([str(snippet)])], False
    examples = snippet.part(d.part)
    if not examples:
        return [_failure([f"{where}: snippet '{d.snippet}' has no part '{d.part}'"])], False
    result = engine.result(snippet)
    problems = engine.problems(snippet, result)
    if problems:
        return [_failure(problems)], False
    chosen = {id(e) for e in examples}
    runs = [run for e, run in zip(snippet.examples, result["examples"]) if id(e) in chosen]
    # The page's grouping: the statements up to each output (or figure) form one cell.
    run_of = {id(e): run for e, run in zip(examples, runs)}
    cells = []
    for group in render.cells(examples, runs):
        cell = _nbformat().v4.new_code_cell(group.code)
        got = "" if group.skipped else run_of[id(group.examples[-1])]["got"]
        if got:
            cell.outputs = outputs(group.examples[-1].source, got)
            if any(o.output_type == "error" for o in cell.outputs):
                cell.metadata["tags"] = ["raises-exception"]  # nbclient runs on past it
        # A kernel shows a figure after the cell that drew it: the light variant, which
        # Jupyter and Colab show. The dark one, the number and the caption ride in the
        # output's metadata, which they ignore; the site's page draws them as the chapter does.
        cell.outputs += [_nbformat().v4.new_output("display_data", data={"image/svg+xml": f["light"]},
                                                   metadata={"snipdoc": figure_meta(f, d, numbers)})
                         for f in group.figures]
        cells.append(cell)
    return cells, True


def figure_meta(figure: dict, d: Directive, numbers: render.Figures | None) -> dict:
    number = (numbers or render.Figures()).label(d.snippet)
    return {"number": number, "caption": d.caption, "snippet": d.snippet, "dark": figure["dark"]}


def outputs(source: str, got: str) -> list:
    """What a kernel reports for the last statement of a cell that doctest saw print got."""
    start = got.find(TRACEBACK_HEADER)
    if start >= 0:
        printed = got[:start]
        lines = got[start + len(TRACEBACK_HEADER):].split("\n", 1)[1].rstrip("\n").split("\n")
        name, _, value = lines[0].partition(": ")
        evalue = "\n".join([value, *lines[1:]]) if value or len(lines) > 1 else ""
        error = _nbformat().v4.new_output("error", ename=name.rpartition(".")[2], evalue=evalue, traceback=lines)
        return ([_nbformat().v4.new_output("stream", name="stdout", text=printed)] if printed else []) + [error]
    if _shows_value(source):
        text = got[:-1] if got.endswith("\n") else got
        return [_nbformat().v4.new_output("execute_result", data={"text/plain": text})]
    return [_nbformat().v4.new_output("stream", name="stdout", text=got)]


def _shows_value(source: str) -> bool:
    """An expression statement other than print(...): its value is the cell's result."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    if len(body) != 1 or not isinstance(body[0], ast.Expr):
        return False
    value = body[0].value
    return not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "print")


def _failure(messages: list[str]) -> nbformat.NotebookNode:
    body = "\n\n".join(messages)
    return _nbformat().v4.new_markdown_cell(f"> **示例运行失败**\n\n```text\n{body}\n```")


def _number(cells: list) -> None:
    """Ids and execution counts as a run from the top gives them: equal input, equal bytes."""
    count = 0
    for i, cell in enumerate(cells):
        cell.id = f"cell-{i}"
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = count
