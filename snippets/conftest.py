"""pytest runs every snippet as a doctest; each must see a fresh interpreter, as
`python -m doctest FILE` does. So each doctest item runs in a forked copy of
this process, which imported torch, numpy and matplotlib and computed nothing,
with a new empty working folder and fresh random seeds: what a snippet
changes dies with its copy, as in the build's engine (snipdoc/forkserver.py).
Reports come back the way pytest-xdist sends them between processes. The
snippets are collected before tests/ (pyproject's testpaths), so the forks
happen while pytest has no other thread (browser tests start some), and a
copy that hangs anyway is stopped after TIMEOUT seconds."""

import json
import os
import random
import select
import shutil
import signal
import sys
import tempfile
import time

import matplotlib.pyplot  # noqa: F401  (imported once, before any fork)
import numpy
import pytest
import torch
from _pytest.reports import TestReport
from _pytest.runner import runtestprotocol


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if not isinstance(item, pytest.DoctestItem):
        return None
    hook = item.ihook
    hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    folder = tempfile.mkdtemp(prefix="snippet-")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy: run the item, send its reports, leave without cleanup
        os.close(read)
        try:
            _fresh(folder)
            reports = runtestprotocol(item, log=False, nextitem=None)
            data = json.dumps([item.config.hook.pytest_report_to_serializable(config=item.config, report=r)
                               for r in reports]).encode()
            with os.fdopen(write, "wb") as f:
                f.write(data)
        finally:
            os._exit(0)
    os.close(write)
    data = _read_until(read, time.monotonic() + TIMEOUT)
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


TIMEOUT = 120  # seconds one snippet may run here


def _read_until(fd, deadline):
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _fresh(folder):
    random.seed()
    numpy.random.seed()
    torch.default_generator.seed()
    os.chdir(folder)  # files a snippet writes land here, not in the repository
    sys.path[0:0] = [folder]
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
