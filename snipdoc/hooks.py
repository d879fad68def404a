"""MkDocs hooks for reading the site: Chinese search (snipdoc.search).

Listed under ``hooks:`` in mkdocs.yml, MkDocs loads this file by its path, so it
imports the package absolutely and keeps only the wiring here.
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File

from snipdoc import search

log = get_plugin_logger("snipdoc.search")

_sections: dict[str, str] = {}


def on_config(config):
    glossary = search.load_glossary(Path(config.docs_dir) / search.GLOSSARY)
    # Before Material's search plugin segments the first page.
    search.add_words(glossary)
    _sections.clear()
    _sections.update(search.section_urls(glossary, config.use_directory_urls))
    return config


def on_files(files, *, config):
    for file in list(files):
        if search.WORKER.fullmatch(file.src_uri):
            js = Path(file.abs_src_path).read_text(encoding="utf-8")
            files.remove(file)
            files.append(File.generated(config, file.src_uri, content=search.patch_worker(js)))
    return files


# After Material's search plugin has written the index.
@event_priority(-100)
def on_post_build(*, config):
    path = os.path.join(config.site_dir, "search", "search_index.json")
    if not _sections or not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as f:
        data, missing = search.add_terms_to_index(f.read(), _sections)
    with open(path, "w", encoding="utf-8") as f:
        f.write(data)
    for term in missing:
        log.warning(f"{config.docs_dir}/{search.GLOSSARY}: '{term}' points to {_sections[term]}, "
                    "which is not a section of the site (was its heading renamed?)")
