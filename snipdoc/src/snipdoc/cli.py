"""``python -m snipdoc record [FILE ...]``: write real outputs into snippet files.
``python -m snipdoc import NOTEBOOK --page docs/chNN.md``: a draft chapter from an old notebook.

Settings come from the snipdoc entry of mkdocs.yml (markdown_extensions), as the build
reads them; a command-line flag overrides one.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .engine import values
from .engine.core import Engine
from .integration.extension import SnippetExtension, options_from
from .engine.parse import SnippetError
from .engine.record import record_paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m snipdoc", description="Executable doctest examples for Markdown sites. "
        "Settings come from the snipdoc entry of mkdocs.yml.")
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="write the real outputs into snippet files")
    rec.add_argument("files", nargs="*", type=Path, help="snippet files (default: every .txt in the snippets folder)")
    rec.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"),
                     help="where the settings are read (default: mkdocs.yml)")
    rec.add_argument("--snippets-dir", help="overrides snippets_dir of mkdocs.yml")
    rec.add_argument("--timeout", type=float, help="overrides timeout of mkdocs.yml")
    rec.add_argument("--output-limit", type=int, help="overrides output_limit of mkdocs.yml")
    rec.add_argument("--force", action="store_true",
                     help="overwrite recorded outputs even off the reference platform (reference_platform)")
    imp = sub.add_parser("import", help="draft a page and a snippet from a Jupyter notebook")
    imp.add_argument("notebook", type=Path, help="the .ipynb file")
    imp.add_argument("--page", type=Path, required=True, help="the page to write, e.g. docs/ch13.md")
    imp.add_argument("--force", action="store_true", help="overwrite an existing page and snippet")
    imp.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"),
                     help="where the settings are read (default: mkdocs.yml)")
    imp.add_argument("--snippets-dir", help="overrides snippets_dir of mkdocs.yml")
    imp.add_argument("--timeout", type=float, help="overrides timeout of mkdocs.yml: seconds the notebook's code may run")
    imp.add_argument("--output-limit", type=int, help="overrides output_limit of mkdocs.yml")
    args = parser.parse_args(argv)

    options = options_from(args.config_file)
    for name in ("snippets_dir", "timeout", "output_limit"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    root = args.config_file.resolve().parent
    try:
        settings = SnippetExtension(**options).settings(root)
    except SnippetError as exc:
        print(f"error: {args.config_file}: {exc}", file=sys.stderr)
        return 1
    if args.command == "import":
        return _import(args, settings)
    files = [f.resolve() for f in args.files] or sorted(settings["snippets_dir"].rglob("*.txt"))
    engine = Engine(**settings)
    pages = sorted((root / options_docs_dir(args.config_file)).rglob("*.md"))
    before = values.quoted(pages, engine, root)
    try:
        errors = record_paths(engine, files, args.force)
    finally:
        engine.close()
    for message in errors:
        print(message, file=sys.stderr)
    for sentence in values.changed_sentences(before, values.quoted(pages, engine, root)):
        print(sentence, file=sys.stderr)
    return 1 if errors else 0


def options_docs_dir(config_file: Path) -> str:
    """docs_dir of mkdocs.yml (MkDocs' default if unset or if there is no such file)."""
    if not config_file.is_file():
        return "docs"
    from mkdocs.utils.yaml import yaml_load

    with open(config_file, encoding="utf-8") as f:
        return (yaml_load(f) or {}).get("docs_dir") or "docs"


def _import(args, settings: dict) -> int:
    from .importer.pipeline import NotebookError, import_notebook

    try:
        done = import_notebook(args.notebook, args.page, settings, force=args.force)
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(done.report)
    print("Wrote " + ", ".join(os.path.relpath(p) for p in done.written))
    print(f"The report is {os.path.relpath(done.report_path)} (a dot file, so MkDocs leaves it out of the site).")
    return 0

