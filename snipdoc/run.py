"""Run one snippet with the stdlib doctest machinery and keep every output.

This is what ``python -m doctest FILE`` does (same parser, same option flags,
same globals), except that the actual output of every example is kept, for
rendering and for recording, and matplotlib figures are captured as SVG.
"""

from __future__ import annotations

import doctest
import io
import os
import re
import sys
import tempfile
import traceback

from .parse import Snippet

TRACEBACK_HEADER = "Traceback (most recent call last):\n"
LINE_MARK = "snipdoc: running the example at line "
# A fixed salt and no date keep a figure's SVG identical from run to run; text
# drawn as paths needs no font on the reader's side (mathtext glyphs included).
# The notebooks draw with the same settings, so both show the same figure.
FIGURE_RC = {"svg.hashsalt": "snipdoc", "svg.fonttype": "path"}
FIGURE_SAVE = {"metadata": {"Date": None}, "bbox_inches": "tight"}
_DOCTEST_FILE = re.compile(r"<doctest .*\[(\d+)\]>")


class _Recorder(doctest.DocTestRunner):
    def __init__(self) -> None:
        super().__init__(verbose=False, optionflags=0)
        self.outcomes: list[dict] = []

    def report_start(self, out, test, example):
        # If the example kills the process, the build reads this to name its line.
        sys.__stderr__.write(f"{LINE_MARK}{example.lineno + 1}\n")
        sys.__stderr__.flush()

    def report_success(self, out, test, example, got):
        self.outcomes.append({"status": "ok", "got": elide_traceback(got)})

    def report_failure(self, out, test, example, got):
        self.outcomes.append({"status": "mismatch", "got": elide_traceback(got)})

    def report_unexpected_exception(self, out, test, example, exc_info):
        got = self._fakeout.getvalue()
        tb = "".join(traceback.format_exception(*exc_info))
        self.outcomes.append(
            {
                "status": "exception",
                "got": elide_traceback(got + tb),
                "error": tb.rstrip("\n").split("\n")[-1],
                "error_line": _error_line(test, exc_info),
            }
        )


def _error_line(test, exc_info) -> int:
    """Line of the snippet file where the exception was raised or the syntax error is."""
    exc = exc_info[1]
    if isinstance(exc, SyntaxError) and exc.filename and (m := _DOCTEST_FILE.match(exc.filename)):
        return test.examples[int(m.group(1))].lineno + (exc.lineno or 1)
    line = None
    for frame, lineno in traceback.walk_tb(exc_info[2]):
        m = _DOCTEST_FILE.match(frame.f_code.co_filename)
        if m:
            line = test.examples[int(m.group(1))].lineno + lineno
    return line or 0


def elide_traceback(got: str) -> str:
    """Doctest's own way to record an exception: header, '...', the exception lines."""
    start = got.find(TRACEBACK_HEADER)
    if start < 0:
        return got
    lines = got[start + len(TRACEBACK_HEADER):].split("\n")
    i = 0
    while i < len(lines) and (lines[i].startswith(" ") or not lines[i]):
        i += 1
    return got[:start] + TRACEBACK_HEADER + "    ...\n" + "\n".join(lines[i:])


def run_snippet(snippet: Snippet, output_limit: int) -> dict:
    """Run every example of the snippet; return outputs, statuses and figures."""
    test = doctest.DocTestParser().get_doctest(
        snippet.text, {"__name__": "__main__"}, snippet.name, str(snippet.path), 0
    )
    runner = _Recorder()
    with tempfile.TemporaryDirectory(prefix="snipdoc-") as cwd:
        os.chdir(cwd)  # files a snippet writes land here, not in the repository
        try:
            runner.run(test, out=lambda s: None, clear_globs=False)
            figures = _figures()
        finally:
            test.globs.clear()
            os.chdir(os.path.dirname(cwd))
    for example, outcome in zip(test.examples, runner.outcomes):
        outcome["lineno"] = example.lineno + 1
        if len(outcome["got"]) > output_limit:
            size = len(outcome["got"])
            outcome["got"] = outcome["got"][:output_limit] + (
                f"\n... output truncated: {size:,} characters, over the limit of {output_limit:,}\n"
            )
            outcome["status"] = "too_large"
            outcome["error"] = f"output is {size:,} characters, over the limit of {output_limit:,} (output_limit)"
    return {"examples": runner.outcomes, "figures": figures}


def _figures() -> list[str]:
    if "matplotlib.pyplot" not in sys.modules:
        return []
    import matplotlib
    import matplotlib.pyplot as plt

    svgs = []
    with matplotlib.rc_context(FIGURE_RC):
        for num in plt.get_fignums():
            buf = io.StringIO()
            plt.figure(num).savefig(buf, format="svg", **FIGURE_SAVE)
            svgs.append(buf.getvalue())
    plt.close("all")
    return svgs
