"""A notebook's code cells as one doctest snippet: a part per cell, an example
per top-level statement.

Doctest shows the value of every expression statement; a notebook shows only
the value of a cell's last one (none when it ends with ``;``), and none from
inside a loop. Where a run shows such a value, the statement gets ``_ = ``
(the project's own idiom), so the snippet prints what the notebook printed.
Comments stay with the statement below them; text and layout are kept
otherwise, byte for byte.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass, field

from .ipython import offset

HIDE = "_ = "


@dataclass(eq=False)
class Example:
    cell: int  # index of its cell in the plan
    lines: list[str]  # the code, without prompts
    kind: str = "code"  # "code"; "seed" (added by the import); "help" (from obj?, output not compared)
    statement: str = ""  # ast class name of its (first) statement; "" when the cell does not parse
    last: bool = False  # the cell's last statement: its value is what the notebook showed
    hide_at: list[tuple[int, int]] = field(default_factory=list)  # (line, column) where HIDE hides a value
    hide_always: bool = False  # ends with ';': the notebook showed nothing
    directive_line: int = 0  # where a doctest directive can go: a line that does not end inside a string
    start: int = 0  # 0-based line of the cell's code where it starts
    # Decided from runs:
    hidden: bool = False
    skip: bool = False
    skip_reason: str = ""  # "exception": after one, as in a notebook; "unrecorded": its own output
    raised: str = ""  # the exception a skipped statement raised, and what it printed before
    printed: str = ""
    ellipsis: bool = False
    unstable: bool = False  # its numbers differed in a later run: always masked
    want: str = ""

    def source(self) -> list[str]:
        lines = list(self.lines)
        if self.hidden or self.hide_always:
            for line, col in sorted(self.hide_at, reverse=True):
                lines[line] = lines[line][:col] + HIDE + lines[line][col:]
        flag = "+SKIP" if self.skip else "+ELLIPSIS" if self.ellipsis else ""
        if flag:
            lines[self.directive_line] += f"  # doctest: {flag}"
        return lines

    def text(self) -> str:
        lines = self.source()
        out = [">>> " + lines[0]] + [("... " + line) if line.strip() else "..." for line in lines[1:]]
        return "\n".join(out) + "\n" + "".join(line + "\n" for line in want_lines(self.want))


def want_lines(got: str) -> list[str]:
    """Output lines as doctest reads them back: blank ones as <BLANKLINE>, trailing ones too
    (record.want_lines drops those, so help() output, which ends in one, would never match)."""
    body = got[:-1] if got.endswith("\n") else got
    return [line if line.strip() else "<BLANKLINE>" for line in body.split("\n")] if got else []


def split(code: str, cell: int) -> list[Example]:
    """One example per top-level statement (statements sharing a line stay together)."""
    lines = code.split("\n")
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):  # recorded as the exception it raises
        body = _trim(lines)
        lead = len(lines) - len(_trim_start(lines))
        return [Example(cell, body, last=True, directive_line=len(body) - 1, start=lead)] if body else []
    groups: list[list[ast.stmt]] = []
    for statement in tree.body:
        first = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", [])])
        if groups and first <= groups[-1][-1].end_lineno:
            groups[-1].append(statement)
        else:
            groups.append([statement])
    examples = []
    start = 0
    for n, group in enumerate(groups):
        end = len(lines) if n == len(groups) - 1 else group[-1].end_lineno
        chunk = lines[start:end]
        lead = len(chunk) - len(_trim_start(chunk))
        body = _trim(chunk)
        base = start + lead  # line of the code where body starts
        examples.append(_example(code, group, body, base, cell, n == len(groups) - 1))
        start = end
    return examples


def _example(code: str, group: list[ast.stmt], body: list[str], base: int, cell: int, last: bool) -> Example:
    lines = code.split("\n")
    statement = group[-1]
    kind = type(statement).__name__
    hide_at = []
    if isinstance(statement, ast.Expr):
        hide_at = [_position(lines, s, base) for s in group if isinstance(s, ast.Expr) and not _is_print(s.value)]
    elif isinstance(statement, (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try)):
        # 'single' mode echoes expression statements inside top-level blocks; IPython does not.
        hide_at = [_position(lines, e, base) for e in _nested_expressions(statement)]
    after = lines[statement.end_lineno - 1].encode()[statement.end_col_offset:].decode(errors="ignore")
    hide_always = last and isinstance(statement, ast.Expr) and after.lstrip().startswith(";")
    return Example(cell, body, statement=kind, last=last, hide_at=hide_at, hide_always=hide_always,
                   directive_line=_directive_line(body, group[0].lineno - 1 - base), start=base)


def _is_print(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"


# Calls that return None: inside a loop they echo nothing, and `_ = ` on each would only clutter it.
_NONE_CALLS = frozenset("backward zero_grad show pause append extend insert sort reverse clear remove savefig".split())


def _returns_none(node: ast.expr) -> bool:
    func = node.func if isinstance(node, ast.Call) else None
    return isinstance(func, ast.Attribute) and func.attr in _NONE_CALLS


def _nested_expressions(statement: ast.stmt) -> list[ast.Expr]:
    found, todo = [], [statement]
    while todo:
        node = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue  # their bodies run later, not echoed
            if isinstance(child, ast.Expr) and not _is_print(child.value) and not _returns_none(child.value) \
                    and not isinstance(child.value, ast.Constant):
                found.append(child)
            todo.append(child)
    return found


def _position(lines: list[str], node: ast.AST, base: int) -> tuple[int, int]:
    line = lines[node.lineno - 1]
    return node.lineno - 1 - base, offset(line, 1, node.col_offset)


def _directive_line(body: list[str], first: int) -> int:
    """The first line of the statement that does not end inside a string or a backslash continuation."""
    unsafe = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO("\n".join(body) + "\n").readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                unsafe.update(range(tok.start[0] - 1, tok.end[0] - 1))
    except (tokenize.TokenError, SyntaxError):
        return len(body) - 1
    for i in range(max(first, 0), len(body)):
        if i not in unsafe and not body[i].rstrip().endswith("\\") and body[i].strip() and not body[i].lstrip().startswith("#"):
            return i
    return len(body) - 1


def _trim_start(lines: list[str]) -> list[str]:
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    return lines[i:]


def _trim(lines: list[str]) -> list[str]:
    lines = _trim_start(lines)
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def seed_example(cell: int, code: str) -> Example:
    return Example(cell, [code], kind="seed", statement="Assign")


def snippet_text(header: str, parts: list[tuple[str, list[Example]]]) -> str:
    """The whole snippet: a header, then each part's marker and examples."""
    out = [header.rstrip("\n") + "\n"]
    for name, examples in parts:
        out.append(f"\n# part: {name}\n\n")
        out.extend(e.text() for e in examples)
    return "".join(out)
