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

import shutil
import threading
import time
import types
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url

from ..engine import values
from ..engine.cache import write_atomic
from ..engine.core import Engine
from .extension import ALIASES, SnippetExtension
from ..engine.parse import SnippetError, find_directives
from . import crossref, formulas, notebook, quick_rebuild
from .figure_files import FigureFiles

log = get_plugin_logger(__name__)

# Seconds a rebuild under serve waits, all pages together, for the runs it started.
SERVE_WAIT = 1.0


class SnippetConfig(base.Config):
    enabled = c.Type(bool, default=True)
    """Turn the plugin off (the extension still embeds snippets, if listed)."""
    notebooks = c.ListOfItems(c.Type(str), default=[])
    """Pages (paths in docs_dir, e.g. ch12.md) also published as a Jupyter notebook at
    notebooks/<page>.ipynb, built from the page and its snippets' real outputs. List
    mkdocs-jupyter after snipdoc under plugins: it renders the notebooks as pages."""
    notebooks_section = c.Type(str, default="Notebooks")
    """The nav section the notebook pages are listed in, after the nav of mkdocs.yml."""
    notebook_title = c.Type(str, default="{title} (notebook)")
    """A notebook page's title; {title} is its chapter's title in the nav."""


class SnippetPlugin(BasePlugin[SnippetConfig]):
    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.command = "build"
        self.server = None
        self.waiting: set[str] = set()
        self.lock = threading.Lock()
        self.signal: Path | None = None  # under serve: a watched folder; a file written there rebuilds
        self.serving = False
        self.wanted: set[str] = set()  # notebook pages a browser asked for while out of date
        self.brought_up: set[str] = set()  # those of them this build writes and converts
        self.stale_urls: dict[str, str] = {}  # their addresses -> their files, as the last build left them
        # Under serve: written a second after the reload (on the real chapter the browser had
        # painted the edit 0.13-0.2 s sooner for it: bench.browser_serve, before and after).
        self.search_index = quick_rebuild.LaterSearchIndex(delay=1.0)
        self.typesetter: formulas.Typesetter | None = None  # kept across rebuilds, with the formulas it typeset

    # Defining on_startup keeps this instance, and its engine, across the rebuilds of `mkdocs serve`.
    def on_startup(self, *, command, dirty):
        self.command = command
        self.dirty = dirty

    def on_shutdown(self):
        self._publish_site()
        if self.typesetter is not None:
            self.typesetter.close()
        if self.engine is not None:
            self.engine.close()

    def on_config(self, config):
        if not self.config.enabled:
            return
        self._stage_site(config)
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
        if self.typesetter is None or self.typesetter.project != self.root:
            self.typesetter = formulas.Typesetter(self.root, settings["cache_dir"] / "formulas.json")
        if self.command == "serve" and self.signal is None:
            # Known before the first build ends, so that a run which finishes during it
            # still reloads the page (on_serve, which watches the folder, comes after it).
            self.signal = self.engine.cache.folder.parent / "serve-reload"
            self.signal.mkdir(parents=True, exist_ok=True)
        self.serving = self.command == "serve"
        if self.serving:
            quick_rebuild.keep_highlighted_blocks()
            quick_rebuild.keep_theme_listing()
        self.stale_urls = {}
        self.brought_up = set(self.wanted)
        self.errors: list[str] = []
        self.engine.differences.clear()
        self.runs_before = self.engine.runs
        self.embedded: set[str] = set()
        self.notebooks = {}
        self.figures = FigureFiles()

    def on_files(self, files, *, config):
        if not self.config.enabled:
            return files
        search = config.plugins.get("material/search") or config.plugins.get("search")
        if self.serving and search is not None:
            self.search_index.take_over(search, config)
        self.engine.prefetch(self._embedded_snippets(files))
        self.ext.wait_until = time.monotonic() + SERVE_WAIT
        self.notebooks = notebook.add_to_files(self.config.notebooks, files, config, self.engine,
                                               self._settings["cache_dir"] / "generated", self.docs_prefix,
                                               defer=self._defer_notebook if self.serving else None)
        return files

    def on_nav(self, nav, *, config, files):
        if self.config.enabled:
            notebook.add_to_nav(nav, self.notebooks, files, self.config.notebooks_section, self.config.notebook_title)
        return nav

    def _embedded_snippets(self, files) -> list:
        """Snippets the pages embed, in page order (errors are reported when the page renders)."""
        found = {}
        for file in files.documentation_pages():
            if not file.src_uri.endswith(".md") or not file.abs_src_path:
                continue
            try:
                lines = Path(file.abs_src_path).read_text(encoding="utf-8-sig").split("\n")
                for name in [d.snippet for d in find_directives(lines, file.src_uri)[0]] + \
                        [ref.snippet for ref in values.find(lines)]:
                    snippet = self.engine.load(name)
                    found.setdefault(snippet.path, snippet)
            except (OSError, UnicodeDecodeError, SnippetError):
                continue
        return list(found.values())

    def on_serve(self, server, *, config, builder):
        if self.config.enabled:
            server.watch(str(self.engine.snippets_dir))
            server.watch(str(self.signal))
            server.set_app(self._asking_for_notebooks(server.get_app(), server))
            quick_rebuild.poll_faster(server)
        return server

    def reload(self) -> None:
        """Under serve: rebuild, and so reload the browsers."""
        if self.signal is not None:
            write_atomic(self.signal / "ready", str(time.time()).encode(), durable=False)

    # --- notebooks under serve: only when someone opens one ------------------------
    # Writing a chapter's notebook and converting it to HTML (mkdocs-jupyter, nbconvert)
    # take seconds, and every rebuild reloads every open page. So under serve an
    # out-of-date notebook page says it is out of date, and is brought up to date only
    # when a browser asks for it: that request starts a rebuild which writes and converts
    # it. An edit to a chapter rebuilds once and reloads its page at once.

    def _asking_for_notebooks(self, app, server):
        def wsgi(environ, start_response):
            if environ.get("PATH_INFO", "").endswith("/" + quick_rebuild.INDEX_PATH):
                self.search_index.wait(server)
            uri = self.stale_urls.get(environ.get("PATH_INFO", ""))
            if uri is not None and uri not in self.wanted:
                self.wanted.add(uri)
                log.info(f"{uri} was opened: bringing it up to date")
                self.reload()
            return app(environ, start_response)

        return wsgi

    def _defer_notebook(self, page: str) -> bool:
        return notebook.notebook_uri(page) not in self.brought_up

    # After mkdocs-jupyter's on_pre_page, which gives the notebook page its render().
    @event_priority(-50)
    def on_pre_page(self, page, *, config, files):
        uri = page.file.src_uri
        if not (self.config.enabled and self.serving) or uri not in self._notebook_uris():
            return page
        written = next(w for p, w in self.notebooks.items() if notebook.notebook_uri(p) == uri)
        if uri in self.brought_up or (not written.pending and _converted(page, config)):
            return page
        mount = urlsplit(config.site_url or "/").path.rstrip("/")
        for url in (f"{mount}/{page.url}", f"{mount}/{page.url}index.html"):
            self.stale_urls[url] = uri

        def render(self, config, files):
            self.content, self.toc = notebook.UPDATING_HTML, get_toc([])

        page.render = types.MethodType(render, page)
        return page

    # --- `mkdocs build`: a failed build keeps the last good site -------------------
    # MkDocs empties site_dir before it builds, so a snippet error used to leave no site
    # at all. The build goes to a folder beside it, which replaces it only when the
    # build succeeded (strict mode's warnings included: MkDocs raises for those after
    # on_post_build, and calls on_build_error).

    staging: tuple[Path, Path] | None = None
    built = False

    def _stage_site(self, config) -> None:
        if self.command != "build" or getattr(self, "dirty", False) or self.staging is not None:
            return
        site = Path(config.site_dir).resolve()
        staging = site.with_name(f".{site.name}.building")
        shutil.rmtree(staging, ignore_errors=True)
        self.staging = (site, staging)
        config.site_dir = str(staging)

    # After every other plugin: the search index keeps the formulas' TeX, which is what a
    # reader types and what search results show.
    @event_priority(-100)
    def on_post_page(self, output, *, page, config):
        if not self.config.enabled:
            return output
        try:
            return formulas.typeset_page(output, self.typesetter, get_relative_url(formulas.STYLESHEET, page.url))
        except formulas.MathError as exc:
            raise PluginError(f"{page.file.src_uri}: {exc}") from None

    # Last, after every step that rewrites the search index (the notes' glossary hook).
    @event_priority(-200)
    def on_post_build(self, *, config):
        if self.config.enabled:
            self.figures.write(config.site_dir)
            self.search_index.start()
        self.built = True
        if self.config.enabled:
            self.typesetter.write(Path(config.site_dir))
            if self.typesetter.sent:
                log.info(f"formulas: {self.typesetter.sent} typeset by MathJax in {self.typesetter.seconds:.1f} s")
                self.typesetter.save()
                self.typesetter.sent, self.typesetter.seconds = 0, 0.0
        self.wanted -= self.brought_up  # now up to date; a request during the build waits for the next
        # Under serve, have the preloaded libraries imported before the author's first edit, not after it.
        if self.config.enabled and self.command == "serve":
            self.engine.pool.warm()

    def on_build_error(self, *, error):
        self.built = False
        self.search_index.start()

    def _publish_site(self) -> None:
        if self.staging is None:
            return
        (site, staging), self.staging = self.staging, None
        if not self.built:
            shutil.rmtree(staging, ignore_errors=True)
            return
        old = site.with_name(f".{site.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if site.exists():
            site.rename(old)
        staging.rename(site)
        shutil.rmtree(old, ignore_errors=True)

    def _notebook_uris(self) -> set[str]:
        return {notebook.notebook_uri(p) for p in self.notebooks}

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
        self.reload()

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
        return markdown

    def report(self, messages: list[str]) -> None:
        for message in messages:
            log.error(message)
        self.errors.extend(messages)

    def on_page_content(self, html, *, page, config, files):
        if self.config.enabled:
            html = notebook.with_page_links(html, page, self.notebooks, config)
            html = notebook.finish_page(html, page, self.notebooks, config)
            html = self.figures.take(html, page.url)
            html = crossref.link_numbered(html)
        return html

    def on_env(self, env, *, config, files):
        if not self.config.enabled:
            return env
        if self.command == "serve":
            # MkDocs makes a new template environment for every rebuild, which compiles the
            # theme's templates again (about a third of a second for Material). Compiled
            # code is kept by the templates' checksums, so an edited template compiles anew.
            self.templates = getattr(self, "templates", None) or _CompiledTemplates()
            env.bytecode_cache = self.templates
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


class _CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled templates, in memory, for the life of `mkdocs serve`."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


def _converted(page, config) -> bool:
    """Whether mkdocs-jupyter has this notebook page's HTML in its cache (its own cache
    key, read through its module's functions; where those are missing, False: the
    page then converts when it is asked for)."""
    jupyter = config.plugins.get("mkdocs-jupyter")
    try:
        from mkdocs_jupyter.plugin import _compute_cache_key, _get_cache_path
    except ImportError:
        return False
    if jupyter is None or not jupyter.config.get("cache"):
        return False
    key = _compute_cache_key(page.file.abs_src_path, jupyter.config, jupyter.config["execute"])
    return _get_cache_path(jupyter.config["cache_dir"], key).exists()


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
