"""The cache key covers what changes an output; entries are read whole or not at all."""

import threading

from snipdoc.cache import Cache, cache_key, environment, helper_files

ENV = environment()


def test_key_changes_with_what_changes_an_output(tmp_path):
    helper = tmp_path / "helper.py"
    helper.write_text("X = 1\n")
    base = cache_key(b">>> 1\n1\n", [helper], ENV, {"timeout": 60})
    assert base == cache_key(b">>> 1\n1\n", [helper], dict(ENV), {"timeout": 60})
    assert base != cache_key(b">>> 1\n1\n ", [helper], ENV, {"timeout": 60})
    assert base != cache_key(b">>> 1\n1\n", [helper], {**ENV, "torch": "2.14.0"}, {"timeout": 60})
    assert base != cache_key(b">>> 1\n1\n", [helper], ENV, {"timeout": 30})
    helper.write_text("X = 2\n")
    assert base != cache_key(b">>> 1\n1\n", [helper], ENV, {"timeout": 60})


def test_local_helper_modules_are_found_from_imports(tmp_path):
    (tmp_path / "plots.py").write_text("")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "more.py").write_text("")
    found = helper_files(["import torch\n", "from plots import f\n", "import pkg.more\n"], tmp_path)
    assert found == [tmp_path / "pkg" / "__init__.py", tmp_path / "pkg" / "more.py", tmp_path / "plots.py"]


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
