"""Numbers in the prose that come from a run: a snippet names an example's output,
a page quotes it.

In the snippet, a comment on the example's first line names its output (doctest
ignores comments, so the file stays a plain doctest file)::

    >>> sig.grad[0].item()  # value: grad_at_minus_10
    4.5395807735907655e-05

On the page, ``{{ ch12/sigmoid_grad.txt#grad_at_minus_10 | .4e }}`` shows that
output, formatted (a Python format spec, applied to the number; ``tex`` after it
writes scientific notation as ``4.5396\\times10^{-5}``, for use inside ``$...$``).
``#name[k]`` takes the k-th number printed (from 0; -1 is the last), for an output
such as ``tensor([4.5396e-05, 4.5417e-05])``. Double braces read as a placeholder in
Chinese and English prose alike, are not Markdown syntax, and survive inside math.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

from .parse import Snippet, SnippetError

REFERENCE = re.compile(r"\{\{\s*(?P<snippet>[^\s#{}|]+)#(?P<name>[\w.-]+)(?:\[(?P<index>-?\d+)\])?\s*"
                       r"(?:\|\s*(?P<format>[^{}]*?)\s*)?\}\}")
NAMED = re.compile(r"#\s*value:\s*([\w.-]+)")
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)\b")


@dataclass
class Reference:
    lineno: int  # in the page
    snippet: str
    name: str
    index: int | None
    format: str | None
    text: str  # as written, {{ ... }}


def names(snippet: Snippet) -> dict[str, int]:
    """Value name -> index of the example whose output it names."""
    found: dict[str, int] = {}
    for i, example in enumerate(snippet.examples):
        first = example.source.split("\n", 1)[0]
        for name in NAMED.findall(first):
            if name in found:
                raise SnippetError(f"{snippet.name}:{example.lineno}: the value '{name}' is named twice")
            found[name] = i
    return found


def prose_lines(lines: list[str]):
    """(line number, line) of each line outside fenced code blocks."""
    fence = None
    for lineno, line in enumerate(lines, 1):
        m = re.match(r"\s*(`{3,}|~{3,})", line)
        if m and fence is None:
            fence = m.group(1)
        elif fence is not None:
            if line.strip() == fence:
                fence = None
        else:
            yield lineno, line


def find(lines: list[str]) -> list[Reference]:
    """The references of a page, outside code blocks and code spans."""
    refs = []
    for lineno, line in prose_lines(lines):
        for m in REFERENCE.finditer(_without_code_spans(line)):
            refs.append(Reference(lineno, m["snippet"], m["name"], None if m["index"] is None else int(m["index"]),
                                  m["format"] or None, m[0]))
    return refs


def _without_code_spans(line: str) -> str:
    """The line with `code spans` blanked out (same length): a reference shown as code is
    text, unless it is all the span holds (`{{ x.txt#name }}` shows the value as code)."""
    return re.sub(r"(`+)(.+?)\1", lambda m: m[0] if REFERENCE.fullmatch(m[2].strip()) else " " * len(m[0]), line)


def pick(output: str, index: int | None, where: str) -> str:
    """The output itself, or its index-th number."""
    text = output.strip()
    if index is None:
        return text
    numbers = NUMBER.findall(text)
    try:
        return numbers[index]
    except IndexError:
        raise SnippetError(f"{where}: [{index}]: the output has {len(numbers)} number(s): {text[:80]!r}") from None


def formatted(value: str, spec: str | None, where: str) -> str:
    if not spec:
        return value
    tex = spec.endswith(" tex") or spec == "tex"
    spec = spec.removesuffix("tex").strip()
    try:
        number = float(value)
    except ValueError:
        raise SnippetError(f"{where}: '| {spec}' formats a number, and the value is {value!r}") from None
    try:
        text = format(number, spec) if spec else value
    except ValueError as exc:
        raise SnippetError(f"{where}: '| {spec}': {exc}") from None
    if tex and (m := re.fullmatch(r"([-+]?[\d.]+)e([-+]?)0*(\d+)", text)):
        exponent = ("-" if m[2] == "-" else "") + m[3]
        return f"{m[1]}\\times10^{{{exponent}}}" if m[3] != "0" else m[1]
    return text


def unknown(name: str, known: dict[str, int], snippet: str, where: str) -> SnippetError:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else (
        f" (named values: {', '.join(sorted(known))})" if known else
        " (it names none: add '# value: NAME' to an example's first line)")
    return SnippetError(f"{where}: {snippet} has no value '{name}'{hint}")


def in_math(line: str, start: int, display: bool) -> bool:
    """Whether position start of the line is inside $...$ (or a $$ block that spans lines)."""
    dollars = len(re.findall(r"(?<!\\)\$", line[:start]))
    return display or dollars % 2 == 1


def html_value(text: str, source: str) -> str:
    # tabindex: a tap (focus) shows where it comes from too, not only a mouse's hover (css/snippets.css).
    return (f'<span class="snippet-value" title="{html.escape(source)} 的运行结果" tabindex="0">'
            f'{html.escape(text)}</span>')


def lookup(engine, ref: Reference, where: str, result_of) -> tuple[str, str] | None:
    """(the formatted value, where it comes from), or None while its snippet runs.
    result_of(snippet): its run's result, or None if not ready."""
    snippet = engine.load(ref.snippet, f"{where}: ")
    known = names(snippet)
    if ref.name not in known:
        raise unknown(ref.name, known, ref.snippet, where)
    example = snippet.examples[known[ref.name]]
    result = result_of(snippet)
    if result is None:
        return None
    run = None if "crash" in result else result["examples"][known[ref.name]]
    if run is None or run["status"] in ("exception", "too_large", "skipped"):
        raise SnippetError(f"{where}: {ref.text}: {snippet.name}:{example.lineno} did not run to an output")
    text = formatted(pick(run["got"], ref.index, where), ref.format, where)
    return text, f"{snippet.name}:{example.lineno}"


def substitute(lines: list[str], page: str, resolve, as_html: bool = True) -> tuple[list[str], list[str]]:
    """The page's lines with each reference replaced, and the errors found.
    resolve(ref, where) -> (text, source) or None (still running: shown as …)."""
    refs = {}
    for ref in find(lines):
        refs.setdefault(ref.lineno, []).append(ref)
    errors: list[str] = []
    out = list(lines)
    display = False
    for lineno, line in enumerate(lines, 1):
        if lineno in refs:
            pieces, last = [], 0
            for m in REFERENCE.finditer(_without_code_spans(line)):
                where = f"{page}:{lineno}"
                ref = next(r for r in refs[lineno] if r.text == m[0])
                try:
                    found = resolve(ref, where)
                except SnippetError as exc:
                    errors.append(str(exc))
                    found = (m[0], "")
                math = in_math(line, m.start(), display) or line[:m.start()].rstrip().endswith("`")
                text = "…" if found is None else found[0]
                if as_html and not math and found is not None and found[1]:
                    text = html_value(text, found[1])
                pieces += [line[last:m.start()], text]
                last = m.end()
            out[lineno - 1] = "".join(pieces) + line[last:]
        if line.count("$$") % 2 == 1:
            display = not display
    return out, errors


# Numbers that are not computed: years, issue and pull-request numbers, versions.
_NOT_COMPUTED = re.compile(r"(?:#|PR\s*|pull/|issues/)\d+|\d+(?:\.\d+){2,}|\b(?:19|20)\d\d\b"
                           r"|(?:torch|PyTorch|Python|NumPy|numpy|matplotlib|MkDocs|Material|版本?)\s*\d+(?:\.\d+)*", re.I)
_PROSE_NUMBER = re.compile(r"(?<![\w.])[-+−]?(?:\d+\.\d+|\d{3,})(?:[eE][-+−]?\d+)?(?![\w.])")


def significant_digits(number: str) -> int:
    mantissa = re.split(r"[eE]", number.lstrip("-+−"))[0]
    digits = mantissa.replace(".", "").lstrip("0")
    if "." not in mantissa:
        digits = digits.rstrip("0")  # 200 is a round number, not three measured digits
    return len(digits)


def hand_typed(lines: list[str]) -> list[tuple[int, str]]:
    """Numbers in the prose with three or more significant digits that no reference
    gives: typed by hand, they go stale when a run changes."""
    found = []
    for lineno, line in prose_lines(lines):
        if line.lstrip().startswith(":::"):
            continue
        # A code span that holds just a number is a value quoted in the prose: it counts.
        text = re.sub(r"(`+)(.+?)\1", lambda m: m[2] if NUMBER.fullmatch(m[2].strip()) else " ", line)
        text = REFERENCE.sub(" ", text)
        text = re.sub(r"\]\([^)]*\)|https?://\S+|<[^>]+>", " ", text)  # link targets, addresses, tags
        text = re.sub(r"\\[a-zA-Z]+", " ", text)  # TeX commands: \approx16.636 holds a number
        text = _NOT_COMPUTED.sub(" ", text)
        for number in _PROSE_NUMBER.findall(text):
            if significant_digits(number) >= 3:
                found.append((lineno, number))
    return found


def quoted(pages: list, engine, root) -> dict[tuple[str, int, str], str]:
    """Every value the pages quote, from the recorded outputs: (page, line, reference) -> text.
    References that do not resolve are left out (the build reports them)."""
    found = {}
    for page in pages:
        label = str(page.relative_to(root)) if page.is_relative_to(root) else str(page)
        lines = page.read_text(encoding="utf-8-sig").split("\n")
        for ref in find(lines):
            where = f"{label}:{ref.lineno}"
            try:
                recorded = lookup(engine, ref, where, lambda s: {"examples": [
                    {"status": "ok", "got": e.want} for e in s.examples]})
            except SnippetError:
                continue
            found[label, ref.lineno, ref.text] = recorded[0]
    return found


def changed_sentences(before: dict, after: dict) -> list[str]:
    """What `record` tells the author: each sentence whose quoted value it changed."""
    return [f"{page}:{lineno}: {text} was {before[page, lineno, text]}, is now {after[page, lineno, text]}: "
            "reread the sentence around it" for (page, lineno, text) in sorted(before)
            if (page, lineno, text) in after and after[page, lineno, text] != before[page, lineno, text]]
