"""One entry point for the build, the record command and the tests.

``Engine.result`` returns a snippet's run, from the cache when nothing that
can change its output changed, otherwise from the warm worker.
``Engine.problems`` turns a run into messages that name the snippet's line.
"""

from __future__ import annotations

import difflib
import threading
from pathlib import Path

from . import cache
from .parse import Snippet, SnippetError, parse_snippet
from .worker import Worker


class Engine:
    def __init__(self, snippets_dir: Path, cache_dir: Path, timeout: float = 60, output_limit: int = 100_000):
        self.snippets_dir = snippets_dir
        self.cache = cache.Cache(cache_dir)
        self.settings = {"timeout": timeout, "output_limit": output_limit}
        self.worker = Worker(snippets_dir, timeout, output_limit)
        self.env = cache.environment()
        self.runs = 0  # snippets actually executed (cache misses)
        self.failed: dict[str, dict] = {}  # failed runs of this build, so one build runs each once
        self.lock = threading.RLock()
        self.background: threading.Thread | None = None

    def load(self, name: str, where: str = "") -> Snippet:
        path = self.snippets_dir / name
        if not path.is_file():
            raise SnippetError(f"{where}snippet '{name}' not found (looked for {self.display(path)})")
        return parse_snippet(path, self.display(path))

    def display(self, path: Path) -> str:
        """The path as the author types it: relative to the project folder."""
        try:
            return str(path.relative_to(self.snippets_dir.parent))
        except ValueError:
            return str(path)

    def key(self, snippet: Snippet) -> str:
        """The cache key: everything that can change what the snippet prints."""
        helpers = cache.helper_files([e.source for e in snippet.examples], self.snippets_dir)
        return cache.cache_key(snippet.path.read_bytes(), helpers, self.env, self.settings)

    def result(self, snippet: Snippet, use_cache: bool = True) -> dict:
        with self.lock:  # one worker: the build and the background thread take turns
            return self._result(snippet, use_cache)

    def _result(self, snippet: Snippet, use_cache: bool) -> dict:
        if not use_cache:
            self.runs += 1
            return self.worker.run(snippet.name, snippet.path, snippet.text)
        key = self.key(snippet)
        if (hit := self.failed.get(key) or self.cache.get(key)) is not None:
            return hit
        self.runs += 1
        result = self.worker.run(snippet.name, snippet.path, snippet.text)
        if self.problems(snippet, result):
            self.failed[key] = result  # not on disk: a failure is retried on the next build
        else:
            self.cache.put(key, result)
        return result

    def new_build(self) -> None:
        self.wait()
        self.failed.clear()

    def in_background(self, snippets: list[Snippet] | None = None) -> None:
        """Run these snippets (or just start the worker) on the other core, while
        the build renders pages; the build finds their results in the cache."""

        def work():
            if snippets is None:
                with self.lock:
                    self.worker.warm()
            for snippet in snippets or ():
                self.result(snippet)

        self.wait()
        self.background = threading.Thread(target=work, daemon=True)
        self.background.start()

    def wait(self) -> None:
        if self.background is not None:
            self.background.join()
            self.background = None

    def problems(self, snippet: Snippet, result: dict) -> list[str]:
        if "crash" in result:
            line = result.get("lineno") or snippet.examples[0].lineno
            return [f"{snippet.name}:{line}: {result['crash']}"]
        out = []
        for example, run in zip(snippet.examples, result["examples"]):
            where = f"{snippet.name}:{run.get('error_line') or example.lineno}"
            if run["status"] == "exception":
                out.append(f"{where}: unexpected exception: {run['error']}")
            elif run["status"] == "too_large":
                out.append(f"{where}: {run['error']}")
            elif run["status"] == "mismatch":
                out.append(f"{where}: output differs from the recorded one (run the record command to accept it):\n"
                           + diff(example.want, run["got"], f"{snippet.name}:{example.lineno}"))
        return out

    def close(self) -> None:
        self.wait()
        self.worker.close()


def diff(want: str, got: str, where: str) -> str:
    lines = difflib.unified_diff(
        want.splitlines(keepends=True), got.splitlines(keepends=True),
        fromfile=f"{where} (recorded)", tofile=f"{where} (actual)", lineterm="\n",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n")
