"""How the browser tests find a browser: the explicit setting, Playwright's own Chromium,
then the usual names on PATH; and what they say, skip or fail when there is none."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFTEST = ROOT / "tests" / "conftest.py"

# Loaded by path: snippets/ has a conftest.py of its own on the import path.
_spec = importlib.util.spec_from_file_location("browser_discovery_conftest", CONFTEST)
discovery = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(discovery)


def fake_browser(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def bare(tmp_path, monkeypatch):
    """No setting, an empty Playwright browsers folder, and a PATH of one empty folder."""
    monkeypatch.delenv(discovery.BROWSER_ENV, raising=False)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "ms-playwright"))
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    return tmp_path


def playwright_chromium_path() -> Path:
    return Path(discovery.playwright_chromium_path())


def test_none_found_gives_a_reason_naming_every_way(bare):
    executable, reason = discovery.find_browser()
    assert executable is None
    for way in (discovery.BROWSER_ENV, "Playwright", "PATH", "playwright install chromium", "apt-get install chromium",
                *discovery.BROWSERS_ON_PATH):
        assert way in reason


@pytest.mark.parametrize("name", discovery.BROWSERS_ON_PATH)
def test_each_name_on_path_is_found(bare, name):
    expected = fake_browser(bare / "bin" / name)
    assert discovery.find_browser() == (expected, f"{name} on PATH")


def test_chromium_is_preferred_to_chrome_on_path(bare):
    fake_browser(bare / "bin" / "google-chrome")
    expected = fake_browser(bare / "bin" / "chromium")
    assert discovery.find_browser()[0] == expected


def test_playwright_chromium_comes_before_path(bare):
    fake_browser(bare / "bin" / "chromium")
    managed = playwright_chromium_path()
    assert managed.is_relative_to(bare / "ms-playwright"), "Playwright ignored PLAYWRIGHT_BROWSERS_PATH"
    expected = fake_browser(managed)
    assert discovery.find_browser() == (expected, "Playwright's Chromium")


def test_the_setting_comes_first(bare, monkeypatch):
    fake_browser(bare / "bin" / "chromium")
    fake_browser(playwright_chromium_path())
    expected = fake_browser(bare / "elsewhere" / "my-chrome")
    monkeypatch.setenv(discovery.BROWSER_ENV, expected)
    assert discovery.find_browser() == (expected, f"{discovery.BROWSER_ENV}={expected}")


def test_the_setting_may_name_a_command_on_path(bare, monkeypatch):
    expected = fake_browser(bare / "bin" / "chrome-beta")
    monkeypatch.setenv(discovery.BROWSER_ENV, "chrome-beta")
    assert discovery.find_browser()[0] == expected


def test_a_wrong_setting_is_reported_not_passed_over(bare, monkeypatch):
    fake_browser(bare / "bin" / "chromium")
    monkeypatch.setenv(discovery.BROWSER_ENV, str(bare / "missing" / "chrome"))
    executable, reason = discovery.find_browser()
    assert executable is None
    assert discovery.BROWSER_ENV in reason and "missing/chrome" in reason


def _run_browser_test(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """pytest, with the project's own addopts, on one test that asks for the browser."""
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "conftest.py").write_text(CONFTEST.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "project" / "test_needs_browser.py").write_text("def test_it(browser):\n    pass\n")
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]["addopts"]
    base = {k: v for k, v in os.environ.items() if k not in ("CI", discovery.BROWSER_ENV)}
    return subprocess.run([sys.executable, "-m", "pytest", "-o", f"addopts={addopts}", "test_needs_browser.py"],
                          cwd=tmp_path / "project", capture_output=True, text=True, timeout=120,
                          env={**base, "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "ms-playwright"), **env})


def test_without_a_browser_make_test_skips_and_prints_why(tmp_path):
    run = _run_browser_test(tmp_path, PATH=str(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout
    assert "SKIPPED" in run.stdout and "no browser:" in run.stdout, run.stdout


def test_in_ci_a_missing_browser_fails(tmp_path):
    run = _run_browser_test(tmp_path, PATH=str(tmp_path), CI="true")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "CI is set, and the browser tests cannot run: no browser:" in run.stdout, run.stdout


def test_in_ci_a_missing_chinese_font_fails(tmp_path):
    # A browser is found, but without fc-list on PATH no font can be confirmed.
    fake_browser(tmp_path / "bin" / "chromium")
    run = _run_browser_test(tmp_path, PATH=str(tmp_path / "bin"), CI="true")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "CI is set, and the browser tests cannot run: no Chinese font" in run.stdout, run.stdout
