"""The MkDocs plugin: replaces each ``::: snippet PATH`` line with the snippet's
code and its real output, and refuses to publish a site with a failing one."""

from __future__ import annotations

from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger

from . import assets, notebook, render
from .engine import Engine
from .parse import SnippetError, find_directives

log = get_plugin_logger(__name__)


class SnippetConfig(base.Config):
    enabled = c.Type(bool, default=True)
    """Turn execution off entirely (directives are then left as they are)."""
    snippets_dir = c.Type(str, default="snippets")
    """Folder of the snippet files, relative to mkdocs.yml; pages name snippets relative to it."""
    cache_dir = c.Type(str, default=".cache/snipdoc")
    """Where runs are cached by content, relative to mkdocs.yml."""
    timeout = c.Type((int, float), default=60)
    """Seconds one snippet may run before it is stopped."""
    output_limit = c.Type(int, default=100_000)
    """Characters one example may print; more is an error, and the page shows a truncated copy."""
    notebooks = c.ListOfItems(c.Type(str), default=[])
    """Pages (paths in docs_dir, e.g. ch12.md) also published as a Jupyter notebook at
    notebooks/<page>.ipynb, built from the page and its snippets' real outputs. List
    mkdocs-jupyter after snipdoc under plugins: it renders the notebooks as pages."""


class SnippetPlugin(BasePlugin[SnippetConfig]):
    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.command = "build"

    # Defining on_startup keeps this instance, and its warm worker, across
    # the rebuilds of `mkdocs serve`.
    def on_startup(self, *, command, dirty):
        self.command = command

    def on_shutdown(self):
        if self.engine is not None:
            self.engine.close()

    def on_config(self, config):
        if not self.config.enabled:
            return
        root = Path(config.config_file_path).resolve().parent
        self.root = root
        self.docs_prefix = _relative(Path(config.docs_dir), root)
        snippets = root / self.config.snippets_dir
        settings = (snippets, root / self.config.cache_dir, self.config.timeout, self.config.output_limit)
        if self.engine is None or self._settings != settings:
            if self.engine is not None:
                self.engine.close()
            self.engine = Engine(*settings)
            self._settings = settings
        self.engine.new_build()
        self.errors: list[str] = []
        self.runs_before = self.engine.runs
        self.embedded: set[str] = set()
        self.blocks: dict[str, list[str]] = {}

    def on_files(self, files, *, config):
        files = assets.add_mathjax(files, config)
        if not self.config.enabled:
            return files
        if misses := self._cache_misses(files):
            self.engine.in_background(misses)
        self.notebooks = notebook.add_to_files(self.config.notebooks, files, config, self.engine,
                                               self.root / self.config.cache_dir / "generated", self.docs_prefix)
        return files

    def _cache_misses(self, files) -> list:
        """Snippets the pages embed that are not in the cache (errors are reported later)."""
        misses = {}
        for file in files.documentation_pages():
            if not file.src_uri.endswith(".md") or not file.abs_src_path:
                continue
            try:
                for d in find_directives(Path(file.abs_src_path).read_text(encoding="utf-8"), file.src_uri):
                    snippet = self.engine.load(d.snippet)
                    if not self.engine.cache.has(self.engine.key(snippet)):
                        misses.setdefault(snippet.path, snippet)
            except (OSError, UnicodeDecodeError, SnippetError):
                continue
        return list(misses.values())

    def on_post_build(self, *, config):
        # Under serve, have torch imported before the author's first edit, not after it.
        if self.config.enabled and self.command == "serve":
            self.engine.in_background(None)

    def on_serve(self, server, *, config, builder):
        if self.config.enabled:
            server.watch(str(self.engine.snippets_dir))
        return server

    def on_page_markdown(self, markdown, *, page, config, files):
        if not self.config.enabled:
            return markdown
        where = f"{self.docs_prefix}/{page.file.src_uri}"
        lines = markdown.split("\n")
        blocks: list[str] = []
        try:
            directives = find_directives(markdown, where)
        except SnippetError as exc:
            self._report([str(exc)])
            return markdown
        for d in directives:  # one line becomes one string: line numbers stay valid
            lines[d.lineno - 1] = self._embed(d, f"{where}:{d.lineno}", blocks)
        self.blocks[page.file.src_uri] = blocks
        return notebook.with_page_links("\n".join(lines), page, self.notebooks, config)

    def _embed(self, d, where: str, blocks: list[str]) -> str:
        try:
            snippet = self.engine.load(d.snippet, f"{where}: ")
            self.embedded.add(str(snippet.path))
            examples = snippet.part(d.part)
            if not examples:
                raise SnippetError(f"{where}: snippet '{d.snippet}' has no part '{d.part}' (parts: {', '.join(snippet.parts) or 'none'})")
            result = self.engine.result(snippet)
            problems = self.engine.problems(snippet, result)
        except SnippetError as exc:
            return self._error([str(exc)], blocks)
        if problems:
            return self._error([f"{p}\n  (embedded at {where})" for p in problems], blocks)
        chosen = {id(e) for e in examples}
        runs = [run for e, run in zip(snippet.examples, result["examples"]) if id(e) in chosen]
        # Figures exist once the whole snippet ran: show them after its last part.
        figures = result["figures"] if id(snippet.examples[-1]) in chosen else []
        return render.markdown(examples, runs, figures, d.snippet, blocks)

    def _error(self, messages: list[str], blocks: list[str]) -> str:
        """Report the errors, and show them on the page where the output would be."""
        self._report(messages)
        blocks.append(render.error_html(messages))
        return render.PLACEHOLDER.format(len(blocks) - 1)

    def _report(self, messages: list[str]) -> None:
        for message in messages:
            log.error(message)
        self.errors.extend(messages)

    def on_page_content(self, html, *, page, config, files):
        for i, block in enumerate(self.blocks.get(page.file.src_uri, ())):
            html = html.replace(f"<p>{render.PLACEHOLDER.format(i)}</p>", block)
        if self.config.enabled:
            html = notebook.finish_page(html, page, self.notebooks, config)
        return html

    def on_env(self, env, *, config, files):
        if not self.config.enabled:
            return env
        for path in sorted(self.engine.snippets_dir.rglob("*.txt")):
            if str(path) not in self.embedded:
                log.warning(f"{self.engine.display(path)}: no page embeds this snippet")
        ran = self.engine.runs - self.runs_before
        log.info(f"snippets: {ran} executed, {max(len(self.embedded) - ran, 0)} from the cache")
        if self.errors and self.command != "serve":
            # Raised before any page is written: a failing snippet never publishes a page.
            raise PluginError(f"{len(self.errors)} snippet error(s); the site was not written")
        return env


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
