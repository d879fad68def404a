"""The MkDocs plugin: what needs MkDocs' hooks. Embedding itself is the
Markdown extension's (extension.py), so other engines render snippets too.

The plugin gives the extension one engine that lives as long as `mkdocs
serve`, starts every cache miss in the background as soon as the files are
known, publishes notebooks (mkdocs-jupyter renders them), warns about
snippets no page embeds, watches the snippets folder under serve and reloads
pages whose snippets finished running, and fails the build, before any page
is written, when a snippet failed.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger

from ..engine.cache import write_atomic
from ..engine.core import Engine
from .extension import ALIASES, SnippetExtension
from ..engine.parse import SnippetError, find_directives
from . import assets, notebook

log = get_plugin_logger(__name__)


class SnippetConfig(base.Config):
    enabled = c.Type(bool, default=True)
    """Turn the plugin off (the extension still embeds snippets, if listed)."""
    notebooks = c.ListOfItems(c.Type(str), default=[])
    """Pages (paths in docs_dir, e.g. ch12.md) also published as a Jupyter notebook at
    notebooks/<page>.ipynb, built from the page and its snippets' real outputs. List
    mkdocs-jupyter after snipdoc under plugins: it renders the notebooks as pages."""


class SnippetPlugin(BasePlugin[SnippetConfig]):
    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.command = "build"
        self.server = None
        self.waiting: set[str] = set()
        self.lock = threading.Lock()

    # Defining on_startup keeps this instance, and its engine, across the rebuilds of `mkdocs serve`.
    def on_startup(self, *, command, dirty):
        self.command = command

    def on_shutdown(self):
        if self.engine is not None:
            self.engine.close()

    def on_config(self, config):
        if not self.config.enabled:
            return
        self.root = Path(config.config_file_path).resolve().parent
        self.docs_prefix = _relative(Path(config.docs_dir), self.root)
        self.ext = _take_extension(config)
        try:
            settings = self.ext.settings(self.root)
        except SnippetError as exc:
            raise PluginError(str(exc)) from None
        if self.engine is None or self._settings != settings:
            if self.engine is not None:
                self.engine.close()
            self.engine = Engine(**settings)
            self._settings = settings
            threading.Thread(target=self._name_slow_runs, args=(self.engine,), daemon=True).start()
        self.ext.engine, self.ext.host, self.ext.serving = self.engine, self, self.command == "serve"
        self.errors: list[str] = []
        self.engine.differences.clear()
        self.runs_before = self.engine.runs
        self.embedded: set[str] = set()
        self.notebooks = {}

    def on_files(self, files, *, config):
        files = assets.add_mathjax(files, config)
        if not self.config.enabled:
            return files
        self.engine.prefetch(self._embedded_snippets(files))
        self.notebooks = notebook.add_to_files(self.config.notebooks, files, config, self.engine,
                                               self._settings["cache_dir"] / "generated", self.docs_prefix)
        return files

    def _embedded_snippets(self, files) -> list:
        """Snippets the pages embed, in page order (errors are reported when the page renders)."""
        found = {}
        for file in files.documentation_pages():
            if not file.src_uri.endswith(".md") or not file.abs_src_path:
                continue
            try:
                lines = Path(file.abs_src_path).read_text(encoding="utf-8-sig").split("\n")
                for d in find_directives(lines, file.src_uri)[0]:
                    snippet = self.engine.load(d.snippet)
                    found.setdefault(snippet.path, snippet)
            except (OSError, UnicodeDecodeError, SnippetError):
                continue
        return list(found.values())

    def on_post_build(self, *, config):
        # Under serve, have the preloaded libraries imported before the author's first edit, not after it.
        if self.config.enabled and self.command == "serve":
            self.engine.pool.warm()

    def on_serve(self, server, *, config, builder):
        if self.config.enabled:
            server.watch(str(self.engine.snippets_dir))
            self.signal = self.engine.cache.folder.parent / "serve-reload"
            self.signal.mkdir(parents=True, exist_ok=True)
            server.watch(str(self.signal))
        return server

    def running(self, snippet) -> None:
        """A page showed 'running': rebuild (and so reload the page) when the runs are done."""
        with self.lock:
            first = not self.waiting
            self.waiting.add(snippet.name)
        if first:
            threading.Thread(target=self._reload_when_done, daemon=True).start()

    def _reload_when_done(self) -> None:
        while not self.engine.idle():
            time.sleep(0.2)
        with self.lock:
            names, self.waiting = sorted(self.waiting), set()
        log.info(f"finished running {', '.join(names)}; reloading")
        if getattr(self, "signal", None) is not None:
            write_atomic(self.signal / "ready", str(time.time()).encode(), durable=False)

    def _name_slow_runs(self, engine: Engine) -> None:
        named: set[str] = set()
        while self.engine is engine:
            for name, seconds in engine.pool.slow():
                if name not in named:
                    named.add(name)
                    log.info(f"{name} is still running ({seconds:.0f} s so far; timeout {engine.timeout:g} s)")
            time.sleep(1)

    def on_page_markdown(self, markdown, *, page, config, files):
        if not self.config.enabled:
            return markdown
        self.ext.page = f"{self.docs_prefix}/{page.file.src_uri}"
        return notebook.with_page_links(markdown, page, self.notebooks, config)

    def report(self, messages: list[str]) -> None:
        for message in messages:
            log.error(message)
        self.errors.extend(messages)

    def on_page_content(self, html, *, page, config, files):
        if self.config.enabled:
            html = notebook.finish_page(html, page, self.notebooks, config)
        return html

    def on_env(self, env, *, config, files):
        if not self.config.enabled:
            return env
        for path in sorted(self.engine.snippets_dir.rglob("*.txt")):
            if str(path) not in self.embedded:
                log.warning(f"{self.engine.display(path)}: no page embeds this snippet")
        if self.engine.differences:
            here = self.engine.platform_here()
            log.info(f"{len(self.engine.differences)} example(s) print differently here ({here}) than on the "
                     f"reference platform ({self.engine.declared}): " + ", ".join(sorted(self.engine.differences)))
        ran = self.engine.runs - self.runs_before
        log.info(f"snippets: {ran} executed, {max(len(self.embedded) - ran, 0)} from the cache")
        if self.errors and self.command != "serve":
            # Raised before any page is written: a failing snippet never publishes a page.
            raise PluginError(f"{len(self.errors)} snippet error(s); the site was not written")
        return env


def _take_extension(config) -> SnippetExtension:
    """The extension as configured under markdown_extensions (added with its defaults if
    absent), as one instance this plugin drives: listing both never runs anything twice."""
    exts = config.markdown_extensions
    options = {}
    for name in ALIASES:
        options = config.mdx_configs.pop(name, None) or options
    for i, item in enumerate(exts):
        if isinstance(item, SnippetExtension):
            return item
        if item in ALIASES:
            exts[i] = SnippetExtension(**options)
            return exts[i]
    ext = SnippetExtension(**options)
    exts.append(ext)
    return ext


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
