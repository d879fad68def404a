"""One builder for the small sites the tests write: an mkdocs.yml with the snipdoc
extension and plugin, pages under docs/ and snippets under snippets/.

Each test says only what its site does differently (extension options, other
extensions, plugins). The snippet server preloads what the notes' own mkdocs.yml
preloads, so a test site runs its snippets as the notes' build does; a site written
with snippets none of which mentions those packages preloads nothing. Preloading
changes what a snippet costs, never what it prints (tests/test_isolation.py holds the
engine to that), and torch imported for snippets that never use it was two thirds of
each small site's cold build."""

from __future__ import annotations

import json
import re
from pathlib import Path

from snipdoc.integration.extension import options_from

ROOT = Path(__file__).resolve().parent.parent
PRELOAD = options_from(ROOT / "mkdocs.yml")["preload"]

THEME = "theme:\n  name: material\n  language: zh\n  font: false\n"
EXTENSIONS = ["admonition", "pymdownx.superfences", "pymdownx.highlight"]
ARITHMATEX = "pymdownx.arithmatex:\n      generic: true"
PLUGINS = ["snipdoc"]


def _value(value) -> str:
    # A str is written as YAML as it stands (a tag, say); anything else as JSON, which YAML reads.
    return value if isinstance(value, str) else json.dumps(value)


def config(options: dict | None = None, extensions: list[str] = EXTENSIONS, plugins: list[str] = PLUGINS,
           extra: str = "") -> str:
    """mkdocs.yml: the snipdoc extension with these options (preload as the notes'
    unless given), then the other extensions and the plugins, each a YAML list item's text."""
    options = {"preload": PRELOAD, **(options or {})}
    lines = ["site_name: t", THEME.rstrip("\n"), "markdown_extensions:", "  - snipdoc:"]
    lines += [f"      {k}: {_value(v)}" for k, v in options.items()]
    lines += [f"  - {e}" for e in extensions]
    lines += ["plugins:"] + [f"  - {p}" for p in plugins]
    return "\n".join(lines) + "\n" + extra


# Any mention of a preloaded package's name: more sites preload than need to, none fewer.
PRELOADED = re.compile(r"\b(?:%s)\b" % "|".join(re.escape(name.split(".")[0]) for name in PRELOAD))


def imports_preloaded(snippets: dict[str, str]) -> bool:
    """Whether a snippet (or a module beside them) may import a package the notes preload."""
    return any(PRELOADED.search(text) for text in snippets.values())


def make_site(root: Path, pages: dict[str, str] | None = None, snippets: dict[str, str] | None = None,
              **kwargs) -> Path:
    """Write mkdocs.yml (config(**kwargs)), and the given files under docs/ and snippets/
    (a folder with no file given is not made)."""
    root.mkdir(parents=True, exist_ok=True)
    options = kwargs.pop("options", None) or {}
    # Snippets written later (a notebook imported into the site) may use them: preloaded then.
    if "preload" not in options and snippets is not None and not imports_preloaded(snippets):
        options = {**options, "preload": []}
    (root / "mkdocs.yml").write_text(config(options, **kwargs), encoding="utf-8")
    for folder, files in (("docs", pages or {}), ("snippets", snippets or {})):
        for name, text in files.items():
            (root / folder / name).parent.mkdir(parents=True, exist_ok=True)
            (root / folder / name).write_text(text, encoding="utf-8")
    return root
