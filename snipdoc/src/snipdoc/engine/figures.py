"""matplotlib figures a snippet leaves open, drawn as SVG in a light and a dark variant.

Drawing a figure can change what later code sees (tick labels exist only after
a draw, for one), so a capture in the middle of a snippet happens in a forked
copy of the process, which draws and exits; the snippet's own process is left
as a fresh doctest run would have it. The dark variant is the same figure
recoloured in place, which is why it is drawn last, in a process that ends.
"""

from __future__ import annotations

import io
import json
import os
import sys

# A fixed salt and no date keep a figure's SVG identical from run to run; text
# drawn as paths needs no font on the reader's side (mathtext glyphs included).
# The notebooks draw with the same settings, so both show the same figure.
FIGURE_RC = {"svg.hashsalt": "snipdoc", "svg.fonttype": "path"}
FIGURE_SAVE = {"metadata": {"Date": None}, "bbox_inches": "tight"}

# Material's slate scheme: text and lines in its foreground colour on a transparent ground.
DARK_INK = "#e2e4e9"
DARK_PANEL = "#2e303e"


class CaptureError(Exception):
    """A figure could not be drawn (a bad mathtext label, say)."""


def capture(forked: bool) -> list[dict]:
    """[{num, light, dark}] for every open figure, in figure-number order."""
    if "matplotlib.pyplot" not in sys.modules or not sys.modules["matplotlib.pyplot"].get_fignums():
        return []
    if not forked:
        return _draw_all()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (runs in the forked copy)
        os.close(read)
        try:
            reply = {"figures": _draw_all()}
        except CaptureError as exc:
            reply = {"error": str(exc)}
        data = json.dumps(reply).encode()
        while data:
            data = data[os.write(write, data):]
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        raise CaptureError(f"the process drawing the figures ended: status {status}")
    reply = json.loads(data)
    if "error" in reply:
        raise CaptureError(reply["error"])
    return reply["figures"]


def _draw_all() -> list[dict]:
    import matplotlib
    import matplotlib.pyplot as plt

    out = []
    with matplotlib.rc_context(FIGURE_RC):
        for num in plt.get_fignums():
            fig = plt.figure(num)
            light = _svg(fig)
            _darken(fig)
            out.append({"num": num, "light": light, "dark": _svg(fig)})
    return out


def _svg(fig) -> str:
    buf = io.StringIO()
    try:
        fig.savefig(buf, format="svg", **FIGURE_SAVE)
    except Exception as exc:  # noqa: BLE001  (any drawing error is the snippet's, reported as such)
        last = str(exc).strip().split("\n")[-1]
        raise CaptureError(f"figure {fig.number} could not be drawn: {type(exc).__name__}: {last}") from None
    return buf.getvalue()


def _is_dark(color) -> bool:
    from matplotlib.colors import to_rgba

    r, g, b, a = to_rgba(color)
    return a > 0 and 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.35


def _darken(fig) -> None:
    """Recolour what is drawn in black or grey ink for a dark page; data colours stay."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    fig.patch.set_facecolor("none")
    for ax in fig.axes:
        ax.set_facecolor("none")
        for spine in ax.spines.values():
            spine.set_edgecolor(DARK_INK)
        ax.tick_params(which="both", colors=DARK_INK)
        legend = ax.get_legend()
        if legend is not None:
            legend.get_frame().set_facecolor(DARK_PANEL)
            legend.get_frame().set_edgecolor(DARK_INK)
    for artist in fig.findobj():
        if isinstance(artist, Text) and _is_dark(artist.get_color()):
            artist.set_color(DARK_INK)
        elif isinstance(artist, Line2D) and _is_dark(artist.get_color()):
            artist.set_color(DARK_INK)
        elif isinstance(artist, Patch) and artist is not fig.patch and _is_dark(artist.get_edgecolor()):
            artist.set_edgecolor(DARK_INK)
