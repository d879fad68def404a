"""Fixtures for the browser tests: the real site built once, served locally, and
one headless Chromium for the whole session."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"


def _build(root: Path, dest: Path, command: str = "mkdocs") -> Path:
    """`<command> build --strict` of the site whose mkdocs.yml is in root, into dest."""
    exe = Path(sys.executable).parent / command
    run = subprocess.run([str(exe), "build", "--strict", "-f", str(root / "mkdocs.yml"), "-d", str(dest)],
                         cwd=root, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, f"{command} build failed:\n{run.stderr}"
    return dest


@pytest.fixture(scope="session")
def build_site():
    """build_site(root, dest, command="mkdocs") -> dest, failing with the build's log."""
    return _build


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The real site, built from this checkout by `mkdocs build --strict`."""
    return _build(ROOT, tmp_path_factory.mktemp("site"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def serve():
    """serve(folder) -> base URL of a local HTTP server for that folder."""
    servers = []

    def start(folder: Path) -> str:
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _browser_missing() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"no browser: {CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)"
    fonts = shutil.which("fc-list") and subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    if not fonts:
        return "no Chinese font: `fc-list :lang=zh` lists none, pages would show boxes (apt-get install fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session. Skipped where there is none, but in CI a
    missing browser or Chinese font fails: the checks must never silently not run there."""
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, and the browser tests cannot run: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
