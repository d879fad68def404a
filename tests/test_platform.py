"""Off the reference platform the site still builds, shows this machine's outputs
with a notice where they differ and lists them; on it, a changed output fails.
Another platform is simulated by declaring another reference (the variable
SNIPDOC_REFERENCE_PLATFORM), which makes this machine a non-reference one."""

import json
import subprocess
import sys
from pathlib import Path

from test_site import build, make_site

from snipdoc.engine import reference
from snipdoc.integration.extension import platform_from

ROOT = Path(__file__).resolve().parent.parent
NOTES_PLATFORM = platform_from(str(ROOT / "snippets" / "reference_platform.py"))

DRIFTED = ">>> import torch\n>>> torch.linspace(-100, 100, 10)[7]\ntensor(55.5555)\n"
MAC = {"os": "Darwin", "machine": "arm64", "python": "3.12", "torch": "2.13.0"}
OTHER_TAG = {**NOTES_PLATFORM, "torch": "2.13.0+cu128"}


def test_off_the_reference_platform_the_build_passes_with_a_notice_and_a_summary(tmp_path):
    root = make_site(tmp_path, {"index.md": "::: snippet d.txt\n"}, {"d.txt": DRIFTED})
    for other in (MAC, OTHER_TAG):
        result = build(root, env={"SNIPDOC_REFERENCE_PLATFORM": json.dumps(other)})
        assert result.returncode == 0, result.stderr
        assert "1 example(s) print differently here" in result.stderr and "snippets/d.txt:2" in result.stderr
        page = (root / "site" / "index.html").read_text(encoding="utf-8")
        assert "<pre>tensor(55.5556)</pre>" in page and "snippet-differs" in page


def test_on_the_reference_platform_a_changed_output_fails_the_build(tmp_path):
    root = make_site(tmp_path, {"index.md": "::: snippet d.txt\n"}, {"d.txt": DRIFTED})
    result = build(root, env={"SNIPDOC_REFERENCE_PLATFORM": json.dumps(reference.platform_here(_env(), MAC))})
    assert result.returncode != 0
    assert "snippets/d.txt:2: output differs from the recorded one; to accept it: make record FILES=snippets/d.txt" in result.stderr


def _env():
    from snipdoc.engine.cache import environment
    return environment()


def test_record_off_the_reference_platform_refuses_unless_forced(tmp_path):
    (tmp_path / "snippets").mkdir()
    path = tmp_path / "snippets" / "d.txt"
    path.write_text(DRIFTED)
    env = {"SNIPDOC_REFERENCE_PLATFORM": json.dumps(MAC), "PATH": "/usr/bin:/bin"}
    refused = subprocess.run([sys.executable, "-m", "snipdoc", "record"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert refused.returncode == 1 and "is not the reference platform" in refused.stderr and "--force" in refused.stderr
    assert path.read_text() == DRIFTED
    forced = subprocess.run([sys.executable, "-m", "snipdoc", "record", "--force"], cwd=tmp_path, capture_output=True,
                            text=True, env=env)
    assert forced.returncode == 0, forced.stderr
    assert path.read_text().endswith("tensor(55.5556)\n")


def test_the_versions_snippet_passes_with_any_build_tag():
    from snipdoc.engine.core import Engine

    from snipdoc.integration.extension import SnippetExtension, options_from

    engine = Engine(**SnippetExtension(**options_from(ROOT / "mkdocs.yml")).settings(ROOT))
    try:
        snippet = engine.load("home/versions.txt")
        result = engine.result(snippet, use_cache=False)
        assert [r["status"] for r in result["examples"]].count("mismatch") == 0
        assert "+" not in "".join(r["got"] for r in result["examples"][:4])
    finally:
        engine.close()


def test_with_no_reference_platform_declared_every_machine_is_the_reference():
    env = _env()
    assert reference.on_reference(env, None) and reference.on_reference(env, {})
    assert not reference.on_reference(env, MAC)
    here = reference.platform_here(env, MAC)
    assert reference.on_reference(env, here) and set(here) == set(MAC)


def test_the_notes_declare_the_platform_their_home_page_shows():
    from snipdoc.integration.extension import SnippetExtension, options_from

    settings = SnippetExtension(**options_from(ROOT / "mkdocs.yml")).settings(ROOT)
    assert settings["reference_platform"] == NOTES_PLATFORM
    assert ", ".join(NOTES_PLATFORM.values()) + "\n" in (ROOT / "snippets" / "home" / "versions.txt").read_text()
