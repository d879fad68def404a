"""The documentation's promises that can be checked: the top README stays short,
every make target and command it names exists and runs, every local link leads
somewhere, and `python -m snipdoc --help` lists each command on one line."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "MAINTAINING.md", ROOT / "snipdoc" / "README.md",
        ROOT / "snipdoc" / "docs" / "internals.md", ROOT / "snipdoc" / "docs" / "benchmark.md"]
COMMANDS = ("record", "import", "prove")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_top_readme_is_at_most_8_kb():
    assert len((ROOT / "README.md").read_bytes()) <= 8 * 1024


def _targets_named() -> set[str]:
    named = set()
    for doc in DOCS:
        for command in re.findall(r"`(make [^`]*)`", _text(doc)):
            words = [w for w in command.split()[1:] if "=" not in w and not w.startswith("-")]
            named.update(words[:1])
    return named


def test_every_make_target_the_docs_name_exists():
    named = _targets_named()
    assert {"serve", "test", "build", "record", "import", "bench"} <= named
    makefile = _text(ROOT / "Makefile")
    phony = set(re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split())
    assert named <= phony, f"named in the docs, not in the Makefile: {named - phony}"
    for target in sorted(named):
        dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0, f"make -n {target}: {dry.stderr}"


def test_every_snipdoc_command_the_docs_name_runs():
    named = set()
    for doc in DOCS:
        named.update(re.findall(r"python -m snipdoc (\w+)", _text(doc)))
    assert named and named <= set(COMMANDS), named
    for command in sorted(named):
        run = subprocess.run([sys.executable, "-m", "snipdoc", command, "--help"], capture_output=True, text=True)
        assert run.returncode == 0 and "usage:" in run.stdout, run.stderr


def test_help_lists_every_command_on_one_line():
    run = subprocess.run([sys.executable, "-m", "snipdoc", "--help"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for command in COMMANDS:
        [line] = [ln for ln in run.stdout.splitlines() if ln.split()[:1] == [command]]
        assert len(line.split()) > 2, line  # the command, then what it does
    listed = re.findall(r"^    (\w+) ", run.stdout, re.M)
    assert listed == list(COMMANDS)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_local_link_leads_somewhere(doc):
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", _text(doc)):
        if "://" not in target:
            assert (doc.parent / target).exists(), f"{doc.relative_to(ROOT)} links to {target}, which does not exist"


def test_the_engines_readme_states_the_dependency_direction():
    assert ("the integration uses the engine, the importer uses the engine, the engine uses neither"
            in _text(ROOT / "snipdoc" / "README.md"))
