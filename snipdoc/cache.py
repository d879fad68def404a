"""Content-addressed cache of snippet runs.

The key covers everything that can change what a snippet prints: its bytes,
the local helper modules it imports, the versions of Python and of the
packages that print, and the engine's own version and settings. An entry
that cannot be read back intact is treated as missing, so a truncated or
corrupted file costs a re-run, never a wrong page.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from importlib import metadata
from pathlib import Path

ENGINE_VERSION = "2"
PRINTING_PACKAGES = ("torch", "numpy", "matplotlib")
_IMPORT = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", re.M)


def environment() -> dict:
    """Versions that affect outputs, read without importing torch."""
    versions = {}
    for name in PRINTING_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": sys.version, "engine": ENGINE_VERSION, **versions}


def helper_files(sources: list[str], snippets_dir: Path) -> list[Path]:
    """Local modules (next to the snippets) that the examples import."""
    found = []
    for name in sorted({m for src in sources for m in _IMPORT.findall(src)}):
        module = snippets_dir / f"{name}.py"
        package = snippets_dir / name
        if module.is_file():
            found.append(module)
        elif (package / "__init__.py").is_file():
            found.extend(sorted(package.rglob("*.py")))
    return found


def cache_key(data: bytes, helpers: list[Path], env: dict, settings: dict) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([env, settings], sort_keys=True).encode())
    h.update(hashlib.sha256(data).digest())
    for path in helpers:
        h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


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
