"""Run one command and measure its wall time and the peak memory of its process tree.

A build's memory is more than its own process: the snipdoc worker and the
Jupyter kernels are grandchildren, and getrusage(RUSAGE_CHILDREN) only gives
the largest single process, never the sum of those alive together. So a
thread samples /proc every POLL seconds, following the whole tree, and keeps
each process's high-water mark (VmHWM, which the kernel maintains, so a
sample that comes late still sees the peak). The build's peak is the sum of
those marks: an upper bound of the memory in use at any one moment, and
exact when the processes peak together, as a build and its worker do.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# Fine enough for processes that live a second or more; a scan of /proc costs
# about 1 ms, so this takes ~2% of one core from the build being measured.
POLL = 0.05


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system seconds of the process and the children it waited for
    peak: int  # bytes: sum over the tree of each process's high-water mark
    processes: int  # how many processes of the tree were seen
    returncode: int
    output: str


class CommandFailed(RuntimeError):
    pass


def run(cmd: list[str], cwd: Path, env: dict | None = None, check: bool = True) -> Run:
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
        out.seek(0)
        output = out.read().decode(errors="replace")
    marks = dict(sampler.marks)
    if len(marks) <= 1:
        # A lone process: the kernel's own figure is exact. (With children it
        # is the largest of them, not this process's, so the samples stand.)
        marks[proc.pid] = max(marks.get(proc.pid, 0), usage.ru_maxrss * 1024)
    cpu = usage.ru_utime + usage.ru_stime
    result = Run(seconds, cpu, sum(marks.values()), len(marks), proc.returncode, output)
    if check and proc.returncode != 0:
        raise CommandFailed(f"{' '.join(map(str, cmd))} exited with {proc.returncode}:\n{output[-3000:]}")
    return result


class _TreeSampler(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.marks: dict[int, int] = {}
        self._done = threading.Event()

    def run(self) -> None:
        while True:
            for pid in descendants(self.root):
                hwm = _high_water_mark(pid)
                if hwm > self.marks.get(pid, 0):
                    self.marks[pid] = hwm
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


def _high_water_mark(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0
