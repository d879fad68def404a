"""One stylesheet for every notebook page, instead of a copy inlined in each.

mkdocs-jupyter's template inlines JupyterLab's whole stylesheet (575 KB) and the
code colours into every notebook page, and has no option to link them instead
(``custom_css`` does not exist; its template includes them with
``resources.include_css``). Here the inlined ``<style>`` blocks are taken out of
each notebook page and served once, as a file the browser caches. Rules that match
nothing on any notebook page of the site are left out of it: JupyterLab's
stylesheet styles a whole application (menus, widgets, file browser), and a
notebook page uses about a thirtieth of its rules.
"""

from __future__ import annotations

import functools
import re

SITE_PATH = "assets/jupyter/notebook.css"

WRAPPER = '<div class="jupyter-wrapper">'
"""mkdocs-jupyter's notebook output begins with this."""

_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)

# Pseudo-classes and pseudo-elements (with a simple argument): a rule for "a:hover" or
# "p:not(.x)" may apply wherever "a" or "p" is.
_DYNAMIC = re.compile(r"::?[-\w]+(?:\([^()]*\))?")


def take_styles(html: str) -> tuple[str, list[str]]:
    """The page's HTML without its <style> blocks, and their CSS."""
    styles = [m.group(1).strip() for m in _STYLE.finditer(html)]
    return _STYLE.sub("", html), styles


def link(href: str) -> str:
    return f'<link rel="stylesheet" href="{href}">'


def stylesheet(styles: list[str], pages_html: list[str]) -> str:
    """The blocks (each once), keeping only rules that can match an element of some page."""
    return _stylesheet(tuple(dict.fromkeys(styles)), _Names(pages_html))


# Parsing JupyterLab's stylesheet takes seconds; under `mkdocs serve` every rebuild asks
# again, with the same styles and (unless a page gained a class or tag) the same names.
@functools.lru_cache(maxsize=4)
def _stylesheet(styles: tuple[str, ...], names: "_Names") -> str:
    import tinycss2

    def keep(rules) -> str:
        out = []
        for rule in rules:
            if rule.type == "qualified-rule":
                prelude = tinycss2.serialize(rule.prelude).strip()
                if any(names.may_match(s) for s in prelude.split(",")):
                    out.append(f"{prelude}{{{tinycss2.serialize(rule.content)}}}")
            elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports") and rule.content:
                inner = keep(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True))
                if inner:
                    out.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{inner}}}")
            elif rule.type == "at-rule" and rule.lower_at_keyword != "charset":
                out.append(tinycss2.serialize([rule]))  # @font-face, @keyframes: kept as they are
        return "\n".join(out)

    blocks = [keep(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)) for css in styles]
    return "\n".join(b for b in blocks if b) + "\n"


class _Names:
    """The element names, classes, ids and attributes used on the pages.

    A selector may match if every name it mentions is used somewhere on them. That
    keeps a few rules too many (it ignores how the names are combined) and never
    drops one that applies: a rule too many costs bytes, a rule too few a page."""

    def __init__(self, pages_html: list[str]) -> None:
        html = "\n".join(pages_html)
        self.tags = frozenset(t.lower() for t in re.findall(r"<([a-zA-Z][-\w]*)", html))
        self.classes = frozenset(c for value in re.findall(r'\sclass="([^"]*)"', html) for c in value.split())
        self.ids = frozenset(re.findall(r'\sid="([^"]*)"', html))
        self.attributes = frozenset(a.lower() for a in re.findall(r"\s([-\w:]+)=", html))

    def _key(self) -> tuple:
        return self.tags, self.classes, self.ids, self.attributes

    def __eq__(self, other) -> bool:
        return isinstance(other, _Names) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def may_match(self, selector: str) -> bool:
        if "mjx" in selector.lower():
            return True  # MathJax's elements are made in the browser
        s = re.sub(r"\"[^\"]*\"|'[^']*'", "", selector)
        if "\\" in s:
            return True  # escaped characters: not worth reading
        attributes = re.findall(r"\[\s*([-\w:]+)", s)
        s = re.sub(r"\[[^\]]*\]", " ", s)
        s = _DYNAMIC.sub(" ", s)  # hover, focus, ::before...: states and parts of an element
        for prefix, name in re.findall(r"([.#]?)(-?[_a-zA-Z][-\w]*)", s):
            known = {".": self.classes, "#": self.ids, "": self.tags}[prefix]
            if (name.lower() if not prefix else name) not in known:
                return False
        return all(a.lower() in self.attributes for a in attributes)
