"""Fresh interpreters started ahead, for where forking a process that imported
torch or numpy is unsafe.

On macOS, Apple's frameworks (which numpy's and torch's libraries use for BLAS
and threads) must not be used in a forked child, which is why Python's own
multiprocessing spawns there. So on macOS each snippet gets a new interpreter:
a spare, started ahead, that imports what the fork server would (the preload
list) and waits for one request; it then becomes the reference process exactly
as a forked child does (fresh.become_fresh) and exits. ``jobs`` spares are kept ready, so
the preloaded imports of the next snippet overlap the current one. Each snippet
costs those imports of CPU; that is the price of not forking.

Run as ``python -m snipdoc.engine.spares PRELOAD_JSON`` by the server (forkserver.py).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections import deque

from . import fresh


def mode() -> str:
    """How the engine starts a snippet's process: "fork", or "spawn" where fork is unsafe.
    SNIPDOC_START overrides it (tests run the spawn path on Linux)."""
    return os.environ.get("SNIPDOC_START") or ("spawn" if sys.platform == "darwin" else "fork")


class Spares:
    def __init__(self, count: int, preload: list[str]) -> None:
        self.count, self.preload = count, preload
        self.ready: deque[tuple[int, int]] = deque()  # (pid, request pipe)
        self.fill()

    def fill(self) -> None:
        while len(self.ready) < self.count:
            self.ready.append(_spawn(self.preload))

    def take(self, request: dict) -> int:
        """Give request to a spare; its pid."""
        while self.ready:
            pid, send = self.ready.popleft()
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                break
            os.close(send)  # it died waiting (killed, or its imports failed)
        else:
            pid, send = _spawn(self.preload)
        _hand(send, request)
        self.fill()
        return pid

    def close(self) -> None:
        while self.ready:
            pid, send = self.ready.popleft()
            os.close(send)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)


def start(request: dict) -> int:
    """A new interpreter that imports nothing ahead, for request; its pid."""
    pid, send = _spawn([])
    _hand(send, request)
    return pid


def _hand(send: int, request: dict) -> None:
    data = json.dumps(request).encode()
    try:
        while data:
            data = data[os.write(send, data):]
    except BrokenPipeError:
        pass  # it died just now: the server sees it end and says how
    os.close(send)


def _spawn(preload: list[str]) -> tuple[int, int]:
    requests, send = os.pipe()
    argv = [sys.executable, "-m", "snipdoc.engine.spares", json.dumps(preload)]
    pid = os.posix_spawn(sys.executable, argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, requests, 0)])
    os.close(requests)
    return pid, send


def spare_main(preload: list[str]) -> None:
    """A spare: import, wait for one request, become the snippet's process."""
    os.setpgid(0, 0)  # its own process group (a timeout kills what it started too), not a session
    fresh.prepare(preload)
    chunks = []
    while chunk := os.read(0, 1 << 16):
        chunks.append(chunk)
    if not chunks:  # not needed: the server is closing
        os._exit(0)
    request = json.loads(b"".join(chunks))
    try:
        fresh.become_fresh(request["cwd"], request["folder"])
        from .run import child_main

        child_main(request)
    finally:
        os._exit(0)


if __name__ == "__main__":
    spare_main(json.loads(sys.argv[1]))
