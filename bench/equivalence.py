"""The equivalence proof as tests/test_equivalence.py runs it (snipdoc/src/snipdoc/engine/proofs.py):
the reference command, fresh, for every file not proven before, one per CPU at
a time.

Run as ``python -m bench.equivalence SNIPPETS_DIR RECORD FILE...``; prints
``{"ran": N}`` and exits non-zero, naming the files, if one fails. Nothing of
the engine runs: each file run costs a new interpreter that imports torch.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from snipdoc.engine import proofs


def main() -> int:
    snippets_dir, record = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    ran, failed = proofs.prove([Path(f) for f in sys.argv[3:]], snippets_dir, record)
    for path, output in failed.items():
        print(f"{path}:\n{output}")
    print(json.dumps({"ran": len(ran)}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
