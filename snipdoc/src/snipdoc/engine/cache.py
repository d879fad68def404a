"""Content-addressed cache of snippet runs.

The key covers what is known before a run: the snippet's bytes, the versions
of Python and of the packages that print (the ``versions`` option; by default
the preloaded ones: torch, numpy and matplotlib in these notes), the OS and machine, the pinned
environment and the engine's version. The entry adds what is known after:
the project files the run read (helper modules at any depth, data files),
with their hashes, checked on every lookup. An entry
that cannot be read back intact is treated as missing, so a truncated or
corrupted file costs a re-run, never a wrong page.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

from . import reference

ENGINE_VERSION = "3"


def packages(preload, versions=None) -> list[str]:
    """The packages whose versions are keyed: those named, or the top-level package
    of each preloaded module (matplotlib for matplotlib.pyplot)."""
    if versions is not None:
        return list(versions)
    return list(dict.fromkeys(name.split(".")[0] for name in preload))


def environment(names=()) -> dict:
    """What of the machine can change outputs, read without importing anything:
    Python, the OS, the engine, the keyed environment and the named packages' versions."""
    return {"python": sys.version, "engine": ENGINE_VERSION, "os": platform.system(),
            "machine": platform.machine(), **reference.keyed(), **{name: reference.version(name) for name in names}}


def cache_key(data: bytes, env: dict, name: str = "") -> str:
    """The snippet's bytes, its name (a run sees its own file name, in sys.argv and in
    tracebacks: two files with the same bytes are two runs) and the machine. Project files
    a run reads are not in the key (they are known only after the run): the entry lists
    them with their hashes."""
    h = hashlib.sha256()
    h.update(json.dumps(env, sort_keys=True).encode())
    h.update(hashlib.sha256(data).digest())
    if name:
        h.update(b"\0" + name.encode())
    return h.hexdigest()


def deps_unchanged(deps: dict[str, str], root: Path) -> bool:
    for rel, digest in deps.items():
        try:
            if hashlib.sha256((root / rel).read_bytes()).hexdigest() != digest:
                return False
        except OSError:
            return False
    return True


def hash_files(rels, root: Path) -> dict[str, str]:
    out = {}
    for rel in rels:
        try:
            out[rel] = hashlib.sha256((root / rel).read_bytes()).hexdigest()
        except OSError:
            out[rel] = "missing"
    return out


class Cache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def has(self, key: str) -> bool:
        """A cheap look (no read); get() still checks the entry."""
        return self._path(key).is_file()

    def get(self, key: str) -> dict | None:
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            body = json.dumps(entry["result"], sort_keys=True)
            if entry["key"] != key or entry["sha256"] != hashlib.sha256(body.encode()).hexdigest():
                return None
            return entry["result"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, result: dict) -> None:
        body = json.dumps(result, sort_keys=True)
        entry = {"key": key, "sha256": hashlib.sha256(body.encode()).hexdigest(), "result": result}
        write_atomic(self._path(key), json.dumps(entry).encode(), durable=False)


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Readers see the old file or the new one, never a part (also across processes).

    durable=False skips the flush to disk: for cache entries, where a file cut
    short by a crash fails its checksum and only costs a re-run.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
