"""pytest runs every snippet as a doctest; each must see a fresh interpreter, as
`python -m doctest FILE` does. So each doctest item runs in a forked copy of
this process, which imported torch, numpy and matplotlib and computed nothing,
with a new empty working folder and fresh random seeds: what a snippet
changes dies with its copy, as in the build's engine (snipdoc/forkserver.py).
Reports come back the way pytest-xdist sends them between processes."""

import json
import os
import random
import shutil
import sys
import tempfile

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
    with os.fdopen(read, "rb") as f:
        data = f.read()
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


def _fresh(folder):
    random.seed()
    numpy.random.seed()
    torch.default_generator.seed()
    os.chdir(folder)  # files a snippet writes land here, not in the repository
    sys.path[0:0] = [folder]
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
