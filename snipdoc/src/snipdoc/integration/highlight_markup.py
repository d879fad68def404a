"""Lighter highlighted code: the Pygments spans that change nothing on the page, removed.

Pygments wraps every token in a span. On the chapter, names (``<span class="n">``, 2,900
of them) and whitespace (``class="w"``) are 70 KiB of markup, a tenth of the page, and
Material draws both in the colour of plain code (``--md-code-hl-name-color`` is
``--md-code-fg-color``). So their text stays and the span goes; every other token keeps
its span. tests/test_browser.py checks that a name is still drawn in the colour it had,
in both schemes, so a theme that colours names differently fails that test instead of
losing its colours unseen.
"""

from __future__ import annotations

import re

_BLOCK = re.compile(r'(<div class="highlight"[^>]*>)(.*?)(</div>)', re.S)
_PLAIN = re.compile(r'<span class="(?:n|w)">([^<]*)</span>')


def slim(html: str) -> str:
    """html with the name and whitespace spans of its highlighted code blocks unwrapped."""
    return _BLOCK.sub(lambda m: m.group(1) + _PLAIN.sub(r"\1", m.group(2)) + m.group(3), html)
