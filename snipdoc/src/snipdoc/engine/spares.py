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

CHANNEL = 3  # the spare's descriptor for its reports, as a forked child's pipe


def mode() -> str:
    """How the engine starts a snippet's process: "fork", or "spawn" where fork is unsafe.
    SNIPDOC_START overrides it (tests run the spawn path on Linux)."""
    return os.environ.get("SNIPDOC_START") or ("spawn" if sys.platform == "darwin" else "fork")


class Spares:
    def __init__(self, count: int, preload: list[str]) -> None:
        self.count, self.preload = count, preload
        self.ready: deque[tuple[int, int, int]] = deque()  # (pid, request pipe, report pipe)
        self.fill()

    def fill(self) -> None:
        while len(self.ready) < self.count:
            self.ready.append(_spawn(self.preload))

    def take(self, request: dict) -> tuple[int, int]:
        """Give request to a spare: (its pid, the pipe its reports come on)."""
        while self.ready:
            pid, send, reports = self.ready.popleft()
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                break
            os.close(send)  # it died waiting (killed, or its imports failed)
            os.close(reports)
        else:
            pid, send, reports = _spawn(self.preload)
        data = json.dumps(request).encode()
        try:
            while data:
                data = data[os.write(send, data):]
        except BrokenPipeError:
            pass  # it died just now: its report pipe ends at once, and the server says how it ended
        os.close(send)
        self.fill()
        return pid, reports

    def close(self) -> None:
        while self.ready:
            pid, send, reports = self.ready.popleft()
            os.close(send)
            os.close(reports)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)


def _spawn(preload: list[str]) -> tuple[int, int, int]:
    requests, send = os.pipe()
    reports, channel = os.pipe()
    argv = [sys.executable, "-m", "snipdoc.engine.spares", json.dumps(preload)]
    pid = os.posix_spawn(sys.executable, argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, requests, 0), (os.POSIX_SPAWN_DUP2, channel, CHANNEL)])
    os.close(requests)
    os.close(channel)
    return pid, send, reports


def spare_main(preload: list[str]) -> None:
    """A spare: import, wait for one request, become the snippet's process."""
    os.setsid()  # its own process group: a timeout kills what it started too
    fresh.prepare(preload)
    chunks = []
    while chunk := os.read(0, 1 << 16):
        chunks.append(chunk)
    if not chunks:  # not needed: the server is closing
        os._exit(0)
    request = json.loads(b"".join(chunks))
    try:
        fresh.become_fresh(request["cwd"], request["folder"], CHANNEL)
        from .run import child_main

        child_main(request, CHANNEL)
    finally:
        os._exit(0)


if __name__ == "__main__":
    spare_main(json.loads(sys.argv[1]))
