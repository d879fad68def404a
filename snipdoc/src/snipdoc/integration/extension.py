"""The Python-Markdown extension that embeds snippets: any engine that runs
Python-Markdown (MkDocs, ProperDocs, Zensical) renders them the same way.

Each ``::: snippet PATH`` line, at any indentation (admonitions, lists, content
tabs), becomes the snippet's code blocks, indented like the line, and its
outputs and figures, stashed as raw HTML so they survive any nesting. Mistakes
become a red box on the page and an error naming page:line. With the MkDocs
plugin present, the plugin collects the errors and fails the build at the end
(and under serve only shows them); without it (Zensical, plain
Python-Markdown) the page's conversion raises, which fails the build.

Configured once, under ``markdown_extensions``::

    - snipdoc:
        snippets_dir: snippets
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import time
from pathlib import Path

from markdown import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

from ..engine import fresh, render, values
from ..engine.core import DIFFERS, RECORD_HINT, Engine
from ..engine.parse import SnippetError, find_directives

NAME = "snipdoc"
# The dotted path earlier versions were configured by; still accepted.
ALIASES = (NAME, "snipdoc.extension")
DEFAULTS = {
    "snippets_dir": ["snippets", "Folder of the snippet files (relative to the project folder); pages name snippets relative to it"],
    "cache_dir": [".cache/snipdoc", "Where runs are cached by content, relative to the project folder"],
    "timeout": [60.0, "Seconds one snippet may run before it is stopped"],
    "output_limit": [100_000, "Characters one example may print; more is an error, and the page shows a truncated copy"],
    "jobs": [0, "Snippets run at once on a cache miss; 0: one per CPU, at most 2"],
    "number_lint": ["info", "Numbers with three or more significant digits typed in the prose (not quoted "
                             "from a run with {{ snippet#name }}): info (listed in the log), warning (fails "
                             "--strict), or off"],
    "preload": [[], "Modules the snippet server imports once before forking, e.g. [torch, numpy, matplotlib.pyplot]: "
                    "they cost one import per build instead of one per snippet, and print the same either way"],
    "versions": ["", "Packages whose versions are in the cache key (a new version re-runs every snippet); "
                       "default (empty): the top-level packages of preload"],
    "reference_platform": [{}, "The platform the recorded outputs belong to, e.g. {os: Linux, machine: x86_64, "
                               "python: '3.11', torch: 2.13.0+cpu}: a changed output fails the build there and is "
                               "only noted elsewhere; empty: fails everywhere"],
    "inputs": ["", "A digest of the snippets folder (see inputs_digest): engines that cache pages by their "
                   "source, such as Zensical, re-render pages when a snippet changes"],
}
LEFTOVER = re.compile(r":::\s*snippet", re.I)
LINT_LEVELS = {"warning": logging.WARNING, "info": logging.INFO, "off": None}
_ENGINES: dict[tuple, Engine] = {}  # without the MkDocs plugin: one engine per settings, per process


class SnippetBuildError(Exception):
    """Raised where no plugin collects errors: the engine running Markdown fails the build."""


class SnippetExtension(Extension):
    def __init__(self, **kwargs) -> None:
        self.config = {k: list(v) for k, v in DEFAULTS.items()}
        super().__init__(**kwargs)
        self.host = None  # the MkDocs plugin, when there is one
        self.engine: Engine | None = None
        self.page = "page"  # the page being converted, as messages name it
        self.serving = False  # under `mkdocs serve`: never wait for a run
        self.placed: dict = {}  # the page's expansion marks, for the final check
        # Under serve, runs are awaited until then (time.monotonic()), then shown as running:
        # a quick run shows its output in the same rebuild, a slow one never holds it up.
        self.wait_until = 0.0

    def settings(self, root: Path) -> dict:
        c = self.getConfigs()
        return {"snippets_dir": (root / c["snippets_dir"]).resolve(), "cache_dir": (root / c["cache_dir"]).resolve(),
                "timeout": float(c["timeout"]), "output_limit": int(c["output_limit"]), "jobs": int(c["jobs"]),
                "root": root.resolve(), "preload": _preload(c["preload"]),
                "versions": None if c["versions"] == "" else _names("versions", c["versions"]),
                "reference_platform": _platform(c["reference_platform"])}

    def get_engine(self) -> Engine:
        if self.engine is None:
            settings = self.settings(Path(os.getcwd()))
            key = tuple(sorted((k, str(v)) for k, v in settings.items()))
            if key not in _ENGINES:
                _ENGINES[key] = Engine(**settings)
            self.engine = _ENGINES[key]
        return self.engine

    def extendMarkdown(self, md) -> None:
        md.registerExtension(self)
        # After whitespace normalisation (30), before fenced code is read (superfences: 25).
        md.preprocessors.register(SnippetPreprocessor(md, self), "snipdoc", 28)
        # After raw HTML is put back (30): the final text of the page.
        md.postprocessors.register(LeftoverCheck(md, self), "snipdoc_leftover", 1)

    def report(self, messages: list[str]) -> None:
        if self.host is not None:
            self.host.report(messages)
        elif messages:
            raise SnippetBuildError("\n".join(messages))


WHERE = "the snipdoc entry of markdown_extensions in mkdocs.yml"


def _names(option: str, value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise SnippetError(f"{WHERE}: option '{option}' must be a list of module names, got {value!r}")
    return [v.strip() for v in value]


def _preload(value) -> list[str]:
    names = _names("preload", value)
    if missing := fresh.missing(names):
        raise SnippetError(f"{WHERE}: option 'preload' names {', '.join(missing)}, which is not installed "
                           "in this environment; install it, or remove it from the list")
    return names


def _platform(value) -> dict:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise SnippetError(f"{WHERE}: option 'reference_platform' must be a mapping such as "
                           f"{{os: Linux, machine: x86_64, python: '3.11'}}, got {value!r}")
    return {k: str(v) for k, v in value.items()}


class SnippetPreprocessor(Preprocessor):
    def __init__(self, md, ext: SnippetExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        if self.ext.host is None:
            self.ext.page = _page_label(self.md)
            if self.ext.page != "page":
                note_once("snipdoc: this engine runs no MkDocs plugins, so no chapter is published as a "
                          "Jupyter notebook (the snipdoc plugin's notebooks option); snippets are rendered")
        lines, value_errors = self._values(lines)
        directives, errors = find_directives(lines, self.ext.page)
        if not directives and not errors:
            self.ext.report(value_errors)
            return lines
        engine = self.ext.get_engine()
        numbers = render.Figures()
        replaced: dict[int, list[str]] = {}
        messages = []
        for lineno, message in errors:
            indent = lines[lineno - 1][: len(lines[lineno - 1]) - len(lines[lineno - 1].lstrip())]
            replaced[lineno] = ["", indent + self._stash(render.error_html([message], render.NOT_EMBEDDED)), ""]
            messages.append(message)
        self.ext.placed = {}
        for n, d in enumerate(directives):
            body, problems = self._embed(engine, d, f"{self.ext.page}:{d.lineno}", numbers)
            messages += problems
            # A mark where the expansion starts: the final HTML must hold it outside any
            # code block, or the Markdown around the directive was not read as the author meant.
            mark = f"<!-- snipdoc {n} -->"
            self.ext.placed[mark] = d
            replaced[d.lineno] = ["", d.indent + self._stash(mark), ""] + [f"{d.indent}{line}" if line else ""
                                                                         for line in body]
        out: list[str] = []
        for i, line in enumerate(lines, 1):
            out += replaced.get(i, [line])
        self.ext.report(messages + value_errors)
        return out

    def _values(self, lines: list[str]) -> tuple[list[str], list[str]]:
        """Values quoted from runs ({{ snippet#name }}), and numbers typed by hand."""
        level = LINT_LEVELS[self.ext.getConfig("number_lint")]
        if level is not None:
            for lineno, number in values.hand_typed(lines):
                logging.getLogger("mkdocs.plugins.snipdoc").log(
                    level, f"snipdoc: {self.ext.page}:{lineno}: {number} is typed by hand; if a snippet computes "
                           "it, quote its output ({{ snippet#name }}) so that it follows the run")
        if "{{" not in "".join(lines):
            return lines, []
        engine = self.ext.get_engine()

        def result_of(snippet):
            if self.ext.host is not None:
                self.ext.host.embedded.add(str(snippet.path))
            if not self.ext.serving:
                return engine.result(snippet)
            result = engine.poll(snippet, self.ext.wait_until - time.monotonic())
            if result is None and self.ext.host is not None:
                self.ext.host.running(snippet)
            return result

        return values.substitute(lines, self.ext.page, lambda ref, where: values.lookup(engine, ref, where, result_of))

    def _stash(self, html: str) -> str:
        return self.md.htmlStash.store(html)

    def _embed(self, engine: Engine, d, where: str, numbers) -> tuple[list[str], list[str]]:
        try:
            if self.ext.host is not None:
                # Before loading: a snippet that fails to load is embedded all the same.
                self.ext.host.embedded.add(str(engine.snippets_dir / d.snippet))
            snippet = engine.load(d.snippet, f"{where}: ")
            examples = snippet.part(d.part)
            if not examples:
                raise SnippetError(f"{where}: snippet '{d.snippet}' has no part '{d.part}' "
                                   f"(parts: {', '.join(snippet.parts) or 'none'})")
            result = (engine.poll(snippet, self.ext.wait_until - time.monotonic()) if self.ext.serving
                      else engine.result(snippet))
            if result is None:
                if self.ext.host is not None:
                    self.ext.host.running(snippet)
                return [self._stash(render.running_html(snippet.name)), ""], []
            problems = engine.problems(snippet, result)
            title = render.OUTPUT_CHANGED if all(DIFFERS in p for p in problems) else render.RUN_FAILED
        except SnippetError as exc:
            problems, title = [str(exc)], render.NOT_EMBEDDED
        if problems:
            problems = [f"{p}\n  (embedded at {where})" if where not in p else p for p in problems]
            return [self._stash(render.error_html(problems, title)), ""], problems
        chosen = {id(e) for e in examples}
        runs = [run for e, run in zip(snippet.examples, result["examples"]) if id(e) in chosen]
        return render.markdown(render.cells(examples, runs), self._stash, d.snippet, d.caption, numbers,
                               RECORD_HINT.format(snippet.name)), []


# An opening or closing <pre>/<code> tag, or an expansion's mark.
_TAG_OR_MARK = re.compile(r"<(/?)(pre|code)[\s>]|<!-- snipdoc \d+ -->")


class LeftoverCheck(Postprocessor):
    """No engine may publish a directive as text: one left in the page's HTML
    (outside code) is an error."""

    def __init__(self, md, ext: SnippetExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, text: str) -> str:
        text = self._check_placed(text)
        prose = re.sub(r"<(pre|code)\b.*?</\1>", "", text, flags=re.S)
        if m := LEFTOVER.search(prose):
            start = max(prose.rfind("\n", 0, m.start()), 0)
            self.ext.report([f"{self.ext.page}: a snippet directive was left in the page as text: "
                             f"'{prose[start:m.end() + 40].strip()[:80]}'"])
        return text


    def _check_placed(self, text: str) -> str:
        """Each directive's expansion, where its mark shows it landed: not in a code block,
        not as text. Content tabs without pymdownx.tabbed, or a directive indented with a
        tab at the top level, make an indented code block of it. (Postprocessors also run
        on fragments, such as headings for the table of contents: a mark is checked in the
        text that holds it.)"""
        if not self.ext.placed:
            return text
        # One pass over the page: whether each mark sits inside <pre> or <code>.
        inside, depth = {}, {"pre": 0, "code": 0}
        for m in _TAG_OR_MARK.finditer(text):
            if m[2]:
                depth[m[2]] += -1 if m[1] else 1
            else:
                inside[m[0]] = depth["pre"] > 0 or depth["code"] > 0
        problems = []
        for mark, d in list(self.ext.placed.items()):
            shown = html.escape(mark) in text
            if mark not in inside and not shown:
                continue
            del self.ext.placed[mark]
            if shown or inside[mark]:
                problems.append(
                    f"{self.ext.page}:{d.lineno}: '::: snippet {d.snippet}' was published "
                    f"{'inside a code block' if inside.get(mark) else 'as text'}, not as a snippet: the Markdown "
                    "around it was read otherwise than meant (indented under a block that no Markdown extension of "
                    "the site knows, such as content tabs without pymdownx.tabbed, or indented with a tab)")
            text = text.replace(mark, "").replace(html.escape(mark), "")
        self.ext.report(problems)
        return text


def _page_label(md) -> str:
    """The page being converted, where the engine says (Zensical keeps it in its rendering context)."""
    try:
        page = md.preprocessors["rendering_context"].page
        from zensical.config import get_config

        return f"{get_config().get('docs_dir', 'docs')}/{page.path}"
    except Exception:  # noqa: BLE001  (another engine: messages name the snippet and line)
        return "page"


_NOTED: set[str] = set()


def note_once(message: str) -> None:
    if message not in _NOTED:
        _NOTED.add(message)
        logging.getLogger("snipdoc").warning(message)


def inputs_digest(folder: str) -> str:
    """Hash of every file under folder. Set as the `inputs` option through a YAML tag,
    it changes the extension's configuration whenever a snippet or helper changes, and
    Zensical keys its page cache on that configuration."""
    h = hashlib.sha256()
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def platform_from(path: str, name: str = "PLATFORM") -> dict:
    """The mapping assigned to ``name`` in a Python file, read without running it: a
    reference platform kept where snippets can import it too. Set as the
    ``reference_platform`` option through a YAML tag."""
    import ast

    tree = ast.parse(Path(path).read_text(encoding="utf-8"), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                raise SnippetError(f"{path}:{node.lineno}: {name} must be a literal mapping") from None
    raise SnippetError(f"{path}: no '{name} = {{...}}' assignment found")


def makeExtension(**kwargs) -> SnippetExtension:
    return SnippetExtension(**kwargs)


def options_from(config_file: Path) -> dict:
    """The extension's options as mkdocs.yml sets them ({} if the file or entry is absent)."""
    if not config_file.is_file():
        return {}
    import contextlib

    from mkdocs.utils.yaml import yaml_load

    # From the file's folder, as a build runs: tags such as platform_from read paths
    # relative to the project, whichever folder the command was started in.
    with open(config_file, encoding="utf-8") as f, contextlib.chdir(config_file.resolve().parent):
        config = yaml_load(f) or {}
    for item in config.get("markdown_extensions") or []:
        if item in ALIASES:
            return {}
        if isinstance(item, dict):
            for name in ALIASES:
                if name in item:
                    return dict(item[name] or {})
    return {}
