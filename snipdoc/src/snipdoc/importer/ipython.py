"""IPython-only syntax in a notebook cell, turned into plain Python.

A snippet runs under doctest, which knows no magics. What has a plain
equivalent is converted (``%matplotlib inline``: the site captures each cell's
figures anyway; ``obj?``: ``help(obj)``, while ``obj??``, the source pager, is
dropped; ``display(x)``: ``x``; ``%time stmt``:
``stmt``; a Python 2 ``print x``: ``print(x)``); what has none is dropped
(``!pip install``, ``%timeit``, ``%cd``, cell magics but ``%%time``), and
every change is a note for the report. Lines are only rewritten in a cell that
is not valid Python as it stands, so ordinary code is never touched by accident.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

CONVERTED, DROPPED = "converted", "dropped"

_HELP = re.compile(r"^(\s*)(\?{1,2})?([A-Za-z_][\w.]*)(\?{1,2})?\s*$")
_ASSIGNED_MAGIC = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*[!%]")
_INSTALL = re.compile(r"^[%!]\s*(?:pip3?|conda|mamba)\s+install\s+(.*)$")
_PRINT2 = re.compile(r"^(\s*)print(?:\s+(?![\s(=.,;])(.*?)|\s*)$")
# Magics that only tune the front end: nothing to run in their place.
_FRONT_END = ("config", "load_ext", "reload_ext", "autoreload", "precision", "xmode", "autosave", "qtconsole")


@dataclass
class Converted:
    code: str
    notes: list[tuple[str, str]] = field(default_factory=list)  # (CONVERTED or DROPPED, text)
    dropped_cell: bool = False  # nothing of the cell is left to run
    writes: set[str] = field(default_factory=set)  # names bound by dropped lines (x = !ls)
    help_lines: set[int] = field(default_factory=set)  # 1-based lines that came from obj?


def convert(source: str) -> Converted:
    """Plain Python for one cell's source, with notes on what changed."""
    code = source.rstrip()
    if _parses(code):
        return Converted(code)
    lines = code.split("\n")
    first = lines[0].strip()
    if first.startswith("%%"):
        name = first[2:].split()[0] if first[2:].split() else ""
        if name != "time":
            return Converted("", [(DROPPED, f"cell magic `{first}` has no plain Python equivalent; the cell was left out")],
                             dropped_cell=True)
        lines = lines[1:]
        notes = [(CONVERTED, f"`{first}` removed: the cell runs once and no timing is shown")]
    else:
        notes = []
    result = Converted("", notes)
    out: list[str] = []
    for line in lines:
        out.extend(_line(line, result, len(out) + 1))
    code = "\n".join(out).rstrip()
    if not _parses(code):
        code = _python2_prints(code, result)
    result.code = code
    result.dropped_cell = not code.strip() and any(kind == DROPPED for kind, _ in result.notes)
    return result


def _line(line: str, result: Converted, lineno: int) -> list[str]:
    stripped = line.strip()
    indent = line[: len(line) - len(line.lstrip())]
    if not stripped or stripped.startswith("#"):
        return [line]
    assigned = _ASSIGNED_MAGIC.match(line)
    if assigned:
        result.writes.add(assigned.group(1))
        return _drop(f"`{stripped}` binds the output of a shell command or magic; no equivalent", indent, result)
    if stripped[0] in "%!":
        return _magic(stripped, indent, result, lineno)
    m = _HELP.match(line)
    if m and "??" in (m.group(2) or "") + (m.group(4) or ""):
        # IPython's source pager: pages of source or pydoc that the notebook never stored.
        return _drop(f"`{stripped}` removed: it only opens the source pager (read the source there); "
                     "the notebook stored no output for it", indent, result)
    if m and (m.group(2) or m.group(4)):
        result.help_lines.add(lineno)
        result.notes.append((CONVERTED, f"`{stripped}` → `help({m.group(3)})` (the notebook stored no output for the help pager, so it is not compared)"))
        return [f"{indent}help({m.group(3)})"]
    return [line]


def _magic(stripped: str, indent: str, result: Converted, lineno: int) -> list[str]:
    install = _INSTALL.match(stripped)
    if install:
        return _drop(f"`{stripped}` removed: packages come from the project's pinned dependencies "
                     f"(pyproject.toml); add {install.group(1).strip()} there if the environment lacks it", indent, result)
    if stripped.startswith("!"):
        return _drop(f"shell command `{stripped}` removed: snippets run Python only", indent, result)
    words = stripped[1:].split(None, 1)
    name, rest = (words[0] if words else ""), (words[1] if len(words) > 1 else "")
    if name == "matplotlib":
        result.notes.append((CONVERTED, f"`{stripped}` removed: the site shows each cell's figures after it, as inline plots did"))
        return [f"{indent}pass"] if indent else []
    if name == "pylab":
        result.notes.append((CONVERTED, f"`{stripped}` → numpy, matplotlib.pyplot and pylab imported by name"))
        return [f"{indent}import numpy as np", f"{indent}import matplotlib.pyplot as plt", f"{indent}from pylab import *"]
    if name == "time" and rest:
        result.notes.append((CONVERTED, f"`{stripped}` → `{rest}`: run once, no timing shown"))
        return [f"{indent}{rest}"]
    if name == "timeit":
        return _drop(f"`{stripped}` removed: it only measures time (its statement runs in a scope of its own "
                     "and leaves nothing behind)", indent, result)
    if name == "pinfo2" and rest:
        return _drop(f"`{stripped}` removed: it only opens the source pager; the notebook stored no output for it",
                     indent, result)
    if name == "pinfo" and rest:
        result.help_lines.add(lineno)
        result.notes.append((CONVERTED, f"`{stripped}` → `help({rest.strip()})`"))
        return [f"{indent}help({rest.strip()})"]
    why = "it only configures the notebook front end" if name in _FRONT_END else "it has no plain Python equivalent"
    return _drop(f"magic `{stripped}` removed: {why}", indent, result)


def _drop(note: str, indent: str, result: Converted) -> list[str]:
    result.notes.append((DROPPED, note))
    return [f"{indent}pass"] if indent else []  # an emptied block still needs a statement


def _python2_prints(code: str, result: Converted) -> str:
    lines = code.split("\n")
    changed = False
    for i, line in enumerate(lines):
        m = _PRINT2.match(line)
        if m and (m.group(2) is None or not m.group(2).startswith(">>")):
            args = m.group(2) or ""
            if args.endswith(","):  # print x,  keeps the line open
                args = args[:-1] + ', end=" "'
            lines[i] = f"{m.group(1)}print({args})"
            changed = True
    new = "\n".join(lines)
    if changed and _parses(new):
        result.notes.append((CONVERTED, "Python 2 `print` statements → `print()` calls"))
        return new
    return code


def convert_display(code: str, tree: ast.Module, display_defined: bool) -> tuple[str, list[tuple[str, str]]]:
    """``display(x)`` (IPython's built-in) outside IPython: a statement becomes the
    expression itself, which doctest shows with repr as IPython did; a call inside
    other code prints the repr."""
    if display_defined:
        return code, []
    edits = []
    top = {id(s.value) for s in tree.body if isinstance(s, ast.Expr)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "display"):
            continue
        args = [ast.get_source_segment(code, a) for a in node.args if not isinstance(a, ast.Starred)]
        if not args or len(args) != len(node.args):
            continue
        if id(node) in top:
            new = "\n".join(args) if all("\n" not in a for a in args) else "; ".join(args)
        else:
            new = "print(" + ", ".join(f"repr({a})" for a in args) + (', sep="\\n")' if len(args) > 1 else ")")
        edits.append((node, new))
    if not edits:
        return code, []
    for node, new in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
        code = replace_span(code, node, new)
    return code, [(CONVERTED, "`display(...)` (IPython's built-in, used without an import) → the value itself, shown with repr as IPython did")]


def replace_span(code: str, node: ast.AST, new: str) -> str:
    start = offset(code, node.lineno, node.col_offset)
    end = offset(code, node.end_lineno, node.end_col_offset)
    return code[:start] + new + code[end:]


def offset(code: str, lineno: int, col_bytes: int) -> int:
    """String index of an ast position (whose column counts UTF-8 bytes)."""
    lines = code.split("\n")
    before = sum(len(line) + 1 for line in lines[: lineno - 1])
    return before + len(lines[lineno - 1].encode()[:col_bytes].decode(errors="ignore"))


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True
