"""What makes a rebuild under `mkdocs serve` quick after an edit.

An author saves a file and waits for the browser. MkDocs notices the save by polling
every half second, then rebuilds every page. On a chapter with two hundred code blocks,
Pygments highlighting them all again is a quarter of the rebuild, though the edit
changed one block or none. So under serve only:

- the watched folders are polled every tenth of a second;
- a code block highlighted before, with the same source and options, is not
  highlighted again (its HTML is kept for the life of the server);
- Material's search index (reading every page's HTML again: two fifths of a rebuild)
  is computed a second after the reload signal, once the browsers have repainted, and
  a request for it waits for it;
- the files of an installed theme (Material's: thousands, with its icons) are listed
  once, not walked again on every rebuild (a sixth of a prose edit's rebuild); a theme
  folder of the project (``custom_dir``) is listed anew each time.

All four reach into the libraries' internals (watchdog's observer, pymdownx's
Highlight, Material's SearchIndex, Jinja's FileSystemLoader).
Where those are not as expected nothing is changed: the rebuild is then only slower.
"""

from __future__ import annotations

import copy
import functools
import inspect
import os
import sysconfig
import threading
from collections import OrderedDict
from collections.abc import Callable

POLL_SECONDS = 0.1
KEPT_BLOCKS = 4096  # highlighted blocks kept: a large course, and a bounded memory


def poll_faster(server, seconds: float = POLL_SECONDS) -> bool:
    """Shorten the polling interval of a LiveReloadServer's observer and of the folders it
    already watches (MkDocs schedules docs_dir and mkdocs.yml before on_serve)."""
    observer = getattr(server, "observer", None)
    if observer is None or not hasattr(observer, "_timeout"):
        return False
    observer._timeout = seconds
    for emitter in getattr(observer, "emitters", ()):
        if hasattr(emitter, "_timeout"):
            emitter._timeout = seconds
    return True


def _wrap_once(owner, name: str, wrap) -> bool:
    """Replace owner.name by wrap(original), unless an earlier call (a rebuild, or another
    instance of the plugin) already did."""
    original = getattr(owner, name)
    if getattr(original, "wrapped_by_quick_rebuild", False):
        return True
    wrapped = functools.wraps(original)(wrap(original))
    wrapped.wrapped_by_quick_rebuild = True
    setattr(owner, name, wrapped)
    return True


def keep_highlighted_blocks() -> bool:
    """Wrap pymdownx's Highlight.highlight so that a block it highlighted before, with the
    same source, arguments and settings, returns the same HTML without Pygments. Inline
    code (an element, not text) and titles (HTML titles are stashed in the page being
    rendered) are always highlighted anew."""
    try:
        from pymdownx.highlight import Highlight
    except ImportError:
        return False
    return _wrap_once(Highlight, "highlight", _keeping_blocks)


def _keeping_blocks(original):
    signature = inspect.signature(original)
    kept: OrderedDict[str, str] = OrderedDict()

    def highlight(self, *args, **kwargs):
        call = signature.bind(self, *args, **kwargs)
        call.apply_defaults()
        options = dict(call.arguments)
        del options["self"]
        if options.get("inline") or options.get("title"):
            return original(self, *args, **kwargs)
        settings = {k: v for k, v in vars(self).items() if k != "md"}
        key = repr((sorted(settings.items()), sorted(options.items())))
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
        html = original(self, *args, **kwargs)
        if isinstance(html, str):
            kept[key] = html
            if len(kept) > KEPT_BLOCKS:
                kept.popitem(last=False)
        return html

    return highlight


def _installed(folder: str) -> bool:
    """Whether folder is inside an installed package (which does not change under serve)."""
    folder = os.path.realpath(folder)
    roots = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}
    return any(os.path.commonpath([folder, root]) == root for root in roots)


def keep_theme_listing() -> bool:
    """Wrap Jinja's FileSystemLoader.list_templates, which MkDocs calls on every build to
    find the theme's static files, so that each installed folder is walked only once."""
    try:
        from jinja2 import FileSystemLoader
    except ImportError:
        return False
    listed: dict[tuple, list[str]] = {}

    def listing_once(original):
        def list_templates(self):
            if type(self) is not FileSystemLoader:  # a subclass may list differently
                return original(self)
            found: set[str] = set()
            for folder in self.searchpath:
                one = FileSystemLoader([folder], encoding=self.encoding, followlinks=self.followlinks)
                if not _installed(folder):
                    found.update(original(one))
                    continue
                key = (folder, self.followlinks)
                if key not in listed:
                    listed[key] = original(one)
                found.update(listed[key])
            return sorted(found)

        return list_templates

    return _wrap_once(FileSystemLoader, "list_templates", listing_once)


INDEX_PATH = "search/search_index.json"
# Steps that rewrite the search index after Material wrote it (the notes' glossary), by
# name: run again on the index written after the reload.
after_search_index: dict[str, Callable[[object], None]] = {}


class LaterSearchIndex:
    """Under serve: Material's search plugin indexes each page as it is built and writes
    the index at the end of the build, which the browsers wait for. Here it only keeps
    the pages; the build writes the index of the build before, and the new one is
    computed in a thread once the build is over (start()). A request for the index during
    the build or before the new one is written waits for it (wait()); a failed build
    releases it (start() with nothing to do)."""

    def __init__(self, delay: float = 0.0) -> None:
        # Seconds between the reload signal and the work: the reloading browsers parse and
        # paint meanwhile, and the index's work would take a CPU from them.
        self.delay = delay
        self.data: str | None = None  # the last index computed, as Material writes it
        self.pending: tuple | None = None
        self.ready = threading.Event()
        self.ready.set()
        self.generation = 0

    def take_over(self, search_plugin, config) -> bool:
        index = getattr(search_plugin, "search_index", None)
        if index is None or not all(hasattr(index, n) for n in ("add_entry_from_context", "generate_search_index")):
            return False
        add, generate, pages = index.add_entry_from_context, index.generate_search_index, []

        def keep(page) -> None:
            pages.append(copy.copy(page))  # its content now, before Material's plugin rewrites it

        def last_or_now(prev) -> str:
            if self.data is None:  # the first build: no index to serve yet
                for page in pages:
                    add(page)
                self.data = generate(prev)
            else:
                self.pending = (pages, add, generate, prev, config)
            return self.data

        index.add_entry_from_context, index.generate_search_index = keep, last_or_now
        if self.data is not None:
            self.ready.clear()  # from now until the new index is written, a request for it waits
        return True

    def start(self) -> None:
        """After the build (and so after the reload signal): compute and write the index."""
        if self.pending is None:
            self.ready.set()
            return
        job, self.pending = self.pending, None
        self.generation += 1
        later = threading.Timer(self.delay, self._write, args=(self.generation, *job))
        later.daemon = True
        later.start()

    def _write(self, generation, pages, add, generate, prev, config) -> None:
        try:
            for page in pages:
                add(page)
            data = generate(prev)
            if generation != self.generation:  # a newer build took over
                return
            self.data = data
            path = os.path.join(config.site_dir, INDEX_PATH)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.write(data)
            os.replace(path + ".tmp", path)
            for step in after_search_index.values():
                step(config)
        finally:
            if generation == self.generation:
                self.ready.set()

    def wait(self, server, seconds: float = 10) -> None:
        """Until the index of the last build is written. A build under way is waited for
        first, as MkDocs waits for it before it serves any file (its LiveReloadServer's
        epochs), since the index is written after it."""
        epochs = getattr(server, "_epoch_cond", None)
        if epochs is not None and hasattr(server, "_visible_epoch") and hasattr(server, "_wanted_epoch"):
            with epochs:
                epochs.wait_for(lambda: server._visible_epoch == server._wanted_epoch, timeout=60)
        self.ready.wait(seconds)
