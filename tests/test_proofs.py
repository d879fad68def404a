"""The equivalence proof's record: a snippet is run by the reference command
again exactly when something it could depend on changed, and only a passing
run is recorded."""

import pytest

from snipdoc.engine import cache, proofs


@pytest.fixture
def project(tmp_path):
    snippets = tmp_path / "snippets"
    (snippets / "ch1").mkdir(parents=True)
    (snippets / "helper.py").write_text("X = 1\n")
    (snippets / "ch1" / "a.txt").write_text(">>> 1 + 1\n2\n")
    (snippets / "ch1" / "b.txt").write_text(">>> import helper\n>>> helper.X\n1\n")
    return snippets


def names(paths):
    return sorted(p.name for p in paths)


def test_only_what_changed_is_proven_again(project, tmp_path):
    record = tmp_path / "record"
    files = sorted(project.rglob("*.txt"))
    assert names(proofs.prove(files, project, record)[0]) == ["a.txt", "b.txt"]
    assert proofs.prove(files, project, record) == ([], {})
    (project / "ch1" / "a.txt").write_text(">>> 2 + 2\n4\n")  # the snippet itself
    assert names(proofs.prove(files, project, record)[0]) == ["a.txt"]
    (project / "data.csv").write_text("1,2\n")  # any other file of the folder: every snippet
    assert names(proofs.prove(files, project, record)[0]) == ["a.txt", "b.txt"]
    (project / "ch1" / "c.txt").write_text(">>> 3\n3\n")  # a new snippet changes no other proof
    files = sorted(project.rglob("*.txt"))
    assert names(proofs.prove(files, project, record)[0]) == ["c.txt"]
    assert names(proofs.prove(files, project, None)[0]) == ["a.txt", "b.txt", "c.txt"]  # no record: all


def test_a_failing_snippet_is_never_recorded(project, tmp_path):
    record = tmp_path / "record"
    (project / "helper.py").write_text("X = 2\n")
    files = sorted(project.rglob("*.txt"))
    for expected in (["a.txt", "b.txt"], ["b.txt"]):  # a passed and was recorded; b runs every time
        ran, failed = proofs.prove(files, project, record)
        assert names(ran) == expected
        assert list(failed) == [project / "ch1" / "b.txt"] and "Expected:\n    1\nGot:\n    2" in failed[project / "ch1" / "b.txt"]


def test_another_environment_proves_everything_again(project, tmp_path, monkeypatch):
    record = tmp_path / "record"
    files = sorted(project.rglob("*.txt"))
    proofs.prove(files, project, record, ["torch"])
    real = cache.environment(["torch"])
    monkeypatch.setattr(cache, "environment", lambda names=(): {**real, "torch": "2.14.0+cpu"})
    assert names(proofs.prove(files, project, record, ["torch"])[0]) == ["a.txt", "b.txt"]
    monkeypatch.setattr(cache, "environment", lambda names=(): {**real, "engine": "99"})  # not the engine's version
    assert names(proofs.prove(files, project, record, ["torch"])[0]) == []
    monkeypatch.undo()
    # The keyed packages are part of the proof: another list proves everything again.
    assert names(proofs.prove(files, project, record, ["torch", "numpy"])[0]) == ["a.txt", "b.txt"]
