"""Run one snippet in this process, the way ``python -m doctest FILE`` does.

This runs in a forked child that exits afterwards (see forkserver.py). The
file is read and parsed by doctest's own functions, with the same runner
class, option flags, globals and compiled file names, so success, failure and
what is printed are doctest's. What is added only observes: each example's
output is kept under that example (skipped ones included), matplotlib figures
are captured after each part and at the end, and the project files the run
reads are listed with their hashes for the cache.
"""

from __future__ import annotations

import atexit
import doctest
import hashlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

from . import figures, imports
from .parse import part_ends

TRACEBACK_HEADER = "Traceback (most recent call last):\n"


class _KeepingSpoofOut(doctest._SpoofOut):
    """doctest empties its output buffer before reporting an unexpected
    exception; keep what the example printed so the report can show it."""

    last = ""

    def truncate(self, size=None):
        self.last = self.getvalue()
        super().truncate(size)


class Recorder(doctest.DocTestRunner):
    def __init__(self, test: doctest.DocTest, ends: set[int], send) -> None:
        super().__init__(verbose=False, optionflags=0)
        self._fakeout = _KeepingSpoofOut()
        self.test = test
        self.ends = ends
        self.send = send
        self.shown: dict[int, str] = {}
        self.index = {id(e): i for i, e in enumerate(test.examples)}
        self.outcomes = [{"status": "skipped", "got": "", "lineno": e.lineno + 1, "figures": []}
                         for e in test.examples]

    def report_start(self, out, test, example):
        # If the example kills the process, the server names this line.
        self.send("line", example.lineno + 1)

    def report_success(self, out, test, example, got):
        self._done(example, {"status": "ok", "got": self._elided(got)})

    def report_failure(self, out, test, example, got):
        self._done(example, {"status": "mismatch", "got": self._elided(got)})

    def report_unexpected_exception(self, out, test, example, exc_info):
        tb = "".join(traceback.format_exception(*exc_info))
        self._done(example, {
            "status": "exception",
            "got": self._fakeout.last + elide_traceback(tb),
            "printed": self._fakeout.last,
            "error": tb.rstrip("\n").split("\n")[-1],
            "error_line": _error_line(test, exc_info),
        })

    def _elided(self, got: str) -> str:
        """doctest appends a full traceback to what an example printed when it
        raised; record it in doctest's abbreviated form. Printed text that only
        looks like a traceback is left alone."""
        printed = self._fakeout.last
        if got.startswith(printed) and got[len(printed):].startswith(TRACEBACK_HEADER):
            return printed + elide_traceback(got[len(printed):])
        return got

    def _done(self, example, outcome: dict) -> None:
        i = self.index[id(example)]
        self.outcomes[i].update(outcome)
        if i in self.ends and i != len(self.test.examples) - 1:
            self.outcomes[i]["figures"] = self._capture(i, forked=True)

    def capture_last(self) -> None:
        """Figures open at the end; no example runs after them, so no fork is needed."""
        for i in range(len(self.test.examples) - 1, -1, -1):
            if self.outcomes[i]["status"] != "skipped" or i == 0:
                self.outcomes[i]["figures"] += self._capture(i, forked=False)
                return

    def _capture(self, i: int, forked: bool) -> list[dict]:
        try:
            drawn = figures.capture(forked)
        except figures.CaptureError as exc:
            self.outcomes[i]["figure_error"] = str(exc)
            return []
        new = [f for f in drawn if self.shown.get(f["num"]) != f["light"]]
        self.shown.update((f["num"], f["light"]) for f in drawn)
        return [{"light": f["light"], "dark": f["dark"]} for f in new]


def _error_line(test, exc_info) -> int:
    """Line of the snippet file where the exception was raised or the syntax error is."""
    exc = exc_info[1]
    names = {f"<doctest {test.name}[{i}]>": e for i, e in enumerate(test.examples)}
    if isinstance(exc, SyntaxError) and exc.filename in names:
        return names[exc.filename].lineno + (exc.lineno or 1)
    line = None
    for frame, lineno in traceback.walk_tb(exc_info[2]):
        example = names.get(frame.f_code.co_filename)
        if example is not None:
            line = example.lineno + lineno
    return line or 0


def elide_traceback(tb: str) -> str:
    """doctest's abbreviated form of a traceback: header, '...', the exception lines."""
    lines = tb[len(TRACEBACK_HEADER):].split("\n")
    i = 0
    while i < len(lines) and (lines[i].startswith(" ") or not lines[i]):
        i += 1
    return TRACEBACK_HEADER + "    ...\n" + "\n".join(lines[i:])


def run_file(path: str, root: str, output_limit: int, send) -> dict:
    """Run the snippet at path (absolute) as the child's whole job."""
    reads, imported = _watch_reads(Path(root), Path(os.getcwd()), Path(path), send)
    start = time.monotonic()
    # As doctest.testfile(path, module_relative=False) reads and names it.
    text, filename = doctest._load_testfile(path, None, False, "utf-8")
    test = doctest.DocTestParser().get_doctest(text, {"__name__": "__main__"}, os.path.basename(path), filename, 0)
    for example in test.examples:
        # After a failure doctest runs such an example without reporting it, so the
        # recorder would never see it; failures are counted the same without the flag.
        example.options.pop(doctest.REPORT_ONLY_FIRST_FAILURE, None)
    runner = Recorder(test, part_ends(text, [e.lineno for e in test.examples]), send)
    runner.run(test)
    runner.capture_last()
    elapsed = time.monotonic() - start
    for outcome in runner.outcomes:
        _limit(outcome, output_limit)
    return {"examples": runner.outcomes, "deps": _hashes(reads, imported, Path(root)), "elapsed": elapsed,
            "max_output": max((len(o["got"]) for o in runner.outcomes), default=0)}


def _limit(outcome: dict, output_limit: int) -> None:
    size = len(outcome["got"])
    if size > output_limit:
        outcome["got"] = outcome["got"][:output_limit] + (
            f"\n... output truncated: {size:,} characters, over the limit of {output_limit:,}\n"
        )
        outcome["status"] = "too_large"
        outcome["error"] = f"output is {size:,} characters, over the limit of {output_limit:,} (output_limit)"


def _watch_reads(root: Path, scratch: Path, snippet: Path, send) -> tuple[set[str], set[str]]:
    """Project files the run opens for reading (data files, helper modules), each
    also sent at once, so a run that is killed still names what it read; and the
    names of the modules it imports."""
    seen: set[str] = set()
    imported: set[str] = set()
    skip = (str(scratch) + os.sep, sys.prefix + os.sep, str(snippet))
    prefix = str(root) + os.sep

    def hook(event, args):
        if event == "import":
            imported.add(args[0])
            return
        if event != "open" or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        mode, flags = args[1], args[2]
        if (mode and ("w" in mode or "a" in mode or "x" in mode)) or (mode is None and flags & (os.O_WRONLY | os.O_RDWR)):
            return
        try:
            path = os.path.abspath(os.fsdecode(args[0]))
        except OSError:  # a relative name after the working folder was deleted: not a project file
            return
        if "__pycache__" in path:  # a module loaded from bytecode: its source is what the author edits
            folder, file = os.path.split(path)
            path = os.path.join(os.path.dirname(folder), file.split(".")[0] + ".py")
        if path.startswith(prefix) and not path.startswith(skip) and path not in seen:
            seen.add(path)
            send("read", os.path.relpath(path, root))

    sys.addaudithook(hook)
    return seen, imported


def _hashes(seen: set[str], imported: set[str], root: Path) -> dict[str, str]:
    # A module loaded from its .pyc is never opened as source: add what the snippet imported.
    # Only those: looking at every module in sys.modules would touch (and copy) pages all
    # over the heap this process shares with the server.
    for name in imported:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and os.path.abspath(file).startswith(str(root) + os.sep) and not file.startswith(sys.prefix + os.sep):
            seen.add(os.path.abspath(file))
    out = {}
    for path in sorted(seen):
        try:
            out[os.path.relpath(path, root)] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            continue
    return out


def child_main(request: dict) -> None:
    """Entry of a snippet's process: become the process the reference command names, run, report."""
    send = _sender(os.path.join(request["folder"], "report"))
    imports.hide(lambda name: _diverged(send, name))
    sys.argv = [doctest.__file__, request["path"]]
    sys.path[0] = os.getcwd()
    try:
        result = run_file(request["path"], request["root"], request["output_limit"], send)
    except BaseException as exc:  # noqa: BLE001  (a snippet may raise SystemExit at top level)
        result = {"crash": f"{type(exc).__name__}: {exc}"}
    send("result", result)
    # The child leaves by os._exit, which skips them: a fresh interpreter runs its exit
    # handlers (multiprocessing's removes its pymp-* folder), and so does this process.
    try:
        atexit._run_exitfuncs()
    except BaseException:  # noqa: BLE001  (the result is sent; a handler's failure changes nothing shown)
        pass


def _diverged(send, name: str) -> None:
    """The snippet imports a preloaded package after changing what its import reads:
    only a new interpreter gives what the reference gives (forkserver.py starts one)."""
    send("fresh", name)
    os._exit(0)


def _sender(path: str):
    # Appended to a file, opened for each report: the process holds no descriptor a
    # snippet could close, or a process it leaves running could keep open.
    def send(kind: str, value) -> None:
        data = (json.dumps([kind, value]) + "\n").encode()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)

    return send
