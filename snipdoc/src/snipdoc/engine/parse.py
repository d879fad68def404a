"""Reading snippet files and finding the directives that embed them in pages.

A snippet is a doctest file, read as doctest reads it: UTF-8, universal
newlines (``\\r\\n`` and a lone ``\\r`` end a line). Prose lines are allowed
between examples; a prose line ``# part: NAME`` (after a blank line) starts a
named part of the file.
"""

from __future__ import annotations

import difflib
import doctest
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

PART_RE = re.compile(r"^# part: (\S+)\s*$")
LINE_END = re.compile(r"\r\n|\r|\n")
DIRECTIVE_RE = re.compile(r"^(?P<indent>[ \t]*)::: snippet[ \t]+(?P<args>.*?)\s*$")
# Anything that looks like an attempt at the directive: `:::snippet`, `::: snipet`, `::: Snippet`.
NEAR_RE = re.compile(r"^[ \t]*:::[ \t]*(?P<word>[A-Za-z_-]+)")
OPTIONS = {"part": "NAME", "caption": '"TEXT"'}


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
    options: dict


@dataclass
class Snippet:
    path: Path
    name: str  # path relative to the project folder, as messages name it
    text: str  # as doctest reads it: every line ends in "\n"
    lines: list[tuple[str, str]]  # the file's lines with their own line ends, for rewriting
    examples: list[Example]

    def part(self, name: str | None) -> list[Example]:
        return [e for e in self.examples if name is None or e.part == name]

    @property
    def parts(self) -> list[str]:
        return list(dict.fromkeys(e.part for e in self.examples if e.part))


def decode(data: bytes, where: str) -> str:
    """Snippet bytes to text; a file that is not UTF-8 is an error, not a guess."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = len(LINE_END.findall(data[: exc.start].decode("utf-8", "replace"))) + 1
        raise SnippetError(
            f"{where}:{line}: not valid UTF-8 (byte {exc.start}); save the file as UTF-8"
        ) from None


def split_lines(raw: str) -> list[tuple[str, str]]:
    pieces = LINE_END.split(raw)
    ends = LINE_END.findall(raw)
    return list(zip(pieces, ends + [""]))


def parse_snippet(path: Path, name: str, data: bytes | None = None) -> Snippet:
    if data is None:
        data = path.read_bytes()
    raw = decode(data, name)
    lines = split_lines(raw)
    text = "".join(content + ("\n" if end else "") for content, end in lines)
    try:
        raw_examples = doctest.DocTestParser().get_examples(text, name)
    except ValueError as exc:  # bad indentation or prompt without a space
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) + 1 if m else 1
        raise SnippetError(f"{name}:{line}: {exc}") from None
    parts = _part_starts([c for c, _ in lines])
    examples = []
    for ex in raw_examples:
        n_src = ex.source.count("\n") or 1
        examples.append(Example(
            source=ex.source, want=ex.want, lineno=ex.lineno + 1, part=_part_at(parts, ex.lineno),
            n_source_lines=n_src, n_want_lines=ex.want.count("\n"), indent=ex.indent, options=ex.options,
        ))
    if not examples:
        raise SnippetError(f"{name}:1: no examples (lines starting with '>>> ')")
    return Snippet(path=path, name=name, text=text, lines=lines, examples=examples)


def _part_starts(lines: list[str]) -> list[tuple[int, str]]:
    return [(i, m.group(1)) for i, line in enumerate(lines) if (m := PART_RE.match(line))]


def _part_at(parts: list[tuple[int, str]], lineno: int) -> str | None:
    found = None
    for start, name in parts:
        if start <= lineno:
            found = name
    return found


def part_ends(text: str, linenos: list[int]) -> set[int]:
    """Indexes of the examples after which a new part starts (0-based line numbers in)."""
    parts = _part_starts(text.split("\n"))
    names = [_part_at(parts, n) for n in linenos]
    return {i for i in range(len(names) - 1) if names[i] != names[i + 1]}


@dataclass
class Directive:
    lineno: int  # 1-based line in the page
    indent: str  # the line's leading whitespace: the embed is indented the same
    snippet: str
    part: str | None
    caption: str | None


def find_directives(lines: list[str], page: str) -> tuple[list[Directive], list[tuple[int, str]]]:
    """Every ``::: snippet PATH [part=NAME] [caption="TEXT"]`` line outside fenced code,
    at any indentation (in admonitions, lists, tabs), and an error for each mistyped one."""
    found, errors = [], []
    fence: tuple[str, int] | None = None
    for i, line in enumerate(lines, 1):
        stripped = line.lstrip()
        m = re.match(r"(`{3,}|~{3,})", stripped)
        if m:
            if fence is None:
                fence = (m.group(1), len(line) - len(stripped))
            elif stripped.startswith(fence[0]) and not stripped[len(fence[0]):].strip():
                fence = None
            continue
        if fence is not None:
            continue
        if m := DIRECTIVE_RE.match(line):
            try:
                found.append(_directive(m.group("args"), m.group("indent"), i, page))
            except SnippetError as exc:
                errors.append((i, str(exc)))
        elif (near := NEAR_RE.match(line)) and _looks_like_snippet(line, near.group("word")):
            errors.append((i, f"{page}:{i}: '{line.strip()}' looks like a mistyped directive; "
                              f"write '::: snippet PATH' (three colons, a space, 'snippet' in lower case)"))
    return found, errors


def _looks_like_snippet(line: str, word: str) -> bool:
    return word.lower() == "snippet" or difflib.SequenceMatcher(None, word.lower(), "snippet").ratio() >= 0.75


def _directive(args: str, indent: str, lineno: int, page: str) -> Directive:
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise SnippetError(f"{page}:{lineno}: cannot read the options of '::: snippet {args}': {exc}") from None
    if not words or "=" in words[0]:
        raise SnippetError(f"{page}:{lineno}: '::: snippet' needs a snippet path, e.g. '::: snippet ch12/sigmoid.txt'")
    options = {}
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if not eq or key not in OPTIONS:
            raise SnippetError(
                f"{page}:{lineno}: unknown snippet option '{word}'; known options: "
                + ", ".join(f"{k}={v}" for k, v in OPTIONS.items())
            )
        options[key] = value
    return Directive(lineno=lineno, indent=indent, snippet=words[0], part=options.get("part"),
                     caption=options.get("caption"))
