"""Fixtures for the browser tests: the real site built once, served locally, and
one headless Chromium for the whole session."""

from __future__ import annotations

import concurrent.futures
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
# Where the browser tests look for Chromium, in this order: an explicit setting, the
# Chromium Playwright manages (`playwright install chromium`), then these names on PATH.
BROWSER_ENV = "SNIPDOC_CHROMIUM"
BROWSERS_ON_PATH = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
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


def playwright_chromium_path() -> str:
    """Where this version of Playwright keeps its own Chromium, installed or not, asked of
    Playwright itself (it honours PLAYWRIGHT_BROWSERS_PATH)."""
    from playwright.sync_api import sync_playwright

    def ask() -> str:
        with sync_playwright() as p:
            return p.chromium.executable_path

    # In a thread of its own: the sync API refuses to start in a thread where another
    # Playwright (the session's browser) already runs its event loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(ask).result()


def _playwright_chromium() -> str | None:
    try:
        path = playwright_chromium_path()
    except ImportError:
        return None
    return path if os.access(path, os.X_OK) else None


def find_browser() -> tuple[str | None, str]:
    """(executable, how it was found), or (None, why there is none and how to get one)."""
    explicit = os.environ.get(BROWSER_ENV)
    if explicit:
        # A wrong explicit setting is an error, never a reason to quietly use another browser.
        path = shutil.which(explicit)
        if path is None:
            return None, f"{BROWSER_ENV}={explicit} is not an executable file"
        return path, f"{BROWSER_ENV}={explicit}"
    managed = _playwright_chromium()
    if managed:
        return managed, "Playwright's Chromium"
    for name in BROWSERS_ON_PATH:
        path = shutil.which(name)
        if path:
            return path, f"{name} on PATH"
    return None, (f"no browser: {BROWSER_ENV} is not set, Playwright's Chromium is not installed, and none of "
                  f"{', '.join(BROWSERS_ON_PATH)} is on PATH (apt-get install chromium fonts-noto-cjk, "
                  f"or playwright install chromium, or set {BROWSER_ENV} to a Chromium or Chrome executable)")


def _chinese_font_missing() -> str | None:
    fonts = shutil.which("fc-list") and subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    if not fonts:
        return "no Chinese font: `fc-list :lang=zh` lists none, pages would show boxes (apt-get install fonts-noto-cjk)"
    return None


def pytest_collection_finish(session):
    """Start the two slowest preparations of a clean checkout in the background, on one CPU
    each at most: the equivalence proof (a fresh interpreter per snippet) and the standalone
    engine's environments (pip). They run beside tests that mostly wait on a browser or a
    server, and their tests wait for them."""
    chosen = {item.nodeid.split("::")[0] for item in session.items}
    if "tests/test_equivalence.py" in chosen:
        from test_equivalence import start_proof

        start_proof(workers=1)
    if "tests/test_standalone.py" in chosen:
        from test_standalone import start_environments

        start_environments()


# Which browser ran the checks (Chromium or Chrome, and its version) belongs in the log.
_BROWSER_USED = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter, config):
    if _BROWSER_USED in config.stash:
        terminalreporter.write_line(f"browser tests ran in {config.stash[_BROWSER_USED]}")


@pytest.fixture(scope="session")
def browser(request):
    """One headless Chromium for the session. Skipped where there is none, but in CI a
    missing browser or Chinese font fails: the checks must never silently not run there."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable, missing = None, "playwright is not installed (pip install -e '.[test]')"
    else:
        executable, how = find_browser()
        missing = None if executable else how
    missing = missing or _chinese_font_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, and the browser tests cannot run: {missing}")
        pytest.skip(missing)

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        request.config.stash[_BROWSER_USED] = f"{executable} ({how}), version {chromium.version}"
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
