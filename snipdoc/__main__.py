"""``python -m snipdoc record [FILE ...]``: write real outputs into snippet files.
``python -m snipdoc import NOTEBOOK --page docs/chNN.md``: a draft chapter from an old notebook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .engine import Engine
from .record import record_paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snipdoc")
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="run snippets and write their real outputs into them")
    rec.add_argument("files", nargs="*", type=Path, help="snippet files (default: every .txt under --snippets-dir)")
    rec.add_argument("--snippets-dir", type=Path, default=Path("snippets"))
    rec.add_argument("--timeout", type=float, default=60)
    imp = sub.add_parser("import", help="turn a Jupyter notebook into a draft page, a snippet and a drift report")
    imp.add_argument("notebook", type=Path, help="the .ipynb file")
    imp.add_argument("--page", type=Path, required=True, help="the page to write, e.g. docs/ch13.md")
    imp.add_argument("--snippets-dir", type=Path, default=Path("snippets"))
    imp.add_argument("--timeout", type=float, default=60, help="seconds the notebook's code may run")
    imp.add_argument("--force", action="store_true", help="overwrite an existing page and snippet")
    args = parser.parse_args(argv)
    if args.command == "import":
        return _import(args)

    snippets_dir = args.snippets_dir.resolve()
    files = [f.resolve() for f in args.files] or sorted(snippets_dir.rglob("*.txt"))
    engine = Engine(snippets_dir, snippets_dir.parent / ".cache" / "snipdoc", timeout=args.timeout)
    try:
        errors = record_paths(engine, files)
    finally:
        engine.close()
    for message in errors:
        print(message, file=sys.stderr)
    return 1 if errors else 0


def _import(args) -> int:
    from .importer import NotebookError, import_notebook

    try:
        done = import_notebook(args.notebook, args.page, args.snippets_dir, force=args.force, timeout=args.timeout)
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(done.report)
    print("Wrote " + ", ".join(str(p) for p in done.written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
