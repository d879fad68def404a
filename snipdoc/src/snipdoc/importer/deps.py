"""Which earlier cell a notebook cell depends on, read from the names it uses.

Cells share one namespace, so a cell that uses ``w`` depends on the last cell
before it that bound or changed ``w``. Calling a method on a name or assigning
to its attribute or item counts as changing it (``w.requires_grad_()``), which
errs on the side of reporting a dependency, except for names bound by an import
(``torch.ones(1)`` changes no module). A cell that cannot be parsed reads every
identifier in it and binds nothing.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

STAR = "*"  # bound by `from x import *`: any name may come from it
# Tensor and array methods that return a new object and never change the one they are called on
# (in-place ones end in "_"); .to() and .cuda() are not here: on a module they work in place.
READ_ONLY = frozenset(
    "numpy item tolist size dim numel norm sum mean std var max min argmax argmin abs exp log sqrt pow "
    "sigmoid tanh relu softmax t view reshape view_as reshape_as squeeze unsqueeze permute transpose "
    "flatten contiguous detach clone copy float double long int bool type mm matmul dot eq ne equal all any "
    "expand expand_as repeat index_select nonzero split chunk new_ones new_zeros new_empty new_tensor astype".split())


@dataclass
class Names:
    reads: set[str] = field(default_factory=set)  # used before the cell binds them itself
    binds: set[str] = field(default_factory=set)
    changes: set[str] = field(default_factory=set)  # w.requires_grad_(), w.grad = None, w[0] = 1
    imports: set[str] = field(default_factory=set)


def names(code: str) -> Names:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return Names(reads=set(re.findall(r"\b[A-Za-z_]\w*\b", code)))
    found = Names()
    for statement in tree.body:
        one = _statement(statement)
        found.reads |= one.reads - found.binds - found.changes
        found.binds |= one.binds
        found.changes |= one.changes
        found.imports |= one.imports
    return found


def _statement(statement: ast.stmt) -> Names:
    found = Names()
    local: set[str] = set()
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        # Its parameters and the names it assigns are its own: using them reads no global.
        args = statement.args
        local = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a}
        local |= {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and node.id in local:
            continue
        if isinstance(node, ast.Name):
            (found.reads if isinstance(node.ctx, ast.Load) else found.binds).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                name = STAR if alias.name == "*" else (alias.asname or alias.name).split(".")[0]
                found.binds.add(name)
                found.imports.add(name)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.binds.add(node.name)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr not in READ_ONLY and (base := _base_name(node.func.value)) and base not in local:
                found.changes.add(base)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if (base := _base_name(node.value)) and base not in local:
                found.changes.add(base)
    return found


def _base_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def direct_dependencies(cells: list[Names]) -> list[set[int]]:
    """For each cell, the indices of the earlier cells it reads from."""
    modules = set().union(*(c.imports for c in cells)) if cells else set()
    writes = [c.binds | (c.changes - modules) for c in cells]
    found = []
    for i, cell in enumerate(cells):
        deps = set()
        for name in cell.reads:
            writer = next((j for j in range(i - 1, -1, -1) if name in writes[j]), None)
            if writer is None:  # maybe from a star import
                writer = next((j for j in range(i - 1, -1, -1) if STAR in writes[j]), None)
            if writer is not None:
                deps.add(writer)
        found.append(deps)
    return found
