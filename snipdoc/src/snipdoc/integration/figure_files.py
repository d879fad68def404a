"""A snippet's figures as files of the site, so a reader downloads only what is shown.

The extension puts each figure in the page as data, once per colour scheme (it has no
site to write files into: Zensical runs it too). Under MkDocs the plugin moves them into
files named by their content, loaded lazily: the variant the scheme hides is never
fetched, a figure below the fold is fetched when it is scrolled to, and a page of five
figures (the notes' chapter) went from 835 KiB to 356 KiB, which also makes every later
step of the build that reads the page (search indexing) quicker.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from mkdocs.utils import get_relative_url

FOLDER = "assets/figures"
# What render.figure_html writes, one image per scheme.
_IMG = re.compile(r'<img class="snippet-(?:light|dark)" src="(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+))(#only-\w+")')
_SIZE = re.compile(rb'<svg\b[^>]*?\bwidth="([\d.]+)pt"[^>]*?\bheight="([\d.]+)pt"')


class FigureFiles:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}  # this build's figures, by file name

    def take(self, html: str, page_url: str) -> str:
        """The page with its figures' data replaced by links to files, kept for write()."""

        def swap(m: re.Match) -> str:
            svg = base64.b64decode(m[2])
            name = hashlib.sha256(svg).hexdigest()[:20] + ".svg"
            self.files[name] = svg
            url = get_relative_url(f"{FOLDER}/{name}", page_url)
            return m[0].replace(m[1], url, 1).replace(m[3], m[3] + ' loading="lazy"' + _size(svg), 1)

        return _IMG.sub(swap, html)

    def write(self, site_dir: str) -> None:
        folder = Path(site_dir, FOLDER)
        folder.mkdir(parents=True, exist_ok=True)
        for name, svg in self.files.items():
            path = folder / name
            if not path.exists():
                path.write_bytes(svg)


def _size(svg: bytes) -> str:
    """width and height in CSS pixels (matplotlib draws in points), so the page keeps the
    figure's place before the file arrives instead of moving the text below it."""
    m = _SIZE.search(svg[:2000])
    if not m:
        return ""
    return f' width="{round(float(m[1]) * 4 / 3)}" height="{round(float(m[2]) * 4 / 3)}"'
