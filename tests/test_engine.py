"""The runner: outputs, errors that name the snippet's line, crashes, timeouts,
and a fresh interpreter's state for every snippet in the warm worker."""

import textwrap

import pytest

from snipdoc.engine.core import Engine
from snipdoc.engine.parse import SnippetError
from sites import PRELOAD


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    (root / "snippets").mkdir()
    eng = Engine(root / "snippets", root / ".cache", timeout=5, output_limit=1000, preload=PRELOAD)
    yield eng
    eng.close()


def write(engine, name, text):
    path = engine.snippets_dir / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return engine.load(name)


def problems(engine, name, text):
    snippet = write(engine, name, text)
    return engine.problems(snippet, engine.result(snippet, use_cache=False))


def test_outputs_are_kept_for_every_example(engine):
    snippet = write(engine, "ok.txt", """\
        >>> x = 2
        >>> x * 21
        42
        >>> print("a\\nb")
        a
        b
    """)
    result = engine.result(snippet, use_cache=False)
    assert [r["status"] for r in result["examples"]] == ["ok", "ok", "ok"]
    assert [r["got"] for r in result["examples"]] == ["", "42\n", "a\nb\n"]


def test_expected_exception_is_an_output_not_an_error(engine):
    snippet = write(engine, "expected.txt", """\
        >>> 1 / 0
        Traceback (most recent call last):
            ...
        ZeroDivisionError: division by zero
    """)
    result = engine.result(snippet, use_cache=False)
    assert engine.problems(snippet, result) == []
    assert result["examples"][0]["got"].endswith("ZeroDivisionError: division by zero\n")


def test_unexpected_exception_names_line_and_last_line(engine):
    assert problems(engine, "raises.txt", """\
        >>> x = 1
        >>> def f():
        ...     return 1 / 0
        >>> f()
    """) == ["snippets/raises.txt:3: unexpected exception: ZeroDivisionError: division by zero"]


def test_syntax_error_names_its_line(engine):
    assert problems(engine, "syntax.txt", """\
        >>> x = 1
        >>> y = (1 +
        ...      2 +)
    """) == ["snippets/syntax.txt:3: unexpected exception: SyntaxError: invalid syntax"]


def test_hang_is_stopped_at_the_timeout_and_the_next_snippet_runs(engine):
    assert problems(engine, "hang.txt", """\
        >>> import time
        >>> while True:
        ...     time.sleep(0.01)
    """) == ["snippets/hang.txt:2: timed out after 5 s (timeout); the snippet was stopped"]
    assert problems(engine, "after_hang.txt", ">>> 1 + 1\n2\n") == []


@pytest.mark.parametrize("code, how", [
    ("import os; os._exit(3)", "exited with code 3"),
    ("import ctypes; ctypes.string_at(0)", "killed by SIGSEGV"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "killed by SIGKILL (out of memory?)"),
])
def test_a_snippet_that_kills_its_process_fails_alone(engine, code, how):
    starts = engine.pool.starts
    assert problems(engine, "crash.txt", f">>> print('ok')\nok\n>>> {code}\n") == [
        f"snippets/crash.txt:3: the snippet ended its process: {how}"
    ]
    assert problems(engine, "after_crash.txt", ">>> import torch\n>>> torch.tensor([1, 2]) * 2\ntensor([2, 4])\n") == []
    assert engine.pool.starts == starts  # the server survives a child that dies


def test_huge_output_is_an_error_and_truncated(engine):
    snippet = write(engine, "huge.txt", '>>> print("x" * 10_000_000)\n')
    result = engine.result(snippet, use_cache=False)
    assert engine.problems(snippet, result) == [
        "snippets/huge.txt:1: output is 10,000,001 characters, over the limit of 1,000 (output_limit)"
    ]
    assert len(result["examples"][0]["got"]) < 1100
    assert "output truncated" in result["examples"][0]["got"]


def test_mismatch_shows_a_unified_diff(engine):
    [message] = problems(engine, "drift.txt", """\
        >>> import torch
        >>> torch.linspace(-100, 100, 10)[7]
        tensor(55.5555)
    """)
    assert message.startswith("snippets/drift.txt:2: output differs from the recorded one")
    assert "--- snippets/drift.txt:2 (recorded)\n+++ snippets/drift.txt:2 (actual)\n" in message
    assert "-tensor(55.5555)\n+tensor(55.5556)" in message


def test_a_file_that_is_not_utf8_is_an_error(engine):
    (engine.snippets_dir / "latin1.txt").write_bytes(">>> 1\n1\n>>> 'caf\xe9'\n".encode("latin-1"))
    with pytest.raises(SnippetError, match=r"^snippets/latin1.txt:3: not valid UTF-8 \(byte 16\); save the file as UTF-8$"):
        engine.load("latin1.txt")


def test_windows_line_endings_work(engine):
    (engine.snippets_dir / "crlf.txt").write_bytes(b">>> x = 3\r\n>>> x + 1\r\n4\r\n")
    snippet = engine.load("crlf.txt")
    assert engine.problems(snippet, engine.result(snippet, use_cache=False)) == []


def test_snippet_files_are_written_in_a_scratch_folder(engine):
    assert problems(engine, "writes.txt", """\
        >>> import os
        >>> open("out.txt", "w").write("data")
        4
        >>> os.listdir(".")
        ['out.txt']
    """) == []
    assert not (engine.snippets_dir / "out.txt").exists()
    assert not (engine.snippets_dir.parent / "out.txt").exists()


# One snippet changes a kind of global state; the next one must see a fresh interpreter's.
STATE = {
    "print options": (
        ">>> import torch\n>>> torch.set_printoptions(precision=1)\n",
        ">>> import torch\n>>> torch.tensor([1 / 3])\ntensor([0.3333])\n",
    ),
    "default dtype": (
        ">>> import torch\n>>> torch.set_default_dtype(torch.float64)\n",
        ">>> import torch\n>>> torch.tensor([1.]).dtype\ntorch.float32\n",
    ),
    "grad mode": (
        ">>> import torch\n>>> _ = torch.set_grad_enabled(False)\n",
        ">>> import torch\n>>> torch.is_grad_enabled()\nTrue\n",
    ),
    "deterministic algorithms": (
        ">>> import torch\n>>> torch.use_deterministic_algorithms(True)\n",
        ">>> import torch\n>>> torch.are_deterministic_algorithms_enabled()\nFalse\n",
    ),
    "matplotlib rc": (
        ">>> import matplotlib\n>>> matplotlib.rcParams['lines.linewidth'] = 9\n",
        ">>> import matplotlib\n>>> matplotlib.rcParams['lines.linewidth']\n1.5\n",
    ),
    "sys.path": (
        ">>> import sys\n>>> sys.path.insert(0, '/nonexistent-folder')\n",
        ">>> import sys\n>>> '/nonexistent-folder' in sys.path\nFalse\n",
    ),
    "working directory": (
        ">>> import os\n>>> os.chdir('/')\n",
        ">>> import os\n>>> os.getcwd() == '/'\nFalse\n",
    ),
    "environment": (
        ">>> import os\n>>> os.environ['SNIPDOC_TEST_VAR'] = '1'\n",
        ">>> import os\n>>> 'SNIPDOC_TEST_VAR' in os.environ\nFalse\n",
    ),
}


@pytest.mark.parametrize("kind", STATE)
def test_global_state_does_not_leak_into_the_next_snippet(engine, kind):
    change, check = STATE[kind]
    assert problems(engine, "change.txt", change) == []
    assert problems(engine, "check.txt", check) == []


def test_seed_does_not_leak_into_the_next_snippet(engine):
    # After a snippet seeds, the next one starts from a random seed, as a fresh process does.
    seeded = write(engine, "seeded.txt", ">>> import torch\n>>> _ = torch.manual_seed(0)\n>>> torch.rand(2)\n")
    unseeded = write(engine, "unseeded.txt", ">>> import torch\n>>> torch.rand(2)\n")
    first = engine.result(seeded, use_cache=False)["examples"][2]["got"]
    after = []
    for _ in range(2):
        engine.result(seeded, use_cache=False)
        after.append(engine.result(unseeded, use_cache=False)["examples"][1]["got"])
    assert first not in after and after[0] != after[1]


def test_a_skipped_example_has_no_output_and_the_others_keep_theirs(engine):
    snippet = write(engine, "skip.txt", """\
        >>> print('first')  # doctest: +SKIP
        >>> print('second')
        second
        >>> print('third')
        third
    """)
    result = engine.result(snippet, use_cache=False)
    assert [(r["status"], r["got"]) for r in result["examples"]] == [
        ("skipped", ""), ("ok", "second\n"), ("ok", "third\n")]


def test_output_printed_before_an_unexpected_exception_is_in_the_report(engine):
    assert problems(engine, "printed.txt", """\
        >>> print('step 1'); 1 / 0
    """) == ["snippets/printed.txt:1: unexpected exception: ZeroDivisionError: division by zero\n"
             "  printed before it:\n    step 1"]


def test_a_figure_that_cannot_be_drawn_fails_alone_naming_its_line(engine):
    assert problems(engine, "badfig.txt", """\
        >>> import matplotlib.pyplot as plt
        >>> _ = plt.title(r'$\\frac{1}{$')
    """)[0].startswith("snippets/badfig.txt:2: figure 1 could not be drawn: ValueError")
    assert problems(engine, "after_badfig.txt", ">>> 1 + 1\n2\n") == []


def test_figures_follow_the_part_that_drew_them(engine):
    snippet = write(engine, "parts.txt", """\
        >>> import matplotlib.pyplot as plt
        >>> _ = plt.plot([1, 2])

        # part: second

        >>> _ = plt.figure()
        >>> _ = plt.plot([2, 1])
        >>> plt.get_fignums()
        [1, 2]
    """)
    result = engine.result(snippet, use_cache=False)
    assert [len(r["figures"]) for r in result["examples"]] == [0, 1, 0, 0, 1]
    first, last = result["examples"][1]["figures"][0], result["examples"][4]["figures"][0]
    assert first["light"] != last["light"] and first["light"] != first["dark"]


def test_a_failure_is_not_run_again_under_the_same_settings(engine):
    # Under `mkdocs serve` every rebuild asks for every snippet: an output over the limit
    # that counted as never valid ran again on each rebuild, and each run's reload asked again.
    snippet = write(engine, "huge_again.txt", '>>> print("y" * 10_000)\n')
    runs = engine.runs
    first = engine.result(snippet)
    assert engine.problems(snippet, first) and engine.runs == runs + 1
    assert engine.result(snippet) is first and engine.runs == runs + 1


def test_exit_handlers_run_as_in_a_fresh_process(tmp_path, monkeypatch):
    # multiprocessing removes its pymp-* folder in an exit handler; a child that skipped
    # them left one in the temporary folder per snippet.
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    (tmp_path / "snippets").mkdir()
    eng = Engine(tmp_path / "snippets", tmp_path / ".cache", timeout=20)
    try:
        snippet = write(eng, "mp.txt", ">>> import multiprocessing.util as util\n>>> import os\n"
                                       ">>> os.path.basename(util.get_temp_dir()).startswith('pymp-')\nTrue\n")
        assert eng.problems(snippet, eng.result(snippet)) == []
    finally:
        eng.close()
    assert list(temp.rglob("pymp-*")) == []


def test_a_preloaded_import_keeps_what_its_exit_handlers_would_remove(tmp_path):
    # An object a preloaded import made (here a TemporaryDirectory) registers a finalizer that
    # runs at exit. It belongs to the server: were it run at each child's exit, the first
    # snippet would remove the server's folder and the next one would find it gone.
    snippets = tmp_path / "snippets"
    snippets.mkdir()
    (snippets / "made_at_import.py").write_text(
        "import tempfile\nkept = tempfile.TemporaryDirectory()\n", encoding="utf-8")
    eng = Engine(snippets, tmp_path / ".cache", timeout=20, preload=["made_at_import"])
    try:
        for name in ("first.txt", "second.txt"):
            snippet = write(eng, name, ">>> import os, made_at_import\n"
                                       ">>> os.path.isdir(made_at_import.kept.name)\nTrue\n")
            assert eng.problems(snippet, eng.result(snippet)) == [], name
    finally:
        eng.close()
