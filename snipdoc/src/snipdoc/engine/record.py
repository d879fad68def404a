"""The record command: run snippets and write their real outputs into the files.

Only the output lines of examples whose output differs change; code, prose,
comments, skipped examples and line endings stay byte for byte. A file is
replaced atomically, and only when something changed. A snippet is run twice
(at once, in two children): if the outputs differ it is refused as
nondeterministic. Every problem of a file is reported in one run, first line
first, and nothing of that file is written.
"""

from __future__ import annotations

from pathlib import Path

from .cache import write_atomic
from .core import Engine, diff
from .parse import Snippet, SnippetError, parse_snippet
from .run import TRACEBACK_HEADER


def record(engine: Engine, snippet: Snippet, force: bool = False) -> int:
    """Rewrite one snippet file with its real outputs; return how many outputs changed."""
    futures = [engine.pool.submit(snippet.path, snippet.name) for _ in range(2)]
    engine.runs += 2
    first, second = (f.result() for f in futures)
    for run in (first, second):
        if "crash" in run:
            line = run.get("lineno") or snippet.examples[0].lineno
            raise SnippetError(f"{snippet.name}:{line}: {run['crash']}")
    problems: list[tuple[int, str]] = []
    rewrite = []
    for example, a, b in zip(snippet.examples, first["examples"], second["examples"]):
        where = f"{snippet.name}:{example.lineno}"
        if a["status"] == "skipped":
            continue
        if a["got"] != b["got"]:
            problems.append((example.lineno,
                             f"{where}: output differs between two runs: the snippet is nondeterministic; "
                             f"seed it (for example torch.manual_seed(0)) before recording\n"
                             + diff(a["got"], b["got"], where, ("first run", "second run"))))
        elif a["status"] == "exception" and example.want.startswith(TRACEBACK_HEADER):
            rewrite.append((example, a["got"]))  # an error shown on purpose: the header asks for it
        elif a["status"] == "exception":
            line = a.get("error_line") or example.lineno
            problems.append((line, f"{snippet.name}:{line}: unexpected exception: {a['error']}\n"
                             f"  to show an error on purpose, write '{TRACEBACK_HEADER.strip()}' "
                             f"under the example and record again"))
        elif a["status"] == "too_large":
            problems.append((example.lineno, f"{where}: {a['error']}"))
        elif a["status"] == "mismatch":
            rewrite.append((example, a["got"]))
        if a.get("figure_error"):
            problems.append((example.lineno, f"{where}: {a['figure_error']}"))
    if problems:
        raise SnippetError("\n".join(message for _, message in sorted(problems, key=lambda p: p[0])))
    # Writing an output where none is recorded yet overwrites nothing: allowed anywhere.
    overwrites = [(example, got) for example, got in rewrite if example.want]
    if overwrites and not engine.on_reference and not force:
        here = engine.platform_here()
        raise SnippetError(
            f"{snippet.name}:{overwrites[0][0].lineno}: {len(overwrites)} recorded output(s) would change, and this machine "
            f"({here}) is not the reference platform ({engine.declared}) the outputs belong to; "
            f"record there, or pass --force to overwrite them with this machine's")
    if rewrite:
        write_outputs(snippet, rewrite)
    return len(rewrite)


def write_outputs(snippet: Snippet, rewrite: list) -> None:
    lines = list(snippet.lines)
    for example, got in sorted(rewrite, key=lambda r: -r[0].lineno):
        start = example.lineno - 1 + example.n_source_lines
        end = lines[example.lineno - 1][1] or "\n"  # the file's own line end, lone "\r" included
        if not lines[start - 1][1]:  # the code was the file's last line, without a line end
            lines[start - 1] = (lines[start - 1][0], end)
        lines[start:start + example.n_want_lines] = [(line, end) for line in want_lines(got, example.indent)]
    data = "".join(content + end for content, end in lines).encode("utf-8")
    check = parse_snippet(snippet.path, snippet.name, data)
    assert [e.source for e in check.examples] == [e.source for e in snippet.examples]
    write_atomic(snippet.path, data)


def want_lines(got: str, indent: int) -> list[str]:
    """doctest's spelling of an output: a blank line (trailing ones too) as <BLANKLINE>."""
    pad = " " * indent
    body = got[:-1] if got.endswith("\n") else got
    return [pad + (line if line.strip() else "<BLANKLINE>") for line in body.split("\n")] if got else []


def record_paths(engine: Engine, paths: list[Path], force: bool = False) -> list[str]:
    """Record each file; return the error messages (the other files are still recorded)."""
    errors = []
    for path in paths:
        try:
            snippet = parse_snippet(path, engine.display(path))
            n = record(engine, snippet, force)
            print(f"{snippet.name}: {n} output(s) recorded" if n else f"{snippet.name}: up to date")
        except SnippetError as exc:
            errors.append(str(exc))
    return errors
