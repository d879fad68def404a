"""End to end: build small sites in a temporary folder and read their HTML."""

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sites import ARITHMATEX, EXTENSIONS, config
from sites import make_site as _make_site

EXTENSIONS = ["admonition", "pymdownx.details", *EXTENSIONS[1:], "pymdownx.tabbed", ARITHMATEX]
MKDOCS_YML = config({"timeout": 20}, extensions=EXTENSIONS)  # what make_site writes


def make_site(root: Path, pages: dict[str, str], snippets: dict[str, str]) -> Path:
    return _make_site(root, pages, snippets, options={"timeout": 20}, extensions=EXTENSIONS)


def text(page: str) -> str:
    """What a reader sees: highlighted code is split into many spans."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def build(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", *args], cwd=root,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})})


def start_serve(root: Path, stdout, env: dict | None = None, **popen) -> tuple[subprocess.Popen, int]:
    """`mkdocs serve` of the site in root on a free port: (the process, the port)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"], cwd=root,
                               stdout=stdout, stderr=subprocess.STDOUT,
                               env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})}, **popen)
    return process, port


SNIPPET = """\
>>> import torch
>>> a = torch.linspace(-1, 1, 3)
>>> torch.sigmoid(a)
tensor([0.2689, 0.5000, 0.7311])
>>> print("<script>alert(1)</script> *a* $x$ grad_fn=<SoftmaxBackward0>")
<script>alert(1)</script> *a* $x$ grad_fn=<SoftmaxBackward0>
>>> import matplotlib.pyplot as plt
>>> fig, ax = plt.subplots()
>>> _ = ax.plot([0, 1], [1, 0])
"""


def test_page_shows_code_and_real_output_and_warm_build_imports_no_torch(tmp_path):
    root = make_site(tmp_path, {"index.md": "# 首页\n\n::: snippet sig.txt\n\n中间那个是 {{ sig.txt#sig[1] }}。\n"},
                     {"sig.txt": SNIPPET.replace(">>> torch.sigmoid(a)\n", ">>> torch.sigmoid(a)  # value: sig\n")})
    first = build(root)
    assert first.returncode == 0, first.stderr
    assert "snippets: 1 executed, 0 from the cache" in first.stderr
    page = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert "&gt;&gt;&gt;" not in page  # no prompts: the copy button copies runnable code
    assert '<div class="snippet-output" role="group" aria-label="输出"><pre>tensor([0.2689, 0.5000, 0.7311])</pre></div>' in page
    # Output that looks like HTML, Markdown or TeX is shown literally, never interpreted.
    assert "<pre>&lt;script&gt;alert(1)&lt;/script&gt; *a* $x$ grad_fn=&lt;SoftmaxBackward0&gt;</pre>" in page
    assert "<script>alert(1)" not in page
    assert '中间那个是 <span class="snippet-value" title="snippets/sig.txt:3 的运行结果" tabindex="0">0.5000</span>。' in page
    # The figure's two variants are files of the site, loaded lazily: a reader fetches only the one shown.
    figures = re.findall(r'<img class="snippet-(light|dark)" src="assets/figures/(\w+\.svg)#only-\1" loading="lazy" '
                         r'width="\d+" height="\d+" alt=', page)
    assert [scheme for scheme, _ in figures] == ["light", "dark"] and "data:image" not in page
    for scheme, name in figures:
        svg = (root / "site" / "assets" / "figures" / name).read_text(encoding="utf-8")
        assert svg.startswith("<?xml") and ("#e2e4e9" in svg) == (scheme == "dark")

    second = build(root, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert second.returncode == 0, second.stderr
    assert "snippets: 0 executed, 1 from the cache" in second.stderr
    imported = re.findall(r"import time:.*\| +(\S+)$", second.stderr, re.M)
    assert "mkdocs" in imported and "torch" not in imported
    assert (root / "site" / "index.html").read_text(encoding="utf-8") == page


def test_a_corrupted_cache_entry_is_detected_and_run_again(tmp_path):
    root = make_site(tmp_path, {"index.md": "::: snippet a.txt\n"}, {"a.txt": ">>> 6 * 7\n42\n"})
    assert build(root).returncode == 0
    [entry] = (root / ".cache" / "snipdoc").rglob("*.json")
    for damage in (entry.read_bytes()[:40], entry.read_bytes().replace(b"42", b"41")):
        entry.write_bytes(damage)
        again = build(root)
        assert again.returncode == 0, again.stderr
        assert "snippets: 1 executed" in again.stderr
        assert "<pre>42</pre>" in (root / "site" / "index.html").read_text(encoding="utf-8")


def test_parts_embed_a_named_part_and_figures_follow_the_part_that_drew_them(tmp_path):
    snippet = (">>> x = 1\n\n# part: second\n\n>>> import matplotlib.pyplot as plt\n>>> fig, ax = plt.subplots()\n"
               ">>> x + 1\n2\n")
    pages = {"index.md": "::: snippet p.txt part=second\n", "both.md": "A\n\n::: snippet p.txt\n"}
    root = make_site(tmp_path, pages, {"p.txt": snippet})
    result = build(root)
    assert result.returncode == 0, result.stderr
    page = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert "<pre>2</pre>" in page and "x = 1" not in text(page)
    assert page.count("<figure class=\"snippet-figure\"") == 1
    both = (root / "site" / "both" / "index.html").read_text(encoding="utf-8")
    assert "x = 1" in text(both) and both.count("<figure class=\"snippet-figure\"") == 1


@pytest.mark.parametrize("page, snippets, message", [
    ("# t\n\n::: snippet missing.txt\n", {"a.txt": ">>> 1\n1\n"},
     "docs/index.md:3: snippet 'missing.txt' not found (looked for snippets/missing.txt)"),
    ("# t\n\n::: snippet a.txt hide=code\n", {"a.txt": ">>> 1\n1\n"},
     "docs/index.md:3: unknown snippet option 'hide=code'; known options: part=NAME, caption=\"TEXT\""),
    ("# t\n\n::: snippet ch1/sigmod.txt\n", {"ch1/sigmoid.txt": ">>> 1\n1\n"},
     "docs/index.md:3: snippet 'ch1/sigmod.txt' not found (looked for snippets/ch1/sigmod.txt); did you mean ch1/sigmoid.txt?"),
    ("# t\n\n:::snippet a.txt\n", {"a.txt": ">>> 1\n1\n"},
     "docs/index.md:3: ':::snippet a.txt' looks like a mistyped directive"),
    ("# t\n\n!!! note\n\n    ::: snipet a.txt\n", {"a.txt": ">>> 1\n1\n"},
     "docs/index.md:5: '::: snipet a.txt' looks like a mistyped directive"),
    ("- item\n\n    ::: Snippet a.txt\n", {"a.txt": ">>> 1\n1\n"},
     "docs/index.md:3: '::: Snippet a.txt' looks like a mistyped directive"),
    ("# t\n\n<div>::: snippet a.txt</div>\n\n::: snippet a.txt\n", {"a.txt": ">>> 1\n1\n"},
     "docs/index.md: a snippet directive was left in the page as text"),
    ("# t\n\n::: snippet a.txt\n\n值是 {{ a.txt#answr }}。\n", {"a.txt": ">>> 6 * 7  # value: answer\n42\n"},
     "docs/index.md:5: a.txt has no value 'answr'; did you mean answer?"),
    ("# t\n\n::: snippet a.txt part=nope\n", {"a.txt": ">>> 1\n1\n"},
     "docs/index.md:3: snippet 'a.txt' has no part 'nope' (parts: none)"),
    ("# t\n\n\n::: snippet a.txt\n", {"a.txt": ">>> x = 1\n>>> x +\n"},
     "snippets/a.txt:2: unexpected exception: SyntaxError: invalid syntax\n  (embedded at docs/index.md:4)"),
    ("::: snippet a.txt\n", {"a.txt": ">>> 1\n1\n>>> {}['k']\n"},
     "snippets/a.txt:3: unexpected exception: KeyError: 'k'\n  (embedded at docs/index.md:1)"),
])
def test_author_mistakes_fail_the_build_naming_the_file_and_line(tmp_path, page, snippets, message):
    root = make_site(tmp_path, {"index.md": page}, snippets)
    result = build(root)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (root / "site" / "index.html").exists()  # a failing snippet never publishes a page


def test_a_snippet_no_page_embeds_is_a_warning(tmp_path):
    root = make_site(tmp_path, {"index.md": "::: snippet a.txt\n"}, {"a.txt": ">>> 1\n1\n", "orphan.txt": ">>> 2\n2\n"})
    result = build(root)
    assert result.returncode != 0  # --strict turns the warning into a failure
    assert "WARNING -  snipdoc: snippets/orphan.txt: no page embeds this snippet" in result.stderr


def test_without_strict_a_failing_snippet_still_writes_no_site(tmp_path):
    root = make_site(tmp_path, {"index.md": "::: snippet a.txt\n\n::: snippet a.txt\n"}, {"a.txt": ">>> 1 / 0\n"})
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=root, capture_output=True, text=True)
    assert result.returncode != 0
    assert "2 snippet error(s); the site was not written" in result.stderr
    assert "snippets: 1 executed" in result.stderr  # a failure is run once per build, not per embed
    assert not (root / "site").exists()


def test_the_real_site_builds_strictly(tmp_path):
    project = Path(__file__).resolve().parent.parent
    result = build(project, "--site-dir", str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    chapter = (tmp_path / "site" / "ch12" / "index.html").read_text(encoding="utf-8")
    # Every recorded output appears, as text, on the page that embeds it.
    from snipdoc.engine.parse import find_directives, parse_snippet
    for page in (project / "docs").rglob("*.md"):
        out = tmp_path / "site" / page.relative_to(project / "docs").with_suffix("")
        out = out.parent / "index.html" if out.name == "index" else out / "index.html"
        built = html.unescape(out.read_text(encoding="utf-8"))
        for d in find_directives(page.read_text(encoding="utf-8").split("\n"), str(page))[0]:
            snippet = parse_snippet(project / "snippets" / d.snippet, d.snippet)
            for example in snippet.part(d.part):
                shown = example.want.replace("<BLANKLINE>", "").replace("&", "&").split("Traceback (most recent call last):\n    ...\n")[-1]
                assert shown.strip() in built, f"{d.snippet}:{example.lineno} output missing from {out}"
    assert chapter


NESTED = """\
# t

!!! note "In an admonition"

    ::: snippet a.txt

- a list item

    ::: snippet b.txt

=== "A tab"

    ::: snippet c.txt

??? success "答案"

    ::: snippet d.txt
"""


def test_directives_render_inside_admonitions_lists_tabs_and_details(tmp_path):
    snippets = {f"{n}.txt": f">>> print('{n}' * 3)\n{n * 3}\n" for n in "abcd"}
    root = make_site(tmp_path, {"index.md": NESTED}, snippets)
    result = build(root)
    assert result.returncode == 0, result.stderr
    page = (root / "site" / "index.html").read_text(encoding="utf-8")
    for n in "abcd":
        assert f"<pre>{n * 3}</pre>" in page
    assert "::: snippet" not in text(page)
    before = page[page.index('class="admonition note"'):page.index("<pre>aaa</pre>")]
    assert before.count("<div") >= before.count("</div>") + 1  # inside the admonition, not after it


def test_serve_never_waits_for_a_slow_snippet(tmp_path):
    import time
    import urllib.request

    slow = ">>> import time; time.sleep(8); print('done')\ndone\n"
    root = make_site(tmp_path, {"index.md": "::: snippet slow.txt\n", "other.md": "# other\n\nv1\n",
                                "bad.md": "# bad\n\n::: snippet slow.txt hide=code\n"}, {"slow.txt": slow})
    log = open(tmp_path / "serve.log", "w+")
    serve, port = start_serve(root, log)

    def wait_for(needle, count=1, limit=60):
        for _ in range(limit * 10):
            if (tmp_path / "serve.log").read_text().count(needle) >= count:
                return
            time.sleep(0.1)
        raise AssertionError(f"no {needle!r} in:\n" + (tmp_path / "serve.log").read_text())

    def get(path=""):
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}").read().decode()

    try:
        wait_for("Serving on")
        assert "snippet-running" in get()  # the page is there at once, saying the snippet runs
        bad = get("bad/")  # an author's mistake is a red box on the page, as in the terminal
        assert "snippet-failure" in bad and "unknown snippet option &#x27;hide=code&#x27;" in bad
        (root / "docs" / "other.md").write_text("# other\n\nv2\n")
        start = time.monotonic()
        for _ in range(100):
            if "v2" in get("other/"):
                break
            time.sleep(0.1)
        assert time.monotonic() - start < 6 and "v2" in get("other/")  # an unrelated edit did not wait
        wait_for("slow.txt is still running")
        wait_for("reloading")
        for _ in range(100):
            if "<pre>done</pre>" in get():
                break
            time.sleep(0.1)
        assert "<pre>done</pre>" in get()
        assert (tmp_path / "serve.log").read_text().count("snippets: 1 executed") == 1  # run once, never again
    finally:
        serve.terminate()
        serve.wait(timeout=30)


NOTEBOOK_YML = MKDOCS_YML.replace("      timeout: 20\n", "      timeout: 20\n      output_limit: 1000\n").replace(
    "plugins:\n  - snipdoc\n", """\
plugins:
  - snipdoc:
      notebooks: [ch.md]
  - mkdocs-jupyter:
      include: ["*.ipynb"]
      ignore: ["*.md", "*.py"]
      execute: false
      allow_errors: false
nav:
  - ch.md
  - huge.md
  - notebooks/ch.ipynb
""")


def test_serve_keeps_notebooks_and_failures_out_of_the_edit_loop(tmp_path):
    """Under serve the edited page reloads without waiting for its notebook, which the
    page says is being updated until it is; an output over the limit is a red box, run
    once, not a rebuild loop; and a failing snippet names the line of the page."""
    import time
    import urllib.request

    root = make_site(tmp_path, {"ch.md": "# 首页\n\nv1\n\n::: snippet a.txt\n", "huge.md": "# huge\n\n::: snippet huge.txt\n"},
                     {"a.txt": ">>> print('a' * 3)\naaa\n", "huge.txt": '>>> print("x" * 5000)\n'})
    (root / "mkdocs.yml").write_text(NOTEBOOK_YML, encoding="utf-8")
    log_path = tmp_path / "serve.log"
    log = open(log_path, "w+")
    serve, port = start_serve(root, log)

    def get(path=""):
        return text(urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}").read().decode())

    def until(check, limit=60):
        for _ in range(limit * 20):
            if check():
                return True
            time.sleep(0.05)
        raise AssertionError("not within the time limit; the server's log:\n" + log_path.read_text()[-4000:])

    try:
        until(lambda: "Serving on" in log_path.read_text())
        until(lambda: "v1" in get("notebooks/ch/"))  # converted in the background after the first build
        until(lambda: "over the limit of 1,000" in get("huge/"))
        (root / "docs" / "ch.md").write_text("# 首页\n\nv2\n\n::: snippet a.txt\n", encoding="utf-8")
        until(lambda: "v2" in get("ch/"))
        # The notebook is either updated already or says it is being updated: never an old one shown as current.
        notebook_page = get("notebooks/ch/")
        assert "v2" in notebook_page or "Notebook 版正在更新" in notebook_page
        until(lambda: "v2" in get("notebooks/ch/") and "正在更新" not in get("notebooks/ch/"))
        time.sleep(2)  # room for a loop of rebuilds to show itself
        logged = log_path.read_text()
        runs = [int(n) for n in re.findall(r"snippets: (\d+) executed", logged)]
        assert sum(runs) == 2 and len(runs) < 8, logged  # each snippet ran once; no loop of rebuilds
        (root / "snippets" / "a.txt").write_text(">>> print('a' * 3)\nbbb\n", encoding="utf-8")
        until(lambda: "docs/ch.md:5" in log_path.read_text())  # the directive's line, though a note was added above it
    finally:
        serve.terminate()
        serve.wait(timeout=30)
        log.close()


@pytest.mark.parametrize("page, drop, line", [
    # Content tabs on a site without pymdownx.tabbed: the indented directive becomes a code block.
    ('# t\n\n=== "A"\n\n    ::: snippet a.txt\n', "  - pymdownx.tabbed\n", 5),
    # Indented with a tab at the top level: an indented code block too.
    ("# t\n\n\t::: snippet a.txt\n", "", 3),
])
def test_an_expansion_that_lands_in_a_code_block_fails_the_build(tmp_path, page, drop, line):
    root = make_site(tmp_path, {"index.md": page}, {"a.txt": ">>> print('a' * 3)\naaa\n"})
    (root / "mkdocs.yml").write_text(MKDOCS_YML.replace(drop, ""), encoding="utf-8")
    result = build(root)
    assert result.returncode != 0
    assert f"docs/index.md:{line}: '::: snippet a.txt' was published inside a code block" in result.stderr


def test_a_snippet_that_cannot_be_read_is_one_error_not_also_unembedded(tmp_path):
    root = make_site(tmp_path, {"index.md": "# t\n\n::: snippet a.txt\n"}, {})
    (root / "snippets").mkdir()
    (root / "snippets" / "a.txt").write_bytes(b">>> print('\xe9')\n")  # Latin-1, not UTF-8
    result = build(root)
    assert result.returncode != 0
    assert "snippets/a.txt" in result.stderr and "UTF-8" in result.stderr
    assert "no page embeds this snippet" not in result.stderr


def test_the_red_box_says_what_happened(tmp_path):
    import time
    import urllib.request

    cases = {"missing.txt": "示例无法嵌入", "a.txt": "输出与记录的不同", "boom.txt": "示例运行失败"}
    pages = {f"p{i}.md": f"# t\n\n::: snippet {name}\n" for i, name in enumerate(cases)}
    root = make_site(tmp_path, pages, {"a.txt": ">>> 6 * 7\n41\n", "boom.txt": ">>> 1 / 0\n"})
    serve, port = start_serve(root, subprocess.DEVNULL)
    try:
        for i, title in enumerate(cases.values()):
            page = ""
            for _ in range(600):
                try:
                    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/p{i}/").read().decode()
                except OSError:
                    pass
                if "snippet-failure" in page:
                    break
                time.sleep(0.1)
            assert f'<p class="admonition-title">{title}</p>' in page
    finally:
        serve.terminate()
        serve.wait(timeout=30)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_stopping_serve_prints_no_traceback_and_leaves_no_temporary_folder(tmp_path, how):
    import signal
    import time

    (tmp_path / "site").mkdir()
    root = make_site(tmp_path / "site", {"index.md": "::: snippet a.txt\n"}, {"a.txt": ">>> 6 * 7\n42\n"})
    temp = tmp_path / "tmp"
    temp.mkdir()
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        # A process group of its own, as a terminal gives a command: Ctrl-C signals the whole group.
        serve, _ = start_serve(root, log, env={"TMPDIR": str(temp)}, start_new_session=True)
        try:
            for _ in range(1200):
                if "Serving on" in log_path.read_text() and list(temp.glob("snipdoc-*")):
                    break
                time.sleep(0.05)
            assert list(temp.glob("snipdoc-*")), "the snippet server never started"
            time.sleep(1)
            if how == "ctrl-c":
                os.killpg(serve.pid, signal.SIGINT)
            else:
                serve.terminate()
            serve.wait(timeout=30)
        finally:
            if serve.poll() is None:
                serve.kill()
    for _ in range(600):  # the server leaves once it sees that MkDocs is gone
        if not list(temp.glob("snipdoc-*")):
            break
        time.sleep(0.05)
    assert list(temp.glob("snipdoc-*")) == []
    logged = log_path.read_text()
    assert "Traceback" not in logged and "KeyboardInterrupt" not in logged, logged


def test_a_failed_build_keeps_the_last_good_site(tmp_path):
    root = make_site(tmp_path, {"index.md": "# t\n\n::: snippet a.txt\n"}, {"a.txt": ">>> 6 * 7\n42\n"})
    assert build(root).returncode == 0
    good = (root / "site" / "index.html").read_text(encoding="utf-8")
    (root / "snippets" / "a.txt").write_text(">>> 6 * 7\n41\n", encoding="utf-8")
    (root / "docs" / "index.md").write_text("# t\n\nnew\n\n::: snippet a.txt\n", encoding="utf-8")
    result = build(root)
    assert result.returncode != 0 and "the site was not written" in result.stderr
    assert (root / "site" / "index.html").read_text(encoding="utf-8") == good
    assert sorted(p.name for p in root.iterdir()) == [".cache", "docs", "mkdocs.yml", "site", "snippets"]
    (root / "snippets" / "a.txt").write_text(">>> 6 * 7\n42\n", encoding="utf-8")
    assert build(root).returncode == 0
    assert "new" in text((root / "site" / "index.html").read_text(encoding="utf-8"))


def test_a_number_typed_by_hand_is_reported_and_fails_a_strict_build_if_asked(tmp_path):
    page = {"index.md": "# t\n\n在 x=10 处是 `4.5396e-05`，约为 0.5，发布于 2024 年（PR #12345，torch 2.13.0）。\n"}
    listed = build(make_site(tmp_path / "default", page, {}))
    assert listed.returncode == 0, listed.stderr  # by default listed in the log (an imported draft still builds)
    assert "INFO    -  snipdoc: docs/index.md:3: 4.5396e-05 is typed by hand" in listed.stderr
    result = build(_make_site(tmp_path / "strict", page, {}, options={"timeout": 20, "number_lint": "warning"},
                              extensions=EXTENSIONS))
    assert result.returncode != 0
    assert "WARNING -  snipdoc: docs/index.md:3: 4.5396e-05 is typed by hand" in result.stderr
    assert result.stderr.count("is typed by hand") == 1  # 0.5, a year, a PR number and a version are not
