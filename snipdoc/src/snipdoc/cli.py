"""``python -m snipdoc record [FILE ...]``: write real outputs into snippet files.
``python -m snipdoc import NOTEBOOK --page docs/chNN.md``: a draft chapter from an old notebook.
``python -m snipdoc prove [FILE ...] [--shard K/N]``: the equivalence proof (the reference command).

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
    prv = sub.add_parser("prove", help="run the reference command on snippets not proven before")
    prv.add_argument("files", nargs="*", type=Path, help="snippet files (default: every .txt in the snippets folder)")
    prv.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"),
                     help="where the settings are read (default: mkdocs.yml)")
    prv.add_argument("--snippets-dir", help="overrides snippets_dir of mkdocs.yml")
    prv.add_argument("--shard", type=_shard, metavar="K/N",
                     help="prove only the K-th of N parts of the snippets (one machine of a CI matrix each)")
    prv.add_argument("--record", type=Path, help="the record of passing proofs (default: .cache/proofs next to "
                     "mkdocs.yml); records of several shards merge by copying their files into one folder")
    prv.add_argument("--all", action="store_true", help="ignore the record: prove every snippet again")
    args = parser.parse_args(argv)

    options = options_from(args.config_file)
    for name in ("snippets_dir", "timeout", "output_limit"):
        if getattr(args, name, None) is not None:
            options[name] = getattr(args, name)
    root = args.config_file.resolve().parent
    try:
        settings = SnippetExtension(**options).settings(root)
    except SnippetError as exc:
        print(f"error: {args.config_file}: {exc}", file=sys.stderr)
        return 1
    if args.command == "import":
        return _import(args, settings)
    if args.command == "prove":
        return _prove(args, settings, root)
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



def _shard(text: str) -> tuple[int, int]:
    k, _, n = text.partition("/")
    try:
        part = int(k), int(n)
    except ValueError:
        part = 0, 0
    if not 1 <= part[0] <= part[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: write K/N with 1 <= K <= N, e.g. 2/4")
    return part


def _prove(args, settings: dict, root: Path) -> int:
    from .engine import cache, proofs

    snippets_dir = settings["snippets_dir"]
    files = [f.resolve() for f in args.files] or sorted(snippets_dir.rglob("*.txt"))
    if args.shard:
        files = proofs.shard(files, snippets_dir, *args.shard)
    record = None if args.all else (args.record or root / ".cache" / "proofs").resolve()
    packages = cache.packages(settings["preload"], settings["versions"])
    ran, failed = proofs.prove(files, snippets_dir, record, packages)
    shard = f" (shard {args.shard[0]}/{args.shard[1]})" if args.shard else ""
    print(f"proof{shard}: {len(ran)} of {len(files)} snippet(s) run by the reference command, "
          f"{len(files) - len(ran)} proven before with the same inputs, {len(failed)} failed")
    for path, output in failed.items():
        print(f"\n{os.path.relpath(path)} fails the reference command:\n{output}", file=sys.stderr)
    return 1 if failed else 0
