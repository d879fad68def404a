"""The long-lived worker process and the handle the build uses to talk to it.

torch is imported once per worker, on the first snippet, so a build that finds
everything in the cache never starts a worker and never imports torch. A
snippet that hangs or kills the process fails alone: the handle kills or reaps
the worker and starts a new one for the next snippet.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .run import LINE_MARK


class Worker:
    def __init__(self, snippets_dir: Path, timeout: float, output_limit: int) -> None:
        self.snippets_dir = snippets_dir
        self.timeout = timeout
        self.output_limit = output_limit
        self.proc: subprocess.Popen | None = None
        self.stderr = None
        self.starts = 0  # how many processes were started; tests read it

    def _start(self) -> None:
        env = dict(os.environ, MPLBACKEND="Agg")
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "snipdoc.worker", str(self.snippets_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
        )
        self.starts += 1

    def run(self, name: str, path: Path, text: str) -> dict:
        """Run a snippet; failures of the process itself come back as {'crash': message}."""
        return self._ask({"name": name, "path": str(path), "text": text, "output_limit": self.output_limit})

    def warm(self) -> None:
        """Start the process and import torch now, so the next snippet does not wait for it."""
        if self.proc is None or self.proc.poll() is not None:
            self._ask({})

    def _ask(self, request: dict) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return self._death()
        line = self._read_line(time.monotonic() + self.timeout)
        if line is None:
            self.proc.kill()
            return dict(self._death(), crash=f"timed out after {self.timeout:g} s (timeout); the snippet was stopped")
        if not line:
            return self._death()
        return json.loads(line)

    def _read_line(self, deadline: float) -> bytes | None:
        fd = self.proc.stdout.fileno()
        chunks = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b""
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                return b"".join(chunks)

    def _death(self) -> dict:
        code = self.proc.wait()
        self.stderr.seek(0)
        lines = self.stderr.read().decode(errors="replace").strip().split("\n")
        marks = [line for line in lines if line.startswith(LINE_MARK)]
        tail = [line for line in lines if not line.startswith(LINE_MARK)][-1:]
        tail = tail[0][:300] if tail else ""
        self.proc = None
        if code < 0:
            how = f"killed by {signal.Signals(-code).name}"
            if -code == signal.SIGKILL:
                how += " (out of memory?)"
        else:
            how = f"exited with code {code}"
        return {
            "crash": f"the snippet ended its process: {how}" + (f"; last message: {tail}" if tail else ""),
            "lineno": int(marks[-1][len(LINE_MARK):]) if marks else None,
        }

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def main() -> None:
    """Worker side: one JSON request per line on stdin, one reply per line."""
    reply = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # stray writes to fd 1 must not corrupt the replies
    sys.path.insert(0, sys.argv[1])
    fresh = None
    from .parse import SnippetError, parse_snippet
    from .run import run_snippet
    from .state import FreshState

    for line in sys.stdin:
        request = json.loads(line)
        if fresh is None:
            import torch  # noqa: F401  (once per worker, then warm)

            fresh = FreshState()
        if not request:  # a warm-up: torch is imported now
            result = {}
        else:
            try:
                snippet = parse_snippet(Path(request["path"]), request["name"], request["text"].encode())
                result = run_snippet(snippet, request["output_limit"])
            except SnippetError as exc:
                result = {"crash": str(exc)}
            finally:
                fresh.restore()
        reply.write(json.dumps(result) + "\n")
        reply.flush()


if __name__ == "__main__":
    main()
