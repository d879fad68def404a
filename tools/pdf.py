"""A PDF of each chapter of a built site, printed by headless Chromium, and a link to it
on the chapter's page.

    python tools/pdf.py [SITE_DIR]      (make pdf, after make build)

Each chapter (the folders ch*/ of the built site) is served from SITE_DIR on 127.0.0.1
and printed as the reader would print it: light scheme, every answer open, every figure
loaded. A request to any other host is refused, so the PDF is made offline. The PDF goes
to SITE_DIR/pdf/<chapter>.pdf, and only then is a link to it written into the chapter's
page: a site without the PDFs has no link to them.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import sys
import threading
from pathlib import Path

FOLDER = "pdf"
LINK_TEXT = "下载本章 PDF"
# Chromium's header and footer are documents of their own: they see none of the page's
# styles or fonts, and an empty header still needs a tag or Chromium prints the title there.
FOOTER = ('<div style="width:100%;font-size:8px;text-align:center;color:#555">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
MARGIN = {"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"}
# Lazy images below the fold are never fetched by a page that is not scrolled: load them
# all, and wait for every one, so no figure is printed as an empty box.
# A link to another page of the site would lead the PDF's reader to the local server that
# printed it: it goes to the published site instead (the page's canonical address, when
# the build was given site_url), or is left as plain text. Links within the chapter
# become links within the PDF.
LOAD_ALL = """async ([base, chapter]) => {
  const canonical = document.querySelector('link[rel="canonical"]');
  const published = canonical && canonical.href.endsWith(chapter + "/") ? canonical.href.slice(0, -chapter.length - 1) : null;
  for (const a of document.querySelectorAll("a[href]")) {
    const url = new URL(a.href);
    if (!url.href.startsWith(base) || (url.pathname === location.pathname && url.hash)) continue;
    if (published) a.href = published + url.href.slice(base.length);
    else a.removeAttribute("href");
  }
  for (const d of document.querySelectorAll("details")) d.open = true;
  const imgs = [...document.images];
  for (const img of imgs) img.loading = "eager";
  await Promise.all(imgs.map((img) => img.decode().catch(() => {})));
  await document.fonts.ready;
}"""


def chapters(site: Path) -> list[str]:
    return sorted(p.parent.name for p in site.glob("ch*/index.html"))


def print_chapter(browser, base_url: str, chapter: str, out: Path) -> Path:
    """Prints base_url/<chapter>/ to out with an outline; returns out."""
    context = browser.new_context(color_scheme="light", viewport={"width": 1000, "height": 1400})
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base_url)
                   else route.abort())
        page.goto(f"{base_url}{chapter}/", wait_until="load")
        page.emulate_media(media="print", color_scheme="light")
        page.evaluate(LOAD_ALL, [base_url, chapter])
        out.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(out), format="A4", margin=MARGIN, print_background=True,
                 display_header_footer=True, header_template="<span></span>", footer_template=FOOTER,
                 outline=True, tagged=True)
    finally:
        context.close()
    return out


def link_pdf(site: Path, chapter: str) -> None:
    """Puts a link to the chapter's PDF under its title, once."""
    page = site / chapter / "index.html"
    html = page.read_text(encoding="utf-8")
    if 'class="chapter-pdf"' in html:
        return
    href = os.path.relpath(site / FOLDER / f"{chapter}.pdf", page.parent).replace(os.sep, "/")
    link = f'<p class="chapter-pdf"><a href="{href}" download>{LINK_TEXT}</a></p>'
    html, n = re.subn(r"(<h1\b.*?</h1>)", lambda m: m[1] + link, html, count=1, flags=re.S)
    if n != 1:
        raise SystemExit(f"{page}: no <h1> to put the PDF link under")
    page.write_text(html, encoding="utf-8")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _executable() -> str | None:
    """The browser the tests use: SNIPDOC_CHROMIUM, else Playwright's own if installed,
    else a Chromium or Chrome on PATH."""
    explicit = os.environ.get("SNIPDOC_CHROMIUM")
    if explicit:
        return shutil.which(explicit) or sys.exit(f"SNIPDOC_CHROMIUM={explicit} is not an executable file")
    return None


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    site = Path(argv[0] if argv else "site").resolve()
    names = chapters(site)
    if not names:
        print(f"error: no chapter (ch*/index.html) in {site}: run `make build` first", file=sys.stderr)
        return 1
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    try:
        with sync_playwright() as p:
            executable = _executable()
            if executable is None and not os.access(p.chromium.executable_path, os.X_OK):
                executable = next(filter(None, map(shutil.which, (
                    "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"))), None)
            browser = p.chromium.launch(executable_path=executable, args=args)
            for name in names:
                out = print_chapter(browser, base, name, site / FOLDER / f"{name}.pdf")
                link_pdf(site, name)
                print(f"{out.relative_to(site)}: {out.stat().st_size // 1024} KiB")
            browser.close()
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
