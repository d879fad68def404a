"""A rendered notebook page drawn as its chapter draws the same things.

mkdocs-jupyter renders a figure output as one <img> with a placeholder alt text, and
knows nothing of the chapter's colour schemes, numbers and captions; the notebook
keeps them in the output's metadata (the light variant is the output itself, which is
what Jupyter and Colab show). An exercise's answer is a ``<details>`` in a Markdown
cell, and its code cells follow as cells of their own, hidden (JupyterLab's
``source_hidden``): on the page they are moved into it, so the answer, code and outputs included, stays closed until opened.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..engine import render

# What mkdocs-jupyter writes for an image/svg+xml output, and for the start of a cell
# (a code cell is a cell in a cell; only the inner one has the id).
_SVG_OUTPUT = re.compile(r'(<div class="jp-RenderedSVG jp-OutputArea-output"[^>]*>\s*)<img [^>]*>')
_CELL = re.compile(r'<div class="jp-Cell [^"]*"')
_CELL_ID = re.compile(r'<div class="jp-Cell [^"]*" id="cell-id=([^"]+)"')
_DIV = re.compile(r"<div\b|</div>")


def finish(html: str, notebook: Path) -> str:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return answers(figures(html, nb), nb)


def figures(html: str, nb: dict) -> str:
    """Each figure output as the chapter's figure: both schemes, its number, caption and alt text."""
    shown = list(_figure_outputs(nb))
    found = list(_SVG_OUTPUT.finditer(html))
    if len(found) != len(shown):
        return html  # not the structure this was written for: leave it alone
    out, last = [], 0
    for m, (light, meta) in zip(found, shown):
        figure = render.figure_html({"light": light, "dark": meta["dark"]}, meta["number"],
                                    meta.get("caption"), meta["snippet"])
        out.append(html[last:m.start()] + m[1] + figure)
        last = m.end()
    return "".join(out) + html[last:]


def _figure_outputs(nb: dict):
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            if "image/svg+xml" in output.get("data", {}):
                meta = output.get("metadata", {}).get("snipdoc")
                if meta is None:
                    return  # an older notebook: the counts differ, the page is left as it is
                svg = output["data"]["image/svg+xml"]
                yield ("".join(svg) if isinstance(svg, list) else svg), meta


def answers(html: str, nb: dict) -> str:
    """Each run of hidden cells (an answer's) moved into the <details> that ends the Markdown cell before it."""
    hidden = {c.get("id") for c in nb["cells"] if c.get("metadata", {}).get("jupyter", {}).get("source_hidden")}
    cells = [(start, end, cell_id in hidden) for start, end, cell_id in _cells(html)]
    out, last = [], 0
    i = 0
    while i < len(cells):
        if not cells[i][2] or i == 0:
            i += 1
            continue
        run_end = i
        while run_end < len(cells) and cells[run_end][2]:
            run_end += 1
        host_start, host_end, _ = cells[i - 1]
        close = html.rfind("</details>", host_start, host_end)
        if close >= 0 and host_start >= last:
            moved = "".join(html[s:e] for s, e, _ in cells[i:run_end])
            out.append(html[last:close] + moved + html[close:host_end])
            last = cells[run_end - 1][1]
        i = run_end
    return "".join(out) + html[last:]


def _cells(html: str):
    """(start, end, id) of each cell, in order."""
    end = 0
    for m in _CELL.finditer(html):
        if m.start() < end:
            continue  # the inner part of a code cell
        depth = 0
        for d in _DIV.finditer(html, m.start()):
            depth += 1 if d[0] == "<div" else -1
            if depth == 0:
                end = d.end()
                break
        found = _CELL_ID.search(html, m.start(), end)
        yield m.start(), end, found and found[1]
