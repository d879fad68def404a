"""Isolation by construction: every snippet runs in a forked copy of a process
that imported the preloaded libraries (the ``preload`` option; torch, numpy and
matplotlib.pyplot in these notes) and computed nothing.

The server imports the libraries once (fresh.py), then for each request forks a child
that becomes the process the reference command names (reference.py: argv,
sys.path, a new empty working folder, stdin at /dev/null, no inherited file
descriptors, fresh random seeds), runs the snippet, reports and exits.
Whatever a snippet changes dies with its child, so there is no list of state
to reset. No library operation runs in the server, so no thread pool exists
when it forks (tests/test_isolation.py checks the thread count). Where fork
is unsafe (macOS), the server forks nothing and hands each request to a fresh
interpreter started ahead instead (spares.py).

A child reports through a file in its scratch folder (run.py) and the server
learns that it ended from the kernel, so it holds no descriptor of the
server's. One that configured a preloaded library's import before importing
it runs again in a new interpreter (imports.py). Up to ``jobs`` children run
at once. A child that outlives the timeout is killed with its process group;
its scratch folder is removed however it ends.
``Pool`` is the build's handle: requests are batched down a pipe, and each
answer resolves a Future.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import fresh, reference
from .spares import Spares, mode
from .spares import start as spares_start

if TYPE_CHECKING:
    from concurrent.futures import Future

SLOW = 5.0  # seconds after which a running snippet is named in the log


class Pool:
    def __init__(self, snippets_dir: Path, root: Path, jobs: int, timeout: float, output_limit: int,
                 preload: list[str] = ()) -> None:
        self.snippets_dir, self.root = snippets_dir, root
        self.preload = list(preload)
        self.jobs = jobs or min(2, reference.cpus())
        self.timeout, self.output_limit = timeout, output_limit
        self.proc: subprocess.Popen | None = None
        self.scratch: str | None = None
        self.futures: dict[int, Future] = {}
        self.names: dict[int, str] = {}
        self.started: dict[int, float] = {}
        self.next_id = 0
        self.lock = threading.Lock()
        self.starts = 0  # server processes started; tests read it

    def submit(self, path: Path, name: str) -> Future:
        # Imported here: the server runs this module, and a logger that concurrent.futures
        # makes would be in every snippet's process, where a fresh one has none.
        from concurrent.futures import Future

        future: Future = Future()
        with self.lock:
            self._ensure()
            self.next_id += 1
            rid = self.next_id
            self.futures[rid], self.names[rid] = future, name
            request = {"id": rid, "path": str(path), "root": str(self.root), "output_limit": self.output_limit}
            try:
                self.proc.stdin.write(json.dumps(request).encode() + b"\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                pass  # the reader sees the server gone and fails every waiting future
        return future

    def warm(self) -> None:
        """Start the server now, so the first snippet does not wait for the preloaded imports."""
        with self.lock:
            self._ensure()

    def _ensure(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self.scratch = tempfile.mkdtemp(prefix="snipdoc-")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "snipdoc.engine.forkserver", self.scratch, str(self.jobs), str(self.timeout), mode(),
             json.dumps(self.preload)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=self.scratch,
            env=reference.environment(self.snippets_dir),
            # Out of the terminal's process group: Ctrl-C under `mkdocs serve` is MkDocs'
            # to handle (it closes the server), not a KeyboardInterrupt traceback here.
            start_new_session=True,
        )
        self.starts += 1
        threading.Thread(target=self._read, args=(self.proc, self.scratch), daemon=True).start()

    def _read(self, proc: subprocess.Popen, scratch: str) -> None:
        for line in proc.stdout:
            rid, event, value = json.loads(line)
            if event == "start":
                self.started[rid] = time.monotonic()
                continue
            with self.lock:
                future = self.futures.pop(rid, None)
                self.names.pop(rid, None)
                self.started.pop(rid, None)
            if future is not None:
                future.set_result(value)
        proc.wait()
        shutil.rmtree(scratch, ignore_errors=True)
        with self.lock:
            if self.proc is proc:
                self.proc = None
            waiting, self.futures = self.futures, {}
        for future in waiting.values():
            future.set_result({"crash": f"the snippet server ended (exit status {proc.returncode})"})

    def slow(self) -> list[tuple[str, float]]:
        """Snippets running for more than SLOW seconds, with how long so far."""
        now = time.monotonic()
        with self.lock:
            return [(self.names[r], now - t) for r, t in self.started.items() if now - t > SLOW and r in self.names]

    def close(self) -> None:
        with self.lock:
            proc, self.proc = self.proc, None
        if proc is not None:
            proc.stdin.close()  # the server kills its children and exits
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()



# ---- the server side -------------------------------------------------------

class _Child:
    def __init__(self, request: dict, pid: int, folder: str, deadline: float) -> None:
        self.request, self.rid, self.pid, self.folder, self.deadline = request, request["id"], pid, folder, deadline
        self.ended = _pidfd(pid)
        self.status: int | None = None

    def exited(self, ready: list[int]) -> bool:
        if self.ended is not None and self.ended not in ready:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid:
            self.status = status
        return bool(pid)


POLL = 0.02  # seconds between looks at the children where the kernel gives no process descriptor


def _pidfd(pid: int) -> int | None:
    """A descriptor readable when the process ends (Linux 5.3+), or None: then the loop polls."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def serve(scratch: str, jobs: int, timeout: float, spares: Spares | None = None) -> None:
    """Server loop: requests on stdin, ``[id, event, value]`` lines on stdout.
    With spares, each snippet runs in a fresh interpreter instead of a fork."""
    reply = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # a stray write to fd 1 must not corrupt the replies
    children: dict[int, _Child] = {}  # by pid
    try:
        _serve(reply, scratch, jobs, timeout, spares, children)
    except BrokenPipeError:
        pass  # the client was killed (SIGTERM to `mkdocs serve`): nobody is left to answer
    for child in children.values():  # stop what still runs, and leave
        _kill(child.pid)
        os.waitpid(child.pid, 0)
        shutil.rmtree(child.folder, ignore_errors=True)


def _serve(reply, scratch: str, jobs: int, timeout: float, spares: Spares | None, children: dict) -> None:
    queue: list[dict] = []
    buffer = b""
    collapsed = False
    while True:
        while queue and len(children) < jobs:
            request = queue.pop(0)
            child = _start(request, scratch, timeout, spares)
            children[child.pid] = child
            reply.write(json.dumps([child.rid, "start", None]) + "\n")
            reply.flush()
        if not collapsed and spares is None and len(queue) >= COLLAPSE_AT:  # while the first children run
            huge_pages()
            collapsed = True
        wait = min((c.deadline for c in children.values()), default=None)
        if wait is not None:
            wait = max(0.0, wait - time.monotonic())
            if any(c.ended is None for c in children.values()):
                wait = min(wait, POLL)
        fds = [c.ended for c in children.values() if c.ended is not None] + [0]
        ready = select.select(fds, [], [], wait)[0]
        if 0 in ready:
            data = os.read(0, 1 << 16)
            if not data:  # the build is done
                return
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            queue += [json.loads(line) for line in lines if line.strip()]
        now = time.monotonic()
        for pid, child in list(children.items()):
            if child.exited(ready):
                timed_out = None
            elif now >= child.deadline:
                _kill(child.pid)
                timed_out = f"timed out after {timeout:g} s (timeout); the snippet was stopped"
            else:
                continue
            del children[pid]
            again = _finish(child, reply, timed_out, timeout)
            if again is not None:
                children[again.pid] = again


def _start(request: dict, scratch: str, timeout: float, spares: Spares | None, bare: bool = False) -> _Child:
    folder = os.path.join(scratch, str(request["id"]))
    cwd = os.path.join(folder, "cwd")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(cwd)
    request = {**request, "folder": folder, "cwd": cwd}
    if bare:
        return _Child(request, spares_start(request), folder, time.monotonic() + timeout)
    if spares is not None:
        return _Child(request, spares.take(request), folder, time.monotonic() + timeout)
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (the child)
        try:
            # Its own process group, so that a timeout kills what it started too; not its own
            # session (setsid), which a snippet could see (os.setpgrp() would then fail).
            os.setpgid(0, 0)
            fresh.become_fresh(cwd, folder)
            from .run import child_main

            child_main(request)
        finally:
            os._exit(0)
    return _Child(request, pid, folder, time.monotonic() + timeout)


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def _finish(child: _Child, reply, timed_out: str | None, timeout: float) -> _Child | None:
    """Answer for a child that ended, or start the new interpreter it asked for."""
    if child.ended is not None:
        os.close(child.ended)
    status = child.status if child.status is not None else os.waitpid(child.pid, 0)[1]
    _kill(child.pid)  # processes the snippet started and left behind
    result, line, reads, diverged = _reports(child.folder)
    if diverged and not timed_out:
        return _start(child.request, os.path.dirname(child.folder), timeout, None, bare=True)
    if timed_out or result is None:
        result = {"crash": timed_out or _death(status, child.folder), "lineno": line, "reads": sorted(reads)}
    shutil.rmtree(child.folder, ignore_errors=True)
    reply.write(json.dumps([child.rid, "result", result]) + "\n")
    reply.flush()
    return None


def _reports(folder: str) -> tuple[dict | None, int | None, set[str], bool]:
    """What the child wrote to its report file (run.py): the result, the line it was
    running, the project files it read, and whether it asked for a new interpreter."""
    result, line, reads, diverged = None, None, set(), False
    try:
        with open(os.path.join(folder, "report"), "rb") as f:
            lines = f.read().split(b"\n")
    except OSError:
        lines = []
    for raw in lines:
        try:
            kind, value = json.loads(raw)
        except ValueError:
            continue  # empty, or cut short by a kill
        if kind == "line":
            line = value
        elif kind == "read":
            reads.add(value)
        elif kind == "fresh":
            diverged = True
        else:
            result = value
    return result, line, reads, diverged


def _death(status: int, folder: str) -> str:
    try:
        with open(os.path.join(folder, "stderr"), "rb") as f:
            lines = [ln for ln in f.read().decode(errors="replace").strip().split("\n") if ln.strip()]
    except OSError:
        lines = []
    tail = lines[-1][:300] if lines else ""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        how = f"killed by {signal.Signals(sig).name}" + (" (out of memory?)" if sig == signal.SIGKILL else "")
    else:
        how = f"exited with code {os.WEXITSTATUS(status)}"
    return f"the snippet ended its process: {how}" + (f"; last message: {tail}" if tail else "")


# Worth its cost (about 0.4 s, once) only for a long queue, e.g. a cold build of a course.
COLLAPSE_AT = 64


def huge_pages() -> None:
    """Back the server's heap with 2 MiB pages where Linux allows it (MADV_COLLAPSE,
    Linux 6.1+, transparent huge pages not "never"): fork() then copies one page table
    entry per 2 MiB instead of 512, which halves a snippet's fork and exit. Contents are
    unchanged; elsewhere, or when refused, nothing happens."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madv_hugepage, madv_collapse, huge = 14, 25, 1 << 21
    with open("/proc/self/maps") as f:
        regions = [line.split() for line in f]
    for fields in regions:
        # Private writable memory that is no file: the heap and anonymous mappings.
        if "w" not in fields[1] or (len(fields) > 5 and fields[5] != "[heap]"):
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        start, end = -(-start // huge) * huge, end // huge * huge
        if end > start and libc.madvise(start, end - start, madv_hugepage) == 0:
            libc.madvise(start, end - start, madv_collapse)


def main() -> None:
    scratch, jobs, timeout, how = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    preload = json.loads(sys.argv[5])
    if how == "fork":
        fresh.prepare(preload)
        serve(scratch, jobs, timeout)
    else:
        spares = Spares(jobs, preload)
        try:
            serve(scratch, jobs, timeout, spares)
        finally:
            spares.close()
    # The client removes the folder too, unless it was killed (SIGTERM to `mkdocs serve`).
    shutil.rmtree(scratch, ignore_errors=True)
    # Every child is reaped and every reply written. The interpreter's teardown with
    # torch preloaded takes about 0.6 s, and the build waits for the server to end.
    os._exit(0)


if __name__ == "__main__":
    main()
