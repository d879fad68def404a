"""The record command: run snippets and write their real outputs into the files.

Only the output lines of examples change; code, prose and comments stay byte
for byte. A file is replaced atomically, and only when something changed. A
snippet is run twice: if the outputs differ it is refused as nondeterministic.
"""

from __future__ import annotations

from pathlib import Path

from .cache import write_atomic
from .engine import Engine, diff
from .parse import Snippet, SnippetError, parse_snippet
from .run import TRACEBACK_HEADER


def record(engine: Engine, snippet: Snippet) -> int:
    """Rewrite one snippet file with its real outputs; return how many outputs changed."""
    first = engine.result(snippet, use_cache=False)
    second = engine.result(snippet, use_cache=False)
    for run in (first, second):
        if "crash" in run:
            line = run.get("lineno") or snippet.examples[0].lineno
            raise SnippetError(f"{snippet.name}:{line}: {run['crash']}")
    lines = snippet.text.split("\n")
    changed = 0
    for example, a, b in reversed(list(zip(snippet.examples, first["examples"], second["examples"]))):
        where = f"{snippet.name}:{example.lineno}"
        if a["got"] != b["got"]:
            raise SnippetError(
                f"{where}: output differs between two runs: the snippet is nondeterministic; "
                f"seed it (for example torch.manual_seed(0)) before recording\n" + diff(a["got"], b["got"], where)
            )
        if a["status"] == "exception" and not example.want.startswith(TRACEBACK_HEADER):
            raise SnippetError(
                f"{snippet.name}:{a['error_line'] or example.lineno}: unexpected exception: {a['error']}\n"
                f"  to show an error on purpose, write '{TRACEBACK_HEADER.strip()}' under the example and record again"
            )
        if a["status"] == "too_large":
            raise SnippetError(f"{where}: {a['error']}")
        if a["got"] != example.want:
            start = example.lineno - 1 + example.n_source_lines
            lines[start:start + example.n_want_lines] = want_lines(a["got"], example.indent)
            changed += 1
    if changed:
        text = "\n".join(lines)
        check = parse_snippet(snippet.path, snippet.name, text.encode())
        assert [e.source for e in check.examples] == [e.source for e in snippet.examples]
        if snippet.crlf:
            text = text.replace("\n", "\r\n")
        write_atomic(snippet.path, text.encode("utf-8"))
    return changed


def want_lines(got: str, indent: int) -> list[str]:
    pad = " " * indent
    return [pad + (line if line.strip() else "<BLANKLINE>") for line in got.rstrip("\n").split("\n")] if got else []


def record_paths(engine: Engine, paths: list[Path]) -> list[str]:
    """Record each file; return the error messages (the other files are still recorded)."""
    errors = []
    for path in paths:
        try:
            snippet = parse_snippet(path, engine.display(path))
            n = record(engine, snippet)
            print(f"{snippet.name}: {n} output(s) recorded" if n else f"{snippet.name}: up to date")
        except SnippetError as exc:
            errors.append(str(exc))
    return errors
