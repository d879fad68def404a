"""A snippet's run as page content, notebook style.

The statements up to each output form one code block without prompts, so the
copy button copies code that runs; the output follows in its own block,
escaped, so nothing in it is read as HTML, Markdown or TeX.
"""

from __future__ import annotations

import base64
import html

from .parse import Example
from .run import TRACEBACK_HEADER


def cells(examples: list[Example], runs: list[dict]) -> list[tuple[str, str, bool]]:
    """(code, output, is_error) groups; the last may have no output."""
    groups, code = [], []
    for example, run in zip(examples, runs):
        code.append(example.source)
        got = run["got"]
        if got:
            groups.append(("".join(code).rstrip("\n"), *shown_output(got)))
            code = []
    if code:
        groups.append(("".join(code).rstrip("\n"), "", False))
    return groups


def shown_output(got: str) -> tuple[str, bool]:
    """An exception shows as its last lines (what a reader needs), not a stack."""
    start = got.find(TRACEBACK_HEADER)
    if start < 0:
        return got.rstrip("\n"), False
    rest = got[start + len(TRACEBACK_HEADER):].split("\n", 1)[1]  # drop the "..." line
    return (got[:start] + rest).rstrip("\n"), True


def markdown(examples: list[Example], runs: list[dict], figures: list[str], label: str, blocks: list[str]) -> str:
    """Markdown with a placeholder for each output, whose HTML is appended to blocks."""
    parts = []
    for code, output, is_error in cells(examples, runs):
        parts.append(f"```python\n{code}\n```")
        if output:
            blocks.append(output_html(output, is_error))
            parts.append(PLACEHOLDER.format(len(blocks) - 1))
    for i, svg in enumerate(figures, 1):
        blocks.append(figure_html(svg, f"{label} 生成的图 {i}"))
        parts.append(PLACEHOLDER.format(len(blocks) - 1))
    return "\n\n".join(parts)


PLACEHOLDER = "SNIPDOCBLOCK{}X"


def output_html(text: str, is_error: bool) -> str:
    cls = "snippet-output snippet-error" if is_error else "snippet-output"
    label = "异常" if is_error else "输出"
    return f'<div class="{cls}" role="group" aria-label="{label}"><pre>{html.escape(text)}</pre></div>'


def figure_html(svg: str, alt: str) -> str:
    data = base64.b64encode(svg.encode()).decode()
    return (f'<figure class="snippet-figure"><img src="data:image/svg+xml;base64,{data}" '
            f'alt="{html.escape(alt)}"></figure>')


def error_html(messages: list[str]) -> str:
    body = html.escape("\n\n".join(messages))
    return f'<div class="admonition failure snippet-failure"><p class="admonition-title">示例运行失败</p><pre>{body}</pre></div>'
