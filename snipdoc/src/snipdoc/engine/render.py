"""A snippet's run as page content, notebook style.

The statements up to each output form one code block without prompts, so the
copy button copies code that runs; the output follows in its own block,
escaped, so nothing in it is read as HTML, Markdown or TeX. Figures follow the
example after which they were captured, in a light and a dark variant.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field

from .parse import Example
from .run import TRACEBACK_HEADER


@dataclass
class Cell:
    code: str
    output: str = ""
    is_error: bool = False
    skipped: bool = False
    differs: bool = False  # off the reference platform: not what the file records
    figures: list = field(default_factory=list)
    examples: list = field(default_factory=list)


def cells(examples: list[Example], runs: list[dict]) -> list[Cell]:
    """Groups of examples, each ended by an output, a figure or a skipped example."""
    groups, code, members = [], [], []
    for example, run in zip(examples, runs):
        skipped = run["status"] == "skipped"
        if skipped and code:  # a skipped example stands alone, marked as not run
            groups.append(Cell("".join(code).rstrip("\n"), examples=members))
            code, members = [], []
        # A value's name is for the page's prose and a directive for doctest: neither is for the reader.
        code.append(NAMED_VALUE.sub("", DIRECTIVE.sub("", example.source)))
        members.append(example)
        if run["got"] or run.get("figures") or skipped:
            output, is_error = shown_output(masked(run["got"], example.want))
            groups.append(Cell("".join(code).rstrip("\n"), output, is_error, skipped, run["status"] == "mismatch",
                               run.get("figures", []), members))
            code, members = [], []
    if code:
        groups.append(Cell("".join(code).rstrip("\n"), examples=members))
    return groups


def masked(got: str, want: str) -> str:
    """A memory address the recorded output leaves open (``0x...``) changes with every
    build: the page shows it as open too, not as this build's number."""
    return ADDRESS.sub("0x…", got) if "0x..." in want else got


def shown_output(got: str) -> tuple[str, bool]:
    """An exception shows as its last lines (what a reader needs), not a stack."""
    start = got.find(TRACEBACK_HEADER)
    if start < 0 or got[start + len(TRACEBACK_HEADER):].split("\n", 1)[0].strip() != "...":
        return got.rstrip("\n"), False
    rest = got[start + len(TRACEBACK_HEADER):].split("\n", 1)[1]  # drop the "..." line
    return (got[:start] + rest).rstrip("\n"), True


class Figures:
    """Numbers a page's figures in order: 图 12-1, 图 12-2, ... (chapter from the snippet's folder)."""

    def __init__(self) -> None:
        self.count = 0

    def label(self, snippet: str) -> str:
        self.count += 1
        m = re.match(r"[A-Za-z_-]*(\d+)/", snippet)
        return f"图 {m.group(1)}-{self.count}" if m else f"图 {self.count}"


# "  # value: NAME" at the end of an example's first line (snipdoc.values).
NAMED_VALUE = re.compile(r"[ \t]*#\s*value:\s*[\w.-]+[ \t]*$", re.M)
# "  # doctest: +SKIP" or "+ELLIPSIS, +NORMALIZE_WHITESPACE" at the end of a line, as doctest reads it.
DIRECTIVE = re.compile(r"[ \t]*#\s*doctest:\s*[-+]\w+(?:\s*,\s*[-+]\w+)*[ \t]*$", re.M)
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{4,}\b")


def markdown(groups: list[Cell], stash, snippet: str, caption: str | None, numbers: Figures,
             record_hint: str = "") -> list[str]:
    """Markdown lines: a fenced block per cell, and a stashed HTML block per output and figure."""
    out: list[str] = []
    for cell in groups:
        out += ["```python", *cell.code.split("\n"), "```", ""]
        if cell.skipped:
            out += [stash(skipped_html()), ""]
        elif cell.output:
            out += [stash(output_html(cell.output, cell.is_error)), ""]
        if cell.differs:
            out += [stash(differs_html(record_hint)), ""]
        for figure in cell.figures:
            out += [stash(figure_html(figure, numbers.label(snippet), caption, snippet)), ""]
    return out


def output_html(text: str, is_error: bool) -> str:
    cls = "snippet-output snippet-error" if is_error else "snippet-output"
    label = "异常" if is_error else "输出"
    return f'<div class="{cls}" role="group" aria-label="{label}"><pre>{html.escape(text)}</pre></div>'


def differs_html(record_hint: str = "") -> str:
    # The likelier cause first: an author who just edited the example sees this too.
    record = f"运行 <code>{html.escape(record_hint)}</code> " if record_hint else ""
    return ('<div class="snippet-differs" role="note">这是本机的运行结果，与记录的输出不同。'
            f"如果刚改过这个示例，{record}记录新的输出；如果没有改过，差别来自平台："
            "本机不是记录输出的参考平台，末位数字等可能不同。</div>")


def skipped_html() -> str:
    return '<div class="snippet-skipped" role="note">未运行（doctest: +SKIP），没有输出</div>'


def figure_html(figure: dict, number: str, caption: str | None, snippet: str) -> str:
    alt = html.escape(f"{number} {caption}" if caption else f"{number}：{snippet} 生成的图")
    imgs = "".join(
        # Material hides #only-dark images in the light scheme and #only-light ones in the dark.
        f'<img class="snippet-{scheme}" src="data:image/svg+xml;base64,{_b64(figure[scheme])}#only-{scheme}" alt="{alt}">'
        for scheme in ("light", "dark")
    )
    text = f"<figcaption>{html.escape(number)}" + (f" {html.escape(caption)}" if caption else "") + "</figcaption>"
    return f'<figure class="snippet-figure">{imgs}{text}</figure>'


def _b64(svg: str) -> str:
    return base64.b64encode(svg.encode()).decode()


# The red box's title says what happened: nothing ran, the output changed, or the run failed.
NOT_EMBEDDED, OUTPUT_CHANGED, RUN_FAILED = "示例无法嵌入", "输出与记录的不同", "示例运行失败"


def error_html(messages: list[str], title: str = RUN_FAILED) -> str:
    body = html.escape("\n\n".join(messages))
    return (f'<div class="admonition failure snippet-failure"><p class="admonition-title">{title}</p>'
            f'<pre>{body}</pre></div>')


def running_html(name: str) -> str:
    return (f'<div class="admonition info snippet-running"><p class="admonition-title">运行中…</p>'
            f'<p>{html.escape(name)} 正在运行；运行结束后页面会自动刷新。</p></div>')
