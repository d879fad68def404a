"""The cache key covers what changes an output; entries are read whole or not at all."""

import threading

import pytest

from snipdoc.engine import reference
from snipdoc.engine.cache import Cache, cache_key, environment
from snipdoc.engine.core import Engine
from sites import PRELOAD

ENV = environment()


def test_key_changes_with_the_snippet_and_the_machine_not_with_settings():
    base = cache_key(b">>> 1\n1\n", ENV)
    assert base == cache_key(b">>> 1\n1\n", dict(ENV))
    assert base != cache_key(b">>> 1\n1\n ", ENV)
    assert base != cache_key(b">>> 1\n1\n", {**ENV, "torch": "2.14.0"})
    assert base != cache_key(b">>> 1\n1\n", {**ENV, "machine": "arm64"})
    assert base != cache_key(b">>> 1\n1\n", {**ENV, "os": "Darwin"})
    assert base != cache_key(b">>> 1\n1\n", {**ENV, "cpus": ENV["cpus"] + 1})
    other_unit = "avx2" if ENV["vector_unit"] == "avx512" else "avx512"
    assert base != cache_key(b">>> 1\n1\n", {**ENV, "vector_unit": other_unit})


def test_the_vector_unit_in_the_key_is_the_one_torch_dispatches_to(tmp_path):
    info = tmp_path / "cpuinfo"
    for flags, unit in [("fpu sse2 avx avx2 fma", "avx2"), ("sse2 avx", "baseline"),
                        ("avx2 fma avx512f avx512bw avx512vl avx512dq", "avx512"),
                        ("avx2 fma avx512f", "avx2")]:  # AVX-512 without BW/VL/DQ: torch stays on AVX2
        info.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
        assert reference.vector_unit(str(info)) == unit, flags
    assert ENV["vector_unit"] == reference.vector_unit()


@pytest.fixture
def project(tmp_path):
    (tmp_path / "snippets" / "pkg").mkdir(parents=True)
    (tmp_path / "data").mkdir()
    return tmp_path


# Each way a snippet can depend on a project file; editing that file must re-run it.
DEPENDENCIES = {
    "helper imported by a helper": ({"snippets/outer.py": "from inner import X\n", "snippets/inner.py": "X = 1\n"},
                                    ">>> from outer import X\n>>> X\n", "snippets/inner.py", "X = 2\n"),
    "second name of an import": ({"snippets/helper.py": "X = 1\n"}, ">>> import os, helper\n>>> helper.X\n",
                                 "snippets/helper.py", "X = 2\n"),
    "import after a statement": ({"snippets/helper.py": "X = 1\n"}, ">>> x = 1; import helper\n>>> helper.X\n",
                                 "snippets/helper.py", "X = 2\n"),
    "importlib.import_module": ({"snippets/helper.py": "X = 1\n"},
                                ">>> import importlib\n>>> importlib.import_module('helper').X\n",
                                "snippets/helper.py", "X = 2\n"),
    "module in a package": ({"snippets/pkg/__init__.py": "", "snippets/pkg/mod.py": "X = 1\n"},
                            ">>> from pkg.mod import X\n>>> X\n", "snippets/pkg/mod.py", "X = 2\n"),
    "data file a helper reads": ({"snippets/reader.py": "import pathlib\nX = (pathlib.Path(__file__).parent.parent / 'data' / 'd.txt').read_text()\n",
                                  "data/d.txt": "one"}, ">>> import reader\n>>> reader.X\n", "data/d.txt", "two"),
}


@pytest.mark.parametrize("case", DEPENDENCIES)
def test_a_file_the_run_read_invalidates_it_when_edited(project, case):
    files, snippet, edited, new = DEPENDENCIES[case]
    for rel, text in files.items():
        (project / rel).write_text(text)
    (project / "snippets" / "s.txt").write_text(snippet)
    engine = Engine(project / "snippets", project / ".cache", timeout=20, preload=PRELOAD)
    try:
        first = engine.result(engine.load("s.txt"))["examples"][-1]["got"]
        assert engine.result(engine.load("s.txt"))["examples"][-1]["got"] == first
        runs = engine.runs
        engine.result(engine.load("s.txt"))
        assert engine.runs == runs  # unchanged: from the cache
        (project / edited).write_text(new)
        second = engine.result(engine.load("s.txt"))["examples"][-1]["got"]
        assert engine.runs == runs + 1 and second != first
    finally:
        engine.close()


def test_changing_timeout_or_output_limit_keeps_runs_they_cannot_change(project):
    (project / "snippets" / "s.txt").write_text(">>> print('x' * 50)\n" + "x" * 50 + "\n")
    first = Engine(project / "snippets", project / ".cache", timeout=60, preload=PRELOAD)
    try:
        snippet = first.load("s.txt")
        assert first.problems(snippet, first.result(snippet)) == []
    finally:
        first.close()
    for timeout, limit, reruns in [(30, 100_000, 0), (60, 60, 0), (60, 10, 1)]:
        engine = Engine(project / "snippets", project / ".cache", timeout=timeout, output_limit=limit, preload=PRELOAD)
        try:
            engine.result(engine.load("s.txt"))
            assert engine.runs == reruns, (timeout, limit)
        finally:
            engine.close()


def test_concurrent_writers_and_readers_never_see_a_partial_entry(tmp_path):
    cache = Cache(tmp_path)
    results = [{"examples": [{"got": str(i) * 50_000}]} for i in range(4)]
    seen, stop = [], threading.Event()

    def writer(result):
        while not stop.is_set():
            cache.put("ab" * 32, result)

    def reader():
        while not stop.is_set():
            seen.append(cache.get("ab" * 32))

    threads = [threading.Thread(target=writer, args=(r,)) for r in results] + [threading.Thread(target=reader)]
    for t in threads:
        t.start()
    threading.Event().wait(1.0)
    stop.set()
    for t in threads:
        t.join()
    whole = [s for s in seen if s is not None]
    assert whole and all(s in results for s in whole)


def test_truncated_or_edited_entries_are_misses(tmp_path):
    cache = Cache(tmp_path)
    cache.put("cd" * 32, {"examples": [{"got": "42\n"}]})
    [path] = tmp_path.rglob("*.json")
    data = path.read_bytes()
    for bad in (data[: len(data) // 2], data.replace(b"42", b"41"), b"", b"\xff\xfe"):
        path.write_bytes(bad)
        assert cache.get("cd" * 32) is None


def test_two_files_with_the_same_bytes_are_two_runs(project):
    # Each sees its own name (python -m doctest FILE puts it in sys.argv): one run for both
    # showed the first file's name on the second page.
    source = ">>> import os, sys\n>>> os.path.basename(sys.argv[-1])\n'one.txt'\n"
    for name in ("one.txt", "two.txt"):
        (project / "snippets" / name).write_text(source, encoding="utf-8")
    engine = Engine(project / "snippets", project / ".cache", timeout=20)
    try:
        one, two = engine.load("one.txt"), engine.load("two.txt")
        assert engine.problems(one, engine.result(one)) == []
        [message] = engine.problems(two, engine.result(two))
        assert "-'one.txt'\n+'two.txt'" in message
    finally:
        engine.close()
