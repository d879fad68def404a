"""pytest runs every snippet as a doctest; each must see a fresh interpreter, as
`python -m doctest FILE` does. So each doctest item runs in a forked copy of
this process, which imported what the build's snippet server preloads (the
`preload` option in mkdocs.yml: torch, numpy, matplotlib.pyplot) and computed
nothing, with a new empty working folder and fresh random seeds: what a snippet
changes dies with its copy, as in the build's engine (its forkserver module).
Reports come back the way pytest-xdist sends them between processes. The
snippets are collected before tests/ (pyproject's testpaths), so the forks
happen while pytest has no other thread (browser tests start some), and a
copy that hangs anyway is stopped after TIMEOUT seconds.

With two or more CPUs the next item's copy is started while the current one
runs (this process does nothing between the two forks that a copy could see),
so two snippets run at once and reports still come in pytest's order."""

import json
import os
import select
import shutil
import signal
import sys
import tempfile
import time

from pathlib import Path

import pytest
from _pytest.reports import TestReport
from _pytest.runner import runtestprotocol

from snipdoc.engine import forkserver, fresh, reference
from snipdoc.integration.extension import options_from

TIMEOUT = 120  # seconds one snippet may run here
AHEAD = reference.cpus() > 1

# Imported once, before any fork, as the build's server does (numpy is seeded once here
# too: its first seed() builds the seeding machinery, not to be redone in every copy).
fresh.prepare(options_from(Path(__file__).resolve().parent.parent / "mkdocs.yml").get("preload", []))
_copies = {}  # item -> (pid, read end of its pipe, its folder, when it started)
_order = {}  # item -> the item after it


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if not isinstance(item, pytest.DoctestItem):
        return None
    if not _order:
        items = item.session.items
        _order.update(zip(items, items[1:] + [None]))
        if sum(isinstance(i, pytest.DoctestItem) for i in items) >= forkserver.COLLAPSE_AT:
            forkserver.huge_pages()
    hook = item.ihook
    hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    pid, read, folder, started = _copies.pop(item, None) or _start(item, nextitem)
    if AHEAD and isinstance(nextitem, pytest.DoctestItem) and nextitem not in _copies:
        _copies[nextitem] = _start(nextitem, _order.get(nextitem))
    data = _read_until(read, started + TIMEOUT)
    if data is None:  # a hang: stop it, as the build's engine does
        os.kill(pid, signal.SIGKILL)
        data = b""
    os.close(read)
    _, status = os.waitpid(pid, 0)
    shutil.rmtree(folder, ignore_errors=True)
    if data:
        reports = [item.config.hook.pytest_report_from_serializable(config=item.config, data=raw)
                   for raw in json.loads(data)]
    else:
        reports = [TestReport(item.nodeid, item.location, {}, "failed",
                              f"the process running this snippet ended (wait status {status})", "call", [], 0)]
    for report in reports:
        hook.pytest_runtest_logreport(report=report)
    hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def pytest_sessionfinish():
    """Copies started ahead for items a stopped session (-x) never reached."""
    for pid, read, folder, _ in _copies.values():
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read)
        shutil.rmtree(folder, ignore_errors=True)
    _copies.clear()


def _start(item, nextitem):
    folder = tempfile.mkdtemp(prefix="snippet-")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy: run the item, send its reports, leave without cleanup
        os.close(read)
        try:
            _fresh(folder)
            # The real next item: with None, the copy would also tear down session fixtures
            # (a server whose thread exists only in the parent), and wait forever.
            reports = runtestprotocol(item, log=False, nextitem=nextitem)
            data = json.dumps([item.config.hook.pytest_report_to_serializable(config=item.config, report=r)
                               for r in reports]).encode()
            with os.fdopen(write, "wb") as f:
                f.write(data)
        finally:
            os._exit(0)
    os.close(write)
    return pid, read, folder, time.monotonic()


def _read_until(fd, deadline):
    chunks = []
    while True:
        # Past the deadline, what a copy started ahead already wrote is still read.
        if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _fresh(folder):
    fresh.reseed()
    os.chdir(folder)  # files a snippet writes land here, not in the repository
    sys.path[0:0] = [folder]
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
