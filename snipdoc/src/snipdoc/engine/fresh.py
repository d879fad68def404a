"""What a snippet's process is before its snippet runs: the preloaded libraries,
imported once by the server (or by a spare), and the state a new interpreter
would have, restored in each child. The fork server and the spares both use it;
neither uses the other.

The libraries to preload come from the settings (the ``preload`` option): none
by default. Preloading only moves an import from every child to the server, so
it changes what a snippet costs, never what it prints: a preloaded module is in
``sys.modules`` before the snippet imports it, as it would be after its own
import, and its random generator is reseeded from the OS in every child, as a
new process seeds it.
"""

from __future__ import annotations

import importlib
import os
import sys
import weakref

from . import imports


def prepare(preload: list[str]) -> None:
    """Import what every snippet would import, once, to be shared by every fork."""
    import doctest  # noqa: F401

    from . import figures, run  # noqa: F401

    _readline()
    imports.preload(preload, importlib.import_module)
    if "numpy" in sys.modules:
        # numpy builds its seeding machinery on the first seed() (about 8 ms); built once
        # here, each child only draws its own fresh seed from the OS.
        sys.modules["numpy"].random.seed()
    _keep_finalizers_from_exit()


class _Imported(weakref.finalize):
    """A finalizer the preloaded imports made, kept in a registry of its own."""

    __slots__ = ()
    _registry: dict = {}


def _keep_finalizers_from_exit() -> None:
    """Objects the imports made carry exit-time finalizers (torch.library: 134 of them, 20 ms
    at every child's exit, and the scan for them copies 150 pages). What they release belongs
    to the process that imported (a folder such a finalizer removes is the server's, which
    every child would remove), and they would run after a snippet's output is recorded. So
    they move to a registry that the exit handler does not scan: each still runs when its
    object dies, in the server or in a child, as before, but never at a child's exit."""
    registry = getattr(weakref.finalize, "_registry", None)
    if not isinstance(registry, dict):
        return
    for finalizer in list(registry):
        if type(finalizer) is weakref.finalize:
            _Imported._registry[finalizer] = registry.pop(finalizer)
            finalizer.__class__ = _Imported  # same layout: its calls now look in the new registry


def _readline() -> None:
    """Import readline as doctest's runner does before a file's first example (its
    debugger, pdb.Pdb, imports it), so its 2 ms load is paid once, not in every child.
    stdin and stdout are /dev/null meanwhile, as a child has them (not terminals:
    readline then sends nothing to the terminal and reads no terminal size)."""
    saved = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    try:
        os.dup2(null, 0)
        os.dup2(null, 1)
        try:
            import readline  # noqa: F401
        except ImportError:  # not built with this Python: pdb skips it too
            pass
    finally:
        os.dup2(saved[0], 0)
        os.dup2(saved[1], 1)
        for fd in (*saved, null):
            os.close(fd)


def reseed() -> None:
    """Seeds as a new process draws them (the hash seed is pinned in the environment),
    for every generator a preloaded library already created."""
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    if "torch" in sys.modules:
        sys.modules["torch"].default_generator.seed()


def become_fresh(cwd: str, folder: str) -> None:
    """Turn this process into the one the reference command starts: its own empty
    working folder, stdin at /dev/null, no other descriptor, fresh seeds. It reports
    through a file in folder (run.py), so a snippet that closes every descriptor, or
    leaves a process behind, cannot cut or hold a channel to the server."""
    os.chdir(cwd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    log_fd = os.open(os.path.join(folder, "stderr"), os.O_WRONLY | os.O_CREAT, 0o600)
    os.dup2(log_fd, 1)  # what a snippet writes to the descriptors, not through doctest
    os.dup2(log_fd, 2)
    os.closerange(3, 1 << 16)
    reseed()


def missing(preload: list[str]) -> list[str]:
    """The preload entries whose top-level package is not installed, found without importing them."""
    from importlib.util import find_spec

    return [name for name in preload if find_spec(name.split(".")[0]) is None]
