"""Run one command and measure its wall time and the peak memory of its process tree.

A build's memory is more than its own process: the snipdoc fork server, the
children it forks and the Jupyter kernels are descendants of the build. A
forked child shares most of its pages with the server (torch is imported once),
so adding up each process's resident size would count those pages once per
child. So a thread samples /proc, following the whole tree: every POLL seconds
each process's high-water mark (VmHWM, which the kernel maintains, so a late
sample still sees it), and every PSS_POLL seconds the sum over the live
processes of their proportional set size (Pss, which divides a shared page
among its sharers, so the sum counts each page once). The peak is the larger
of the largest sampled sum and the largest single high-water mark: both are
memory that was in use at one moment. Reading Pss walks a process's page
tables (a few ms for one that imported torch), hence the slower rate.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# Fine enough for processes that live a second or more; a scan of /proc costs
# about 1 ms, so this takes ~2% of one core from the build being measured.
POLL = 0.05
# The fork server and the build live for seconds and hold most of the memory;
# a fork child lives for tens of milliseconds and holds little of its own.
PSS_POLL = 0.25


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system seconds of the process and the children it waited for
    peak: int  # bytes: see the module's docstring
    processes: int  # how many processes of the tree were seen
    returncode: int
    output: str
    timed_out: bool = False  # stopped at the timeout, with every process of its tree


class CommandFailed(RuntimeError):
    pass


def run(cmd: list[str], cwd: Path, env: dict | None = None, check: bool = True,
        timeout: float | None = None) -> Run:
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        stopped: list[int] = []
        stopper = threading.Timer(timeout or 0, lambda: stopped.append(_kill_tree(proc.pid)))
        if timeout:
            stopper.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        if timeout:
            stopper.cancel()
            stopper.join()  # a kill under way finishes before the verdict
        timed_out = bool(stopped)
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
        out.seek(0)
        output = out.read().decode(errors="replace")
    marks = dict(sampler.marks)
    # The kernel's own figure: the largest high-water mark of the command and the children it reaped.
    largest = max([usage.ru_maxrss * 1024, *marks.values()])
    cpu = usage.ru_utime + usage.ru_stime
    result = Run(seconds, cpu, max(largest, sampler.pss_peak), len(marks), proc.returncode, output, timed_out)
    if check and proc.returncode != 0:
        raise CommandFailed(f"{' '.join(map(str, cmd))} exited with {proc.returncode}:\n{output[-3000:]}")
    return result


def _kill_tree(root: int) -> int:
    """SIGKILL to the root and every descendant, found while the root still holds them
    (a process that started its own session, as the fork server's children do, is
    not in the root's process group). Returns how many were signalled."""
    killed = 0
    for _ in range(3):  # a process may start another while the tree is being read
        for pid in reversed(descendants(root)):  # the root last: its children stay findable
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    return killed


class _TreeSampler(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.marks: dict[int, int] = {}
        self.pss_peak = 0
        self._done = threading.Event()

    def run(self) -> None:
        next_pss = 0.0
        while True:
            pids = descendants(self.root)
            for pid in pids:
                hwm = _high_water_mark(pid)
                if hwm > self.marks.get(pid, 0):
                    self.marks[pid] = hwm
            if time.monotonic() >= next_pss:
                next_pss = time.monotonic() + PSS_POLL
                self.pss_peak = max(self.pss_peak, sum(_pss(pid) for pid in pids))
            if self._done.wait(POLL):
                return

    def stop(self) -> None:
        self._done.set()
        self.join()


def descendants(root: int) -> list[int]:
    """root and every process below it (one pass over /proc)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: parse after the last ')'.
        ppid = int(data[data.rindex(b")") + 2:].split(b" ", 2)[1])
        children.setdefault(ppid, []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _high_water_mark(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0
