"""One entry point for the build, the record command and the tests.

``Engine.result`` returns a snippet's run: from the cache when nothing that
can change its output changed, otherwise from a forked child of the server
(forkserver.py). ``Engine.poll`` is the same without waiting, for serve.
``Engine.problems`` turns a run into messages that name the snippet's line.
"""

from __future__ import annotations

import difflib
import threading
from concurrent.futures import Future
from pathlib import Path

from . import cache, reference
from .forkserver import Pool
from .parse import Snippet, SnippetError, parse_snippet

RECORD_HINT = "make record FILES={}"
DIFFERS = "output differs from the recorded one"


class Engine:
    def __init__(self, snippets_dir: Path, cache_dir: Path, timeout: float = 60, output_limit: int = 100_000,
                 jobs: int = 0, root: Path | None = None, preload=(), versions=None,
                 reference_platform: dict | None = None):
        self.snippets_dir = snippets_dir
        self.root = root or snippets_dir.parent
        self.cache = cache.Cache(cache_dir)
        self.timeout, self.output_limit = timeout, output_limit
        self.preload = list(preload)
        self.packages = cache.packages(self.preload, versions)
        self.pool = Pool(snippets_dir, self.root, jobs, timeout, output_limit, self.preload)
        self.env = cache.environment(self.packages)
        self.declared = reference.declared(reference_platform)
        self.on_reference = reference.on_reference(self.env, self.declared)
        self.differences: dict[str, str] = {}  # file:line -> snippet, off the reference platform
        self.runs = 0  # snippets actually executed (cache misses)
        # Failed runs, in memory only: kept until the snippet, what it read, or the
        # settings change, so an unrelated edit under serve never re-runs them.
        self.failed: dict[str, dict] = {}
        self.pending: dict[str, Future] = {}
        self.lock = threading.RLock()

    def platform_here(self) -> dict:
        return reference.platform_here(self.env, self.declared)

    def load(self, name: str, where: str = "") -> Snippet:
        path = self.snippets_dir / name
        if not path.is_file():
            raise SnippetError(f"{where}snippet '{name}' not found (looked for {self.display(path)})" + self._near(name))
        return parse_snippet(path, self.display(path))

    def _near(self, name: str) -> str:
        names = [p.relative_to(self.snippets_dir).as_posix() for p in self.snippets_dir.rglob("*.txt")]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        return f"; did you mean {', '.join(close)}?" if close else ""

    def display(self, path: Path) -> str:
        """The path as the author types it: relative to the project folder."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def key(self, snippet: Snippet) -> str:
        return cache.cache_key(snippet.path.read_bytes(), self.env, snippet.name)

    def fingerprint(self, snippet: Snippet) -> str:
        """The key plus the hashes of the files its cached run read: changes whenever the output can."""
        hit = self._lookup(self.key(snippet))
        deps = sorted((hit or {}).get("deps", {}).items())
        return self.key(snippet) + (str(deps) if deps else "")

    def _valid(self, result: dict) -> bool:
        if result.get("settings") is not None:
            # A failure holds under the settings it failed under (until a file it read
            # changes); under others it may pass. Without this an output over the limit
            # was never valid, and `mkdocs serve` re-ran it on every rebuild, forever.
            return result["settings"] == [self.timeout, self.output_limit] and \
                cache.deps_unchanged(result.get("deps", {}), self.root)
        # A run that passed within the timeout and under the limit is valid under any
        # settings it also fits: changing them re-runs only what they can change.
        return (result.get("elapsed", 0) < self.timeout and result.get("max_output", 0) <= self.output_limit
                and cache.deps_unchanged(result.get("deps", {}), self.root))

    def _lookup(self, key: str) -> dict | None:
        with self.lock:
            for hit in (self.failed.get(key), self.cache.get(key)):
                if hit is not None and self._valid(hit):
                    return hit
        return None

    def submit(self, snippet: Snippet) -> Future:
        """The run of this snippet, from the cache or started now (once, however often asked)."""
        key = self.key(snippet)
        with self.lock:
            if (hit := self._lookup(key)) is not None:
                done: Future = Future()
                done.set_result(hit)
                return done
            if key in self.pending:
                return self.pending[key]
            self.runs += 1
            future = self.pool.submit(snippet.path, snippet.name)
            self.pending[key] = outer = Future()

        def store(f: Future) -> None:
            result = self._complete(f.result())
            with self.lock:
                if self.problems(snippet, result):
                    result["settings"] = [self.timeout, self.output_limit]
                    self.failed[key] = result
                else:
                    self.cache.put(key, result)
                self.pending.pop(key, None)
            outer.set_result(result)

        future.add_done_callback(store)
        return outer

    def _complete(self, result: dict) -> dict:
        if "crash" in result:
            result["deps"] = cache.hash_files(result.pop("reads", []), self.root)
        return result

    def result(self, snippet: Snippet, use_cache: bool = True) -> dict:
        if not use_cache:
            self.runs += 1
            return self._complete(self.pool.submit(snippet.path, snippet.name).result())
        return self.submit(snippet).result()

    def poll(self, snippet: Snippet, wait: float = 0) -> dict | None:
        """The result if it is ready within wait seconds; otherwise start it (once) and return None."""
        future = self.submit(snippet)
        try:
            return future.result(timeout=max(wait, 0))
        except TimeoutError:
            return None

    def prefetch(self, snippets: list[Snippet]) -> list[Future]:
        return [self.submit(s) for s in snippets]

    def idle(self) -> bool:
        with self.lock:
            return not self.pending

    def problems(self, snippet: Snippet, result: dict) -> list[str]:
        if "crash" in result:
            line = result.get("lineno") or snippet.examples[0].lineno
            return [f"{snippet.name}:{line}: {result['crash']}"]
        out = []
        for example, run in zip(snippet.examples, result["examples"]):
            where = f"{snippet.name}:{run.get('error_line') or example.lineno}"
            if run["status"] == "exception":
                printed = run.get("printed", "")
                out.append(f"{where}: unexpected exception: {run['error']}"
                           + (f"\n  printed before it:\n{_indent(printed)}" if printed.strip() else ""))
            elif run["status"] == "too_large":
                out.append(f"{where}: {run['error']}")
            elif run["status"] == "mismatch" and not self.on_reference:
                # Another platform may print a last digit differently: shown, noted, listed.
                self.differences[f"{snippet.name}:{example.lineno}"] = snippet.name
            elif run["status"] == "mismatch":
                out.append(f"{where}: {DIFFERS}; to accept it: "
                           f"{RECORD_HINT.format(snippet.name)}\n"
                           + diff(example.want, run["got"], f"{snippet.name}:{example.lineno}"))
            if run.get("figure_error"):
                out.append(f"{snippet.name}:{example.lineno}: {run['figure_error']}")
        return out

    def close(self) -> None:
        self.pool.close()


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip("\n").split("\n"))


def diff(want: str, got: str, where: str, labels: tuple[str, str] = ("recorded", "actual")) -> str:
    lines = difflib.unified_diff(
        want.splitlines(keepends=True), got.splitlines(keepends=True),
        fromfile=f"{where} ({labels[0]})", tofile=f"{where} ({labels[1]})", lineterm="\n",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n")
