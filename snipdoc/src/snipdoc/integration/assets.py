"""MathJax, served by the site itself.

Readers may be offline or behind a firewall that blocks CDNs, so the pages load
MathJax from the site. It is installed from npm at set-up (never committed) and
added to the site's files at build time, which works for `mkdocs build` and
`mkdocs serve` alike. Only the parts a page can ask for are copied: the whole
package is 24 MB, and every build would pay for copying it.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

SOURCE = "node_modules/mathjax/es5"
"""Where `npm ci` puts MathJax's browser build, relative to mkdocs.yml."""

SITE_FOLDER = "assets/mathjax"
"""Where the site serves it; MathJax finds its other files next to its own script."""

PARTS = (
    "tex-chtml.js",  # TeX in, HTML out, with the context menu: what every page loads
    "output/chtml/fonts/woff-v2",  # the fonts the formulas are drawn with
    "input/tex/extensions",  # TeX packages loaded on first use of their macros (\require, autoload)
    # The menu's accessibility options (explorer, speech), off until a reader turns them on.
    "a11y",
    "input/mml.js",
    "sre/mathmaps/base.json",
    "sre/mathmaps/en.json",  # the default speech locale; MathJax has no Chinese one
)


def add_mathjax(files: Files, config) -> Files:
    """Add MathJax's files to the site under SITE_FOLDER if a page script loads it from there.

    A site that does not load MathJax (such as a test's tiny site) needs no node_modules.
    """
    if not any(str(script).startswith(f"{SITE_FOLDER}/") for script in config.extra_javascript):
        return files
    source = Path(config.config_file_path).resolve().parent / SOURCE
    if not (source / PARTS[0]).is_file():
        raise PluginError(f"MathJax is missing: {source} does not exist or is incomplete. "
                          "Run `make serve` (or `npm ci`) to install it.")
    for part in PARTS:
        path = source / part
        for found in [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()):
            uri = f"{SITE_FOLDER}/{found.relative_to(source).as_posix()}"
            files.append(File.generated(config, uri, abs_src_path=str(found)))
    return files
