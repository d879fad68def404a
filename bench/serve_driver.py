"""Rebuild a site the way `mkdocs serve` does, on request, and time each change
until the page shows it.

Run as ``python -m bench.serve_driver CONFIG FILE_TO_EDIT``. It does what
mkdocs/commands/serve.py does, minus the HTTP server and the file watcher:
a temporary site_dir; on_startup(command="serve") once; the first build with
the loaded config; then, for each change, a fresh load_config() and
build(config, serve_url=..., dirty=False). load_config() keeps the instance
of every plugin that defines on_startup (MkDocs' plugin cache), so the
snipdoc plugin, its cache handle and its fork server live across rebuilds
exactly as under serve.

Under serve a build never waits for a snippet: a page whose snippet is still
running shows "running", and the plugin writes a signal file in a watched
folder when the runs are done, which makes serve rebuild and the browser
reload. So a change is timed from the start of its rebuild to the end of the
rebuild that the signal triggers, when there is one: what an author waits for
before the page shows the new output. The watcher's debounce delay is not
counted.

Why not drive a real `mkdocs serve` and read its log: the log gives whole
seconds per build only at the default level, file-watch timing adds noise
of its own, and the plugin's state (server starts, runs) could not be read
to prove that the edit ran one snippet in a warm fork server.

Commands, one per line on stdin: ``edit`` (change FILE_TO_EDIT without
changing any output, then rebuild), ``build`` (rebuild, nothing changed),
``quit``. One JSON line answers each, and one the initial build.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.livereload import _serve_url


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage()[:500])


class _Server:
    """What on_serve hooks receive; watching is not needed here."""

    app = None

    def watch(self, path, func=None, recursive=True) -> None:
        pass

    def get_app(self):
        return self.app

    def set_app(self, app) -> None:
        self.app = app  # no request comes: nothing is served


def main() -> None:
    config_file, edited = sys.argv[1], Path(sys.argv[2])
    reply = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # a plugin's print must not mix with the replies
    counter = _Counter()
    logging.getLogger("mkdocs").addHandler(counter)
    original = edited.read_bytes()
    site_dir = tempfile.mkdtemp(prefix="mkdocs_")

    def get_config():
        return load_config(config_file=config_file, site_dir=site_dir)

    config = get_config()
    config.plugins.on_startup(command="serve", dirty=False)
    host, port = config.dev_addr
    mount_path = urlsplit(config.site_url or "/").path
    config.site_url = serve_url = _serve_url(host, port, mount_path)

    def builder(config=None):
        if config is None:
            config = get_config()
            config.site_url = serve_url
        build(config, serve_url=serve_url, dirty=False)
        return config

    plugin = config.plugins.get("snipdoc")
    showed_running = []
    if plugin is not None:
        # Note when a page shows "running": the plugin will then signal a reload.
        running = plugin.running

        def noting(snippet) -> None:
            showed_running.append(snippet.name)
            running(snippet)

        plugin.running = noting

    def timed(config=None) -> None:
        counter.messages.clear()
        showed_running.clear()
        signal_before = _signal(plugin)
        start = time.perf_counter()
        config = builder(config)
        first = time.perf_counter() - start
        reloads = 0
        if showed_running:
            _wait_for_change(plugin, signal_before)
            showed_running.clear()
            config = builder()  # what the signal file's change makes serve do
            reloads = 1
            if showed_running:
                raise RuntimeError(f"still running after the reload: {showed_running}")
        seconds = time.perf_counter() - start
        answer = {"seconds": seconds, "first_build": first, "reloads": reloads, "problems": counter.messages[:5]}
        if plugin is not None and plugin.engine is not None:
            # Proof of what the rebuild did: snippets run, fork servers started.
            answer.update(runs=plugin.engine.runs, server_starts=plugin.engine.pool.starts)
        reply.write(json.dumps(answer) + "\n")
        reply.flush()

    edits = 0
    try:
        timed(config)
        config.plugins.on_serve(_Server(), config=config, builder=builder)
        for line in sys.stdin:
            command = line.strip()
            if command == "edit":
                edits += 1
                edited.write_bytes(original + edit_suffix(edited, edits))
                timed()
            elif command == "build":
                timed()
            elif command == "quit":
                break
    finally:
        edited.write_bytes(original)
        config.plugins.on_shutdown()
        shutil.rmtree(site_dir, ignore_errors=True)


def _signal(plugin) -> bytes | None:
    path = getattr(plugin, "signal", None)
    try:
        return (path / "ready").read_bytes() if path is not None else None
    except OSError:
        return None


def _wait_for_change(plugin, before: bytes | None, limit: float = 600) -> None:
    if getattr(plugin, "signal", None) is None:
        raise RuntimeError("a page shows 'running' but the plugin has no reload signal (on_serve not called?)")
    deadline = time.monotonic() + limit
    while _signal(plugin) == before:
        if time.monotonic() > deadline:
            raise RuntimeError("the plugin never signalled that the runs were done")
        time.sleep(0.005)


def edit_suffix(path: Path, n: int) -> bytes:
    """A new prose line: the same examples and outputs, but bytes never seen before,
    so the snippet misses the cache in every session, not only the first."""
    line = f"修改 {n} ({time.time_ns()})\n"
    if path.suffix == ".txt":
        return f"\n{line}".encode()  # after a blank line, doctest reads it as prose
    return f"\n\n{line}".encode()


if __name__ == "__main__":
    main()
