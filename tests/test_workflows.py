"""The GitHub workflows pass zizmor's security audit and GitHub's own workflow schema.

Both checkers run offline: zizmor with --offline, check-jsonschema with the workflow
schema it ships (vendored from SchemaStore). Each is first shown to catch a known-bad
workflow, so a checker that quietly checks nothing cannot pass."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
EXPECTED = {"pages.yml", "test.yml"}

BAD_WORKFLOW = """\
name: Bad
on: push
jobs:
  bad:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.head_commit.message }}"
"""


def zizmor(folder: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    # --no-config: a finding can only be silenced by an inline comment, next to its reason.
    run = subprocess.run([str(BIN / "zizmor"), "--offline", "--no-config", "--strict-collection",
                          "--format", "json", "--color", "never", str(folder)],
                         cwd=folder, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 or run.stdout.strip(), f"zizmor did not run:\n{run.stderr}"
    return run, json.loads(run.stdout or "[]")


def audited(run: subprocess.CompletedProcess) -> set[str]:
    return set(re.findall(r"completed \S*?([^/\s]+\.ya?ml)\s*$", run.stderr, re.MULTILINE))


def schema_check(files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                           "--color", "never", *map(str, files)],
                          capture_output=True, text=True, timeout=120)


def workflow_files() -> list[Path]:
    files = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    assert EXPECTED <= {f.name for f in files}, f"workflows missing: {EXPECTED - {f.name for f in files}}"
    return files


def _findings_text(findings: list[dict]) -> str:
    lines = []
    for f in findings:
        where = f["locations"][0]["symbolic"]["key"]["Local"]["verbatim_path"]
        row = f["locations"][0]["concrete"]["location"]["start_point"]["row"] + 1
        lines.append(f"{where}:{row}: {f['ident']}: {f['desc']}")
    return "\n".join(lines)


@pytest.fixture
def bad_folder(tmp_path) -> Path:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "bad.yml").write_text(BAD_WORKFLOW)
    return folder


def test_zizmor_catches_a_known_bad_workflow(bad_folder):
    run, findings = zizmor(bad_folder)
    assert audited(run) == {"bad.yml"}, run.stderr
    idents = {f["ident"] for f in findings}
    assert {"unpinned-uses", "artipacked", "template-injection", "excessive-permissions"} <= idents, idents
    assert run.returncode != 0


def test_workflows_have_no_zizmor_findings():
    files = workflow_files()
    run, findings = zizmor(WORKFLOWS)
    assert audited(run) == {f.name for f in files}, f"zizmor did not audit every workflow:\n{run.stderr}"
    assert not findings, "zizmor --offline findings:\n" + _findings_text(findings)
    assert run.returncode == 0, run.stderr


def test_every_suppression_says_why():
    for path in workflow_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            ignore = re.search(r"zizmor:\s*ignore\[[^\]]*\](.*)", line)
            if ignore:
                assert re.search(r"\w{3}", ignore.group(1)), f"{path.name}:{number}: suppression without a reason"


def test_schema_check_catches_a_known_bad_workflow(bad_folder):
    bad = bad_folder / "bad.yml"
    bad.write_text(BAD_WORKFLOW.replace("runs-on:", "run-on:"))
    run = schema_check([bad])
    assert run.returncode == 1, run.stdout + run.stderr
    assert "bad.yml" in run.stdout


def test_workflows_follow_githubs_workflow_schema():
    run = schema_check(workflow_files())
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok -- validation done" in run.stdout


def _load(name: str) -> dict:
    import yaml

    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def test_actions_are_pinned_by_hash_with_their_version_beside_it():
    for path in workflow_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r"\s*(- )?uses:", line):
                assert re.search(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), f"{path.name}:{number}: {line.strip()}"


def test_superseded_test_runs_are_cancelled_but_a_deployment_never_is():
    assert _load("test.yml")["concurrency"]["cancel-in-progress"] is True
    assert _load("pages.yml")["concurrency"]["cancel-in-progress"] is False


def test_the_test_workflow_runs_what_ci_runs():
    steps = [step.get("run", "") for job in _load("test.yml")["jobs"].values() for step in job["steps"]]
    assert "bash .ci/run" in steps


def test_the_proof_runs_in_parts_whose_records_the_test_job_merges():
    jobs = _load("test.yml")["jobs"]
    prove, test = jobs["prove"], jobs["test"]
    shards = prove["strategy"]["matrix"]["shard"]
    assert len(shards) >= 2 and shards == list(range(1, len(shards) + 1))
    assert prove["env"]["SHARD"] == "${{ matrix.shard }}/${{ strategy.job-total }}"
    assert any('snipdoc prove --shard "$SHARD"' in step.get("run", "") for step in prove["steps"])
    upload = next(s["with"] for s in prove["steps"] if "upload-artifact" in s.get("uses", ""))
    # .cache is a hidden folder: upload-artifact leaves it out unless told.
    assert upload["path"].rstrip("/") == ".cache/proofs" and upload["include-hidden-files"] is True
    assert upload["name"] == "proofs-${{ matrix.shard }}"
    assert test["needs"] == "prove"
    steps = [s.get("uses", "") + s.get("run", "") for s in test["steps"]]
    download = next(s["with"] for s in test["steps"] if "download-artifact" in s.get("uses", ""))
    assert download == {"pattern": "proofs-*", "merge-multiple": True, "path": ".cache/proofs"}
    assert steps.index(next(s for s in steps if "download-artifact" in s)) < steps.index("bash .ci/run")


def test_the_build_cache_speeds_up_tests_but_never_a_published_site():
    test = _load("test.yml")["jobs"]["test"]
    cached = [s["with"]["path"] for s in test["steps"] if "actions/cache" in s.get("uses", "")]
    assert cached.count(".cache/snipdoc") == 2  # restored before the tests, saved after a green run
    assert "actions/cache" not in (WORKFLOWS / "pages.yml").read_text(encoding="utf-8")
