"""The preloaded packages, out of a snippet's sight until it imports them.

A fresh process imports torch when its snippet says so, in the state the
snippet has made by then: OMP_NUM_THREADS or MPLBACKEND set in os.environ, a
logging handler, a warnings filter. The server imported it earlier, in its own
state. So every child takes the preloaded packages out of sys.modules, with the
warnings filters their imports added (``'torch' in sys.modules`` is False, as
in a fresh process), and puts one back when the snippet imports it, after
checking that what an import reads (the environment, the warnings filters,
logging's configuration) is still what the child started with: the import would
then have done what it did in the server. If it is not, the child asks for the
snippet to run again in a new interpreter (``diverged``); forkserver.py does so.

Only the top-level names of the preload list leave sys.modules: every object a
child touches costs it a copied page, so their submodules and the packages they
imported stay (``from torch.nn import functional`` before any ``import torch``
is not seen), and so do the loggers they made.
"""

from __future__ import annotations

import builtins
import os
import sys
import warnings
from importlib.machinery import ModuleSpec

_packages: dict[str, set[str]] = {}  # a hidden package -> the hidden packages its import imported
_groups: list[tuple[set[str], list]] = []  # per preload entry: its new packages, the filters it added
_filters: list = []  # the server's warnings filters, in order
_hidden_filters: list = []  # the filters a child starts with
_env: dict = {}
_log: tuple | None = None


def preload(names: list[str], import_module) -> None:
    """Import names (in the server), noting what each import brought."""
    global _log
    wanted: dict[str, set[str]] = {}
    original = builtins.__import__

    def noting(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and globals:
            importer = str(globals.get("__name__") or "").partition(".")[0]
            wanted.setdefault(importer, set()).add(name.partition(".")[0])
        return original(name, globals, locals, fromlist, level)

    tops = {name.partition(".")[0] for name in names}
    builtins.__import__ = noting
    try:
        for name in names:
            modules, filters = set(sys.modules), list(warnings.filters)
            import_module(name)
            _groups.append(({n for n in tops - modules if n in sys.modules},
                            [f for f in warnings.filters if f not in filters]))
    finally:
        builtins.__import__ = original
    hidden = set().union(*(group[0] for group in _groups))
    for top in hidden:
        seen, todo = {top}, [top]
        while todo:  # the preloaded packages its import imported, directly or not
            for dep in wanted.get(todo.pop(), ()):
                if dep in hidden and dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        _packages[top] = seen
    _filters[:] = warnings.filters
    _hidden_filters[:] = _shown(set())
    _env.update(os.environ._data)  # noqa: SLF001  (the encoded mapping: compared without decoding)
    _log = _logging()


def _shown(packages: set[str]) -> list:
    """The server's filters less those added by the imports of preload entries whose packages are all hidden."""
    hidden = [f for new, added in _groups if new and not new & packages for f in added]
    return [f for f in _filters if f not in hidden]


def _logging() -> tuple | None:
    logging = sys.modules.get("logging")
    return None if logging is None else (
        logging.root.level, len(logging._handlerList), logging.root.manager.disable,  # noqa: SLF001
        logging.getLoggerClass(), logging.getLogRecordFactory())


def hide(diverged) -> None:
    """In the child: take the preloaded packages out of sys.modules until imported.
    diverged(name) is called, and must not return, when an import would differ."""
    hidden = {name: sys.modules.pop(name) for name in _packages if name in sys.modules}
    if hidden:
        warnings.filters[:] = _hidden_filters
        warnings._filters_mutated()  # noqa: SLF001
        sys.meta_path.insert(0, _Finder(hidden, diverged))


class _Finder:
    def __init__(self, hidden: dict, diverged) -> None:
        self.hidden, self.diverged = hidden, diverged
        self.shown: set[str] = set()
        self.filters = _hidden_filters

    def find_spec(self, name, path=None, target=None):
        module = self.hidden.get(name)
        if module is None:
            return None
        if os.environ._data != _env or warnings.filters != self.filters or _logging() != _log:  # noqa: SLF001
            self.diverged(name)
        for dep in _packages[name]:
            if dep in self.hidden:
                self.shown.add(dep)
                if dep != name:
                    sys.modules[dep] = self.hidden.pop(dep)
        del self.hidden[name]
        self.filters = _shown(self.shown)
        warnings.filters[:] = self.filters
        warnings._filters_mutated()  # noqa: SLF001
        if not self.hidden:
            sys.meta_path.remove(self)
        return ModuleSpec(name, _Loader(module))


class _Loader:
    """Hands the import machinery the module already imported, as it was."""

    def __init__(self, module) -> None:
        self.module, self.spec = module, module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module) -> None:
        module.__spec__ = self.spec  # the machinery set it to the one this finder made
