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


def test_shards_are_disjoint_balanced_and_together_every_snippet(project):
    for i in range(5):
        (project / "ch2").mkdir(exist_ok=True)
        (project / "ch2" / f"s{i}.txt").write_text(f">>> {i}\n{i}\n")
    files = sorted(project.rglob("*.txt"))
    parts = [proofs.shard(files, project, k, 3) for k in (1, 2, 3)]
    assert sorted(p for part in parts for p in part) == files
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    with pytest.raises(ValueError):
        proofs.shard(files, project, 4, 3)


def test_records_of_shards_merge_into_one_that_proves_everything(project, tmp_path, capsys):
    import shutil

    from snipdoc.cli import main

    config = tmp_path / "mkdocs.yml"  # absent: the defaults (snippets/ next to it)
    merged = tmp_path / "merged"
    for k in (1, 2):
        record = tmp_path / f"record{k}"
        assert main(["prove", "-f", str(config), "--shard", f"{k}/2", "--record", str(record)]) == 0
        assert f"shard {k}/2): 1 of 1 snippet(s) run" in capsys.readouterr().out
        shutil.copytree(record, merged, dirs_exist_ok=True)
    assert proofs.prove(sorted(project.rglob("*.txt")), project, merged) == ([], {})
    # Another size too: Python trusts a cached .pyc whose source has the same size and mtime second.
    (project / "helper.py").write_text("X = 22\n")
    assert main(["prove", "-f", str(config), "--record", str(merged)]) == 1
    assert "b.txt fails the reference command" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["prove", "-f", str(config), "--shard", "0/2"])
