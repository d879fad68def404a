"""Numbered figures and equations, and links to them from the text.

The engine numbers a page's figures (图 12-1, 图 12-2, ...: engine/render.py) and an
author numbers a display equation with ``\\tag{12-1}``. Each gets an anchor
(#fig-12-1, #eq-12-1), and wherever the page's text says 图 12-1 or 式 (12-1), those
words become a link to it, so that the author writes references as plain text.
"""

from __future__ import annotations

import re

FIGURE = re.compile(r'<figure class="snippet-figure">(?=(?:(?!</figure>).)*?<figcaption>图 (\d+-\d+))', re.S)
EQUATION = re.compile(r'<div class="arithmatex">(?=(?:(?!</div>).)*?\\tag\{(\d+-\d+)\})', re.S)
MENTION = re.compile(r"图 (\d+-\d+)|式 ?[(（](\d+-\d+)[)）]")
TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*?(/?)>")
NBSP = "\u00a0"
# Text that is not running prose: a link already, code, a caption, a heading.
SKIP = {"a", "code", "pre", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "script", "style"}


def link_numbered(html: str) -> str:
    """html with anchors on its numbered figures and equations, and its mentions of them linked."""
    html = FIGURE.sub(lambda m: f'<figure class="snippet-figure" id="fig-{m[1]}">', html)
    html = EQUATION.sub(lambda m: f'<div class="arithmatex" id="eq-{m[1]}">', html)
    targets = set(re.findall(r' id="((?:fig|eq)-\d+-\d+)"', html))
    if not targets:
        return html

    def link(m: re.Match) -> str:
        target = f"fig-{m[1]}" if m[1] else f"eq-{m[2]}"
        # A no-break space: 图 and its number, 式 and its, stay on one line.
        return f'<a href="#{target}">{m[0].replace(" ", NBSP)}</a>' if target in targets else m[0]

    out, last, skipped = [], 0, []
    for m in TAG.finditer(html):
        text = html[last:m.start()]
        out.append(text if skipped else MENTION.sub(link, text))
        closing, name = m[1] == "/", m[2].lower()
        if name in SKIP and not m[3]:
            if closing and skipped and skipped[-1] == name:
                skipped.pop()
            elif not closing:
                skipped.append(name)
        out.append(m[0])
        last = m.end()
    out.append(html[last:])
    return "".join(out)
