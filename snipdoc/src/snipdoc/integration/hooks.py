"""MkDocs hooks for reading the site: Chinese search (search.py), the notebook
pages' shared stylesheet (notebook_css.py), lighter highlighted code
(highlight_markup.py) and edit links.

Listed under ``hooks:`` in mkdocs.yml, MkDocs loads this file by its path, so it
imports the package absolutely and keeps only the wiring here.
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

from snipdoc.integration import highlight_markup, notebook_css, quick_rebuild, search

log = get_plugin_logger("snipdoc.search")

_sections: dict[str, str] = {}  # the glossary's terms -> their sections' index locations
_defined: dict[str, str] = {}  # the same for terms the pages define (search.defined_terms)
_notebook_styles: list[str] = []


def on_config(config):
    if not config.repo_url:
        # edit_uri is relative to the repository: without one there is nothing to edit
        # (and MkDocs would warn on every page).
        config.edit_uri = None
    glossary = search.load_glossary(Path(config.docs_dir) / search.GLOSSARY)
    # Before Material's search plugin segments the first page.
    search.add_words(glossary)
    _notebook_styles.clear()
    _sections.clear()
    _defined.clear()
    _sections.update(search.section_urls(glossary, config.use_directory_urls))
    # Under serve the index is written again after the build (quick_rebuild): once more then.
    quick_rebuild.after_search_index["glossary"] = add_glossary_to_index
    return config


def on_files(files, *, config):
    for file in list(files):
        if search.WORKER.fullmatch(file.src_uri):
            js = Path(file.abs_src_path).read_text(encoding="utf-8")
            files.remove(file)
            files.append(File.generated(config, file.src_uri, content=search.patch_worker(js)))
    return files


def on_page_content(html, *, page, config, files):
    if notebook_css.WRAPPER not in html:
        # Every page is rendered before Material's search indexes the first, so the words
        # joined here are whole words in the index of every page.
        terms = search.defined_terms(html, page.url, _separator(config))
        new = {t: where for t, where in terms.items() if t not in _defined and t not in _sections}
        search.add_words(new)
        _defined.update(new)
        return highlight_markup.slim(html)
    html, styles = notebook_css.take_styles(html)
    _notebook_styles.extend(styles)
    page.edit_url = None  # generated from a page and its snippets: nothing to edit in the repository
    return notebook_css.link(get_relative_url(notebook_css.SITE_PATH, page.url)) + html


# After Material's search plugin has written the index.
@event_priority(-100)
def on_post_build(*, config):
    if _notebook_styles:
        write_notebook_css(config)
    add_glossary_to_index(config)


def _separator(config) -> str:
    plugin = config.plugins.get("search") or config.plugins.get("material/search")
    return getattr(getattr(plugin, "config", None), "separator", None) or r"[\s\-]+"


def write_notebook_css(config):
    link = notebook_css.SITE_PATH.rsplit("/", 1)[1]
    pages = [p.read_text(encoding="utf-8") for p in Path(config.site_dir).rglob("*.html")]
    pages = [html for html in pages if link in html and notebook_css.WRAPPER in html]
    path = Path(config.site_dir, notebook_css.SITE_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook_css.stylesheet(_notebook_styles, pages), encoding="utf-8")


def add_glossary_to_index(config):
    path = os.path.join(config.site_dir, "search", "search_index.json")
    if not (_sections or _defined) or not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as f:
        data, missing = search.add_terms_to_index(f.read(), {**_defined, **_sections})
    with open(path, "w", encoding="utf-8") as f:
        f.write(data)
    for term in set(missing) & set(_sections):  # a page's own headings are in the index
        log.warning(f"{search.GLOSSARY} in docs_dir: '{term}' points to {_sections[term]}, "
                    "which is not a section of the site (was its heading renamed?)")
