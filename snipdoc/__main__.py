"""``python -m snipdoc record [FILE ...]``: write real outputs into snippet files."""

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
    args = parser.parse_args(argv)

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


if __name__ == "__main__":
    sys.exit(main())
