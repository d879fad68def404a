"""The site as the Pages workflow publishes it, from a fork: every address comes from the run.

The build step of .github/workflows/pages.yml is run with the environment it declares,
its ${{ ... }} expressions filled in as GitHub would fill them for a fork (a repository
and a Pages address no other test uses). The job that fills the branch "Open in Colab"
reads runs its own script, offline: the push goes to a local bare repository that git is
told stands for the fork's (url.<local>.insteadOf). The site is built once for the module."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"

SERVER = "https://github.com"
REPOSITORY = "a-fork/pytorch-notes-copy"
# configure-pages gives base_url without a trailing slash.
BASE_URL = "https://a-fork.github.io/pytorch-notes-copy"
COLAB = "https://colab.research.google.com/github/"
# Links that leave both the site and the repository: the footer's licences and the theme's credit.
OUTSIDE = {
    "https://creativecommons.org/licenses/by-sa/4.0/deed.zh-hans",
    "https://opensource.org/license/mit-0",
    "https://squidfunk.github.io/mkdocs-material/",
}


def _expand(value: str, context: dict[str, str]) -> str:
    """A workflow's ${{ name }} expressions; an unknown one fails the test that uses it."""
    return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: context[m[1]], str(value))


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _step(job: dict, **match) -> dict:
    found = [s for s in job["steps"] if all(str(s.get(k, "")).startswith(v) for k, v in match.items())]
    assert len(found) == 1, f"pages.yml: one step with {match}, found {len(found)}"
    return found[0]


@dataclass
class Published:
    site: Path
    site_url: str  # with its trailing slash, as pages' addresses start
    repo_url: str
    branch: str
    bare: Path  # the repository the notebooks job pushed to

    def branch_file(self, path: str) -> bytes | None:
        run = subprocess.run(["git", "--git-dir", str(self.bare), "show", f"{self.branch}:{path}"],
                             capture_output=True)
        return run.stdout if run.returncode == 0 else None


def _build(dest: Path, temp: Path) -> dict[str, str]:
    """The site built by the workflow's build job; returns the environment its step set."""
    job = _workflow()["jobs"]["build"]
    pages = _step(job, uses="actions/configure-pages@")
    build = _step(job, name="Build")
    assert job["steps"].index(pages) < job["steps"].index(build) and pages["id"] == "pages"
    assert build["run"].strip() == "make build"
    assert re.search(r"^build:.*\n\t\$\(VENV\)/bin/mkdocs build --strict$",
                     (ROOT / "Makefile").read_text(encoding="utf-8"), re.M), "make build is no longer mkdocs build --strict"
    context = {"steps.pages.outputs.base_url": BASE_URL, "github.server_url": SERVER,
               "github.repository": REPOSITORY, "runner.temp": str(temp)}
    env = {k: _expand(v, context) for k, v in build.get("env", {}).items()}
    assert {"SITE_URL", "REPO_URL"} <= set(env), "the build step no longer sets SITE_URL and REPO_URL"
    base = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "REPO_URL"}}
    run = subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-d", str(dest)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**base, **job.get("env", {}), **env, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, run.stderr
    return env


def _publish_notebooks(site: Path, temp: Path, home: Path, repo_url: str) -> tuple[str, Path]:
    """Runs the notebooks job's script on the site as upload-pages-artifact packs it."""
    workflow = _workflow()
    job = workflow["jobs"]["notebooks"]
    assert "deploy" in str(job["needs"]), "the branch must hold what was deployed, after it was"
    download = _step(job, uses="actions/download-artifact@")
    push = _step(job, name="Push the built site")
    context = {"runner.temp": str(temp), "github.server_url": SERVER, "github.repository": REPOSITORY,
               "github.sha": "0" * 40, "github.token": "not-a-token"}
    env = {k: _expand(v, context) for k, v in push["env"].items()}
    # The artifact that actions/upload-pages-artifact@v5 uploads (name github-pages): a tar
    # of the site folder made by `tar --dereference --directory site -cvf artifact.tar
    # --exclude=.git --exclude=.github --exclude=.[^/]* .`
    upload = _step(workflow["jobs"]["build"], uses="actions/upload-pages-artifact@")
    assert download["with"]["name"] == upload.get("with", {}).get("name", "github-pages")
    site_dir = re.search(r"^site_dir: (\S+)$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    assert site_dir and upload["with"]["path"] == site_dir[1], "the artifact is the folder mkdocs builds"
    folder = Path(_expand(download["with"]["path"], context))
    folder.mkdir(parents=True)
    assert Path(env["ARTIFACT"]).parent == folder, "the script reads the artifact where it is downloaded"
    with tarfile.open(env["ARTIFACT"], "w", dereference=True) as tar:
        for path in sorted(site.rglob("*")):
            rel = path.relative_to(site)
            if not any(part.startswith(".") for part in rel.parts) and path.is_file():
                tar.add(path, arcname=f"./{rel.as_posix()}")
    # Pushes to the repository whose addresses the build was given.
    assert env["REPOSITORY"] in {repo_url, repo_url + ".git"}
    bare = temp / "repository.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    (home / ".gitconfig").write_text(f'[url "{bare.as_uri()}"]\n\tinsteadOf = {env["REPOSITORY"]}\n')
    run = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", push["run"]],
                         capture_output=True, text=True, timeout=120,
                         env={"PATH": os.environ["PATH"], "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", **env})
    assert run.returncode == 0, run.stdout + run.stderr
    return env["BRANCH"], bare


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Published:
    site = tmp_path_factory.mktemp("site")
    temp = tmp_path_factory.mktemp("runner-temp")
    env = _build(site, temp)
    repo_url = env["REPO_URL"]
    assert repo_url == f"{SERVER}/{REPOSITORY}"
    branch, bare = _publish_notebooks(site, temp, tmp_path_factory.mktemp("home"), repo_url)
    return Published(site, env["SITE_URL"].rstrip("/") + "/", repo_url, branch, bare)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, url, text of an <a>)
        self.title = ""
        self._in: list = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src"):
            if tag in {"a", "link", "script", "img"} and attrs.get(name) is not None:
                self.links.append([tag, attrs[name], ""])
        self._in.append(tag)

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if self._in and self._in[-1] == "title":
            self.title += data
        if self._in and self._in[-1] == "a" and self.links and self.links[-1][0] == "a":
            self.links[-1][2] += data


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def _url(pub: Published, path: Path) -> str:
    rel = path.relative_to(pub.site).as_posix()
    return pub.site_url + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def _notebook_links(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return re.findall(r"\]\(([^)\s]+)", text) + re.findall(r'href="([^"]+)"', text)


def _every_link(pub: Published):
    """(where, absolute url, tag, text) for every link of every page and notebook."""
    for path in [*_pages(pub.site), pub.site / "404.html"]:
        parser = _Links()
        parser.feed(path.read_text(encoding="utf-8"))
        for tag, url, text in parser.links:
            yield path, urljoin(_url(pub, path), url), tag, text
    for path in sorted(pub.site.rglob("*.ipynb")):
        for url in _notebook_links(path):
            yield path, urljoin(_url(pub, path), url), "ipynb", ""


def _colab(pub: Published, url: str) -> tuple[str, str, str]:
    """(repository, branch, path) named by an Open in Colab address."""
    m = re.fullmatch(re.escape(COLAB) + r"([^/]+/[^/]+)/blob/([^/]+)/(.+)", url)
    assert m, f"not a Colab address for a GitHub file: {url}"
    return m[1], m[2], unquote(m[3])


def _problem(pub: Published, page: Path, url: str) -> str | None:
    """Why url does not resolve, or None."""
    if url.startswith("data:"):
        return None
    target = url.split("#")[0].split("?")[0]
    if url.startswith(pub.site_url):
        rel = unquote(target[len(pub.site_url):])
        file = pub.site / rel
        if rel == "" or rel.endswith("/"):
            file = file / "index.html"
        return None if file.is_file() else f"no {file.relative_to(pub.site)} in the site"
    repo = pub.repo_url
    if url == repo:
        return None
    if url.startswith(repo + "/edit/"):
        # edit_uri names the branch the workflow publishes from and a source in it.
        branch, _, source = url[len(repo + "/edit/"):].partition("/")
        branches = _workflow()[True]["push"]["branches"]  # `on:` is YAML's true
        if branch not in branches:
            return f"edits branch {branch}, the site is published from {branches}"
        return None if (ROOT / unquote(source)).is_file() else f"no {source} in the repository"
    if url.startswith(repo + "/issues/new?"):
        query = parse_qs(urlsplit(url).query)
        body, title = query.get("body", [""])[0], query.get("title", [""])[0]
        return None if _url(pub, page) in body and title.strip("[] ") else f"issue not prefilled with the page: {query}"
    if url.startswith(COLAB):
        repository, branch, path = _colab(pub, url)
        if f"{SERVER}/{repository}" != repo:
            return f"Colab opens {repository}, not this repository"
        if branch != pub.branch:
            return f"Colab reads branch {branch}; the workflow fills {pub.branch}"
        return None if pub.branch_file(path) is not None else f"no {path} on branch {branch}"
    if url in OUTSIDE:
        return None
    return "leads outside the site and the repository (if it should, add it to OUTSIDE)"


def test_the_sitemap_lists_every_page(published):
    sitemap = (published.site / "sitemap.xml").read_text(encoding="utf-8")
    listed = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    pages = [_url(published, p) for p in _pages(published.site)]
    assert len(pages) >= 3
    assert sorted(listed) == sorted(pages)


def test_every_link_resolves_in_the_site_or_the_repository(published):
    problems, seen = [], set()
    for page, url, tag, _ in _every_link(published):
        if (page, url) in seen:
            continue
        seen.add((page, url))
        why = _problem(published, page, url)
        if why:
            problems.append(f"{page.relative_to(published.site)}: <{tag}> {url}: {why}")
    assert problems == []
    kinds = {k for _, url, _, _ in _every_link(published)
             for k in ("edit", "issues/new", "colab") if k in url}
    assert kinds == {"edit", "issues/new", "colab"}, "the build was given the repository: its links are there"


def test_every_page_has_a_link_to_report_a_problem_with_its_title_and_address(published):
    for path in _pages(published.site):
        parser = _Links()
        parser.feed(path.read_text(encoding="utf-8"))
        reports = [(url, text) for tag, url, text in parser.links
                   if tag == "a" and url.startswith(published.repo_url + "/issues/new?")]
        assert [text.strip() for _, text in reports] == ["报告问题"], path
        query = parse_qs(urlsplit(reports[0][0]).query)
        assert query["title"][0].strip("[] ") in parser.title, (query, parser.title)
        assert _url(published, path) in query["body"][0], query


def test_open_in_colab_names_the_notebook_the_workflow_puts_on_its_branch(published):
    from snipdoc.integration.notebook import COLAB_BRANCH

    assert published.branch == COLAB_BRANCH
    colab = {url for _, url, _, _ in _every_link(published) if url.startswith(COLAB)}
    assert colab, "no Open in Colab link"
    for url in colab:
        repository, branch, path = _colab(published, url)
        assert (f"{SERVER}/{repository}", branch) == (published.repo_url, published.branch)
        on_branch = published.branch_file(path)
        assert on_branch is not None, f"{url}: no {path} on {branch}"
        assert on_branch == (published.site / path).read_bytes(), f"{path} on {branch} is not the published one"
        outputs = [o for c in json.loads(on_branch)["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
        assert outputs, f"{path}: a notebook without outputs"


def test_without_a_repository_no_page_offers_to_report_a_problem():
    """The partial on its own (no build): the link needs repo_url, and falls back to the
    page's own URL when site_url is not set."""
    from types import SimpleNamespace

    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "overrides"))
    template = env.get_template("partials/comments.html")
    page = SimpleNamespace(meta={}, title="章", is_homepage=False, canonical_url=None, url="ch/")
    assert "issues/new" not in template.render(config={"repo_url": None, "site_name": "站"}, page=page)
    html = template.render(config={"repo_url": "https://github.com/o/r/", "site_name": "站"}, page=page)
    url = re.search(r'href="([^"]+)"', html)[1].replace("&amp;", "&")
    assert url.startswith("https://github.com/o/r/issues/new?")
    query = parse_qs(urlsplit(url).query)
    assert query["title"] == ["[章] "] and query["body"][0].startswith("页面：ch/")
