"""What makes a rebuild under `mkdocs serve` quick after an edit.

An author saves a file and waits for the browser. MkDocs notices the save by polling
every half second, then rebuilds every page. On a chapter with two hundred code blocks,
Pygments highlighting them all again is a quarter of the rebuild, though the edit
changed one block or none. So under serve only:

- the watched folders are polled every tenth of a second;
- a code block highlighted before, with the same source and options, is not
  highlighted again (its HTML is kept for the life of the server).

Both reach into the libraries' internals (watchdog's observer, pymdownx's Highlight).
Where those are not as expected nothing is changed: the rebuild is then only slower.
"""

from __future__ import annotations

import functools
import inspect
from collections import OrderedDict

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


def keep_highlighted_blocks() -> bool:
    """Wrap pymdownx's Highlight.highlight so that a block it highlighted before, with the
    same source, arguments and settings, returns the same HTML without Pygments. Inline
    code (an element, not text) and titles (HTML titles are stashed in the page being
    rendered) are always highlighted anew."""
    try:
        from pymdownx.highlight import Highlight
    except ImportError:
        return False
    original = Highlight.highlight
    if getattr(original, "keeps_blocks", False):
        return True
    signature = inspect.signature(original)
    kept: OrderedDict[str, str] = OrderedDict()

    @functools.wraps(original)
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

    highlight.keeps_blocks = True
    Highlight.highlight = highlight
    return True
