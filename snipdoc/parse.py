"""Reading snippet files and finding the directives that embed them in pages.

A snippet is a doctest file. Prose lines are allowed between examples; a prose
line ``# part: NAME`` (after a blank line) starts a named part of the file.
"""

from __future__ import annotations

import doctest
import re
from dataclasses import dataclass
from pathlib import Path

PART_RE = re.compile(r"^# part: (\S+)\s*$")
DIRECTIVE_RE = re.compile(r"^::: snippet\s+(?P<args>.*?)\s*$")
OPTIONS = ("part",)


class SnippetError(Exception):
    """A mistake in a snippet or page; the message names the file and line."""


@dataclass
class Example:
    source: str  # code without prompts
    want: str  # recorded output, as doctest compares it
    lineno: int  # 1-based line of the first ``>>>``
    part: str | None
    n_source_lines: int
    n_want_lines: int
    indent: int


@dataclass
class Snippet:
    path: Path
    name: str  # path relative to the snippets folder, as pages name it
    text: str  # decoded, with "\n" line ends
    crlf: bool
    examples: list[Example]

    def part(self, name: str | None) -> list[Example]:
        return [e for e in self.examples if name is None or e.part == name]

    @property
    def parts(self) -> list[str]:
        return list(dict.fromkeys(e.part for e in self.examples if e.part))


def decode(data: bytes, where: str) -> tuple[str, bool]:
    """Snippet bytes to text; a file that is not UTF-8 is an error, not a guess."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SnippetError(
            f"{where}:{line}: not valid UTF-8 (byte {exc.start}); save the file as UTF-8"
        ) from None
    crlf = "\r\n" in text
    return text.replace("\r\n", "\n"), crlf


def parse_snippet(path: Path, name: str, data: bytes | None = None) -> Snippet:
    if data is None:
        data = path.read_bytes()
    text, crlf = decode(data, name)
    lines = text.split("\n")
    parts = _part_starts(lines)
    try:
        raw = doctest.DocTestParser().get_examples(text, name)
    except ValueError as exc:  # bad indentation or prompt without a space
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) + 1 if m else 1
        raise SnippetError(f"{name}:{line}: {exc}") from None
    examples = []
    for ex in raw:
        n_src = 1
        while ex.lineno + n_src < len(lines) and lines[ex.lineno + n_src].lstrip().startswith("..."):
            n_src += 1
        part = None
        for start, pname in parts:
            if start <= ex.lineno:
                part = pname
        examples.append(
            Example(
                source=ex.source,
                want=ex.want,
                lineno=ex.lineno + 1,
                part=part,
                n_source_lines=n_src,
                n_want_lines=ex.want.count("\n"),
                indent=ex.indent,
            )
        )
    if not examples:
        raise SnippetError(f"{name}:1: no examples (lines starting with '>>> ')")
    return Snippet(path=path, name=name, text=text, crlf=crlf, examples=examples)


def _part_starts(lines: list[str]) -> list[tuple[int, str]]:
    return [(i, m.group(1)) for i, line in enumerate(lines) if (m := PART_RE.match(line))]


@dataclass
class Directive:
    lineno: int  # 1-based line in the page
    snippet: str
    part: str | None


def find_directives(markdown: str, page: str) -> list[Directive]:
    """Every ``::: snippet PATH [part=NAME]`` line outside fenced code blocks."""
    found = []
    fence = None
    for i, line in enumerate(markdown.split("\n"), 1):
        stripped = line.lstrip()
        m = re.match(r"(`{3,}|~{3,})", stripped)
        if m:
            if fence is None:
                fence = m.group(1)
            elif stripped.startswith(fence) and not stripped[len(fence):].strip():
                fence = None
            continue
        if fence is not None:
            continue
        m = DIRECTIVE_RE.match(line)
        if m:
            found.append(_directive(m.group("args"), i, page))
    return found


def _directive(args: str, lineno: int, page: str) -> Directive:
    words = args.split()
    if not words or "=" in words[0]:
        raise SnippetError(f"{page}:{lineno}: '::: snippet' needs a snippet path, e.g. '::: snippet ch12/sigmoid.txt'")
    options = {}
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if not eq or key not in OPTIONS:
            raise SnippetError(
                f"{page}:{lineno}: unknown snippet option '{word}'; known options: "
                + ", ".join(f"{o}=NAME" for o in OPTIONS)
            )
        options[key] = value
    return Directive(lineno=lineno, snippet=words[0], part=options.get("part"))
