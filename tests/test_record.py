"""The record command writes real outputs, touches nothing else, and never
leaves a half-written file."""

import os
import signal
import subprocess
import sys
import time

import pytest

from snipdoc.engine import record as record_module
from snipdoc.engine.core import Engine
from snipdoc.engine.parse import SnippetError
from sites import PRELOAD

SOURCE = """\
Prose before the examples stays as it is.

>>> import torch
>>> # a comment, kept byte for byte
>>> x = torch.tensor([1., 2.])
>>> x * 2
tensor([0.])
>>> for i in range(2):
...     print(i)

After.
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    (root / "snippets").mkdir()
    eng = Engine(root / "snippets", root / ".cache", timeout=20, preload=PRELOAD)
    yield eng
    eng.close()


def put(engine, name, data: bytes):
    (engine.snippets_dir / name).write_bytes(data)
    return engine.load(name)


def test_only_outputs_change(engine):
    snippet = put(engine, "rec.txt", SOURCE.encode())
    assert record_module.record(engine, snippet) == 2
    assert snippet.path.read_text() == SOURCE.replace("tensor([0.])", "tensor([2., 4.])").replace(
        "...     print(i)\n", "...     print(i)\n0\n1\n"
    )
    assert record_module.record(engine, engine.load("rec.txt")) == 0  # idempotent


def test_blank_lines_in_output_become_blankline_markers(engine):
    snippet = put(engine, "blank.txt", b'>>> print("a\\n\\nb")\n')
    record_module.record(engine, snippet)
    assert snippet.path.read_text() == '>>> print("a\\n\\nb")\na\n<BLANKLINE>\nb\n'


def test_windows_line_endings_are_kept(engine):
    snippet = put(engine, "crlf.txt", b">>> 1 + 1\r\n3\r\n")
    record_module.record(engine, snippet)
    assert snippet.path.read_bytes() == b">>> 1 + 1\r\n2\r\n"


def test_nondeterministic_output_is_refused(engine):
    data = b">>> import torch\n>>> torch.rand(2)\n"
    snippet = put(engine, "random.txt", data)
    with pytest.raises(SnippetError) as info:
        record_module.record(engine, snippet)
    assert str(info.value).startswith(
        "snippets/random.txt:2: output differs between two runs: the snippet is nondeterministic; "
        "seed it (for example torch.manual_seed(0)) before recording\n--- snippets/random.txt:2 (first run)"
    )
    assert snippet.path.read_bytes() == data


def test_unexpected_exception_is_not_recorded(engine):
    data = b">>> 1 + 1\n>>> 1 / 0\n"
    snippet = put(engine, "boom.txt", data)
    with pytest.raises(SnippetError, match="^snippets/boom.txt:2: unexpected exception: ZeroDivisionError: division by zero\n"
                       "  to show an error on purpose, write 'Traceback \\(most recent call last\\):' under the example"):
        record_module.record(engine, snippet)
    assert snippet.path.read_bytes() == data


def test_an_error_shown_on_purpose_is_recorded(engine):
    snippet = put(engine, "shown.txt", b">>> 1 / 0\nTraceback (most recent call last):\n")
    record_module.record(engine, snippet)
    assert snippet.path.read_text() == (
        ">>> 1 / 0\nTraceback (most recent call last):\n    ...\nZeroDivisionError: division by zero\n"
    )


def test_recording_after_an_upgrade_fixes_every_example_in_one_step(engine):
    snippet = put(engine, "upgrade.txt", b">>> import torch\n>>> torch.linspace(-100, 100, 10)[7]\ntensor(55.5555)\n"
                                          b">>> torch.tensor([1.]).sum().grad_fn\n")
    assert len(engine.problems(snippet, engine.result(snippet, use_cache=False))) == 1
    record_module.record(engine, snippet)
    fixed = engine.load("upgrade.txt")
    assert engine.problems(fixed, engine.result(fixed, use_cache=False)) == []


def test_a_failed_write_leaves_the_old_file(engine, monkeypatch):
    snippet = put(engine, "atomic.txt", b">>> 6 * 7\n0\n")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        record_module.record(engine, snippet)
    assert snippet.path.read_bytes() == b">>> 6 * 7\n0\n"
    assert os.listdir(engine.snippets_dir).count("atomic.txt") == 1
    assert not [n for n in os.listdir(engine.snippets_dir) if n.endswith(".tmp")]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_killing_the_record_command_leaves_old_or_new_files(tmp_path, sig):
    snippets = tmp_path / "snippets"
    snippets.mkdir()
    old = {f"s{i}.txt": f">>> import time; time.sleep(0.05)\n>>> {i} * 2\n0\n".encode() for i in range(40)}
    for name, data in old.items():
        (snippets / name).write_bytes(data)
    proc = subprocess.Popen([sys.executable, "-m", "snipdoc", "record", "--snippets-dir", str(snippets)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdout.readline()  # the first file is recorded: the command is mid-run now
    time.sleep(0.3)
    proc.send_signal(sig)
    proc.wait(timeout=30)
    states = set()
    for name, data in old.items():
        now = (snippets / name).read_bytes()
        new = data.replace(b"\n0\n", f"\n{int(name[1:-4]) * 2}\n".encode())
        assert now in (data, new)
        states.add(now == new)
    assert states == {True, False}  # the run really was interrupted mid-way
    left = sorted(os.listdir(snippets))
    if sig == signal.SIGINT:  # an interrupted write cleans up after itself
        assert left == sorted(old)
    else:  # a kill can leave a hidden temporary file, never a snippet file
        assert [n for n in left if not n.startswith(".")] == sorted(old)


def _reference(path) -> subprocess.CompletedProcess:
    from snipdoc.engine import reference

    return reference.run(path, path.parent, path.parent, timeout=120)


def test_skipped_examples_keep_their_outputs_and_the_others_get_theirs(engine):
    data = (b">>> print('first')  # doctest: +SKIP\nstale, never run\n>>> print('second')\n>>> print('third')\nold\n")
    snippet = put(engine, "skip.txt", data)
    assert record_module.record(engine, snippet) == 2
    assert snippet.path.read_bytes() == (
        b">>> print('first')  # doctest: +SKIP\nstale, never run\n>>> print('second')\nsecond\n>>> print('third')\nthird\n")
    assert _reference(snippet.path).returncode == 0


def test_a_lone_carriage_return_ends_a_line_as_doctest_reads_it(engine):
    snippet = put(engine, "cr.txt", b">>> x = 1\r>>> x + 1\r3\r")
    assert record_module.record(engine, snippet) == 1
    assert snippet.path.read_bytes() == b">>> x = 1\r>>> x + 1\r2\r"
    assert _reference(snippet.path).returncode == 0


def test_printed_text_that_looks_like_a_traceback_is_recorded_as_printed(engine):
    snippet = put(engine, "tb.txt", b'>>> print("Traceback (most recent call last):\\n  File x\\nValueError: no")\n')
    record_module.record(engine, snippet)
    assert snippet.path.read_bytes().endswith(b"Traceback (most recent call last):\n  File x\nValueError: no\n")
    assert _reference(snippet.path).returncode == 0


def test_every_problem_of_a_file_is_reported_in_one_run_first_line_first(engine):
    data = (b">>> import torch\n>>> w = torch.full([1], 2)\n>>> w.requires_grad_()\n>>> undefined_name\n"
            b">>> torch.rand(1)\n")
    snippet = put(engine, "three.txt", data)
    with pytest.raises(SnippetError) as info:
        record_module.record(engine, snippet)
    message = str(info.value)
    lines = [m.split(": ", 1)[0] for m in message.split("\n") if m.startswith("snippets/three.txt:")]
    assert lines == ["snippets/three.txt:3", "snippets/three.txt:4", "snippets/three.txt:5"], message
    assert "only Tensors of floating point dtype can require gradients" in message
    assert "NameError: name 'undefined_name' is not defined" in message
    assert "(first run)" in message and "(second run)" in message
    assert snippet.path.read_bytes() == data


def test_record_reads_its_settings_from_mkdocs_yml(tmp_path):
    (tmp_path / "snippets").mkdir()
    (tmp_path / "snippets" / "slow.txt").write_text(">>> import time; time.sleep(30)\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\nmarkdown_extensions:\n  - snipdoc:\n      timeout: 2\n")
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "snipdoc", "record"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1
    assert "snippets/slow.txt:1: timed out after 2 s (timeout)" in run.stderr
    assert time.monotonic() - start < 20


def test_an_output_ending_in_blank_lines_is_recorded_as_doctest_reads_it(engine):
    snippet = put(engine, "blank.txt", b'>>> print("a\\n")\n')
    assert record_module.record(engine, snippet) == 1
    assert snippet.path.read_bytes() == b'>>> print("a\\n")\na\n<BLANKLINE>\n'
    assert record_module.record(engine, engine.load("blank.txt")) == 0
    assert _reference(snippet.path).returncode == 0


def test_off_the_reference_platform_new_outputs_are_written_and_recorded_ones_kept(engine, monkeypatch):
    monkeypatch.setattr(engine, "on_reference", False)
    snippet = put(engine, "new.txt", b">>> 6 * 7\n")  # a brand-new example: nothing recorded to overwrite
    assert record_module.record(engine, snippet) == 1
    assert snippet.path.read_text() == ">>> 6 * 7\n42\n"
    changed = put(engine, "changed.txt", b">>> 6 * 7\n41\n>>> 1 + 1\n")
    with pytest.raises(SnippetError, match=r"changed\.txt:1: 1 recorded output\(s\) would change"):
        record_module.record(engine, changed)
    assert changed.path.read_text() == ">>> 6 * 7\n41\n>>> 1 + 1\n"  # nothing written, not even the new one
    assert record_module.record(engine, engine.load("changed.txt"), force=True) == 2


def test_record_lists_the_sentences_whose_quoted_values_it_changed(tmp_path):
    (tmp_path / "snippets").mkdir()
    (tmp_path / "docs").mkdir()
    # As after a torch upgrade: the recorded outputs are not what the run prints now.
    (tmp_path / "snippets" / "a.txt").write_text(">>> 6 * 7  # value: answer\n41\n>>> [1.5, 2 ** 0.5]  # value: pair\n"
                                                 "[1.5, 1.4]\n")
    (tmp_path / "docs" / "index.md").write_text("# t\n\n答案是 {{ a.txt#answer }}。\n\n首项 {{ a.txt#pair[0] }}，"
                                                "次项约为 {{ a.txt#pair[1] | .3f }}。\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\nmarkdown_extensions:\n  - snipdoc.extension\n")
    run = subprocess.run([sys.executable, "-m", "snipdoc", "record"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == [
        "docs/index.md:3: {{ a.txt#answer }} was 41, is now 42: reread the sentence around it",
        "docs/index.md:5: {{ a.txt#pair[1] | .3f }} was 1.400, is now 1.414: reread the sentence around it",
    ]
