"""The drift report: one verdict per code cell, old notebook output against a new run.

A cell that uses what a failed or nondeterministic cell made is reported as
depending on it, whatever it prints now: its old output cannot be checked
until the cause is fixed. Otherwise exceptions come first, then
nondeterminism, then the text (after the normalisation steps the verdict
names), then images.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .normalise import clean, compare, drop_address_values, mask_addresses

UNCHANGED, CHANGED, RAISES, NO_LONGER_RAISES = "unchanged", "changed", "now raises", "no longer raises"
NONDETERMINISTIC, DEPENDS, FIGURE, DROPPED = "nondeterministic", "depends on", "image → figure", "dropped"
ORDER = [UNCHANGED, CHANGED, RAISES, NO_LONGER_RAISES, NONDETERMINISTIC, DEPENDS, FIGURE, DROPPED]
COUNT_WORDS = {
    UNCHANGED: "unchanged", CHANGED: "changed", RAISES: "now raise{s}", NO_LONGER_RAISES: "no longer raise{s}",
    NONDETERMINISTIC: "nondeterministic", DEPENDS: "depend{s} on a failed or nondeterministic cell",
    FIGURE: "had an image and now draw{s} a figure", DROPPED: "dropped",
}
BAD = (RAISES, NONDETERMINISTIC, DEPENDS, DROPPED)  # what makes the cells that use it unverifiable

RANDOM = re.compile(r"\b(?:torch\.(?:rand\w*|normal|bernoulli|multinomial|poisson)|(?:np|numpy)\.random\.\w+"
                     r"|random\.\w+|\w+\.(?:uniform_|normal_|random_|bernoulli_|exponential_))\b")
_HINTS = [
    (re.compile(r"\.data\[0\]"), "pre-0.4 API: `.data[0]` of a 0-dim tensor is `.item()` since torch 0.4"),
    (re.compile(r"\bVariable\("), "pre-0.4 API: `Variable` is a plain tensor since torch 0.4"),
    (re.compile(r"volatile\s*=\s*True"), "pre-0.4 API: `volatile=True` is `with torch.no_grad():` since torch 0.4"),
]


@dataclass
class CellRun:
    """What the report needs of one code cell: the notebook's side and the new run's."""

    label: str
    code: str
    old_text: str
    old_error: str | None
    old_images: int
    old_stderr: str
    old_other: list[str]
    new_text: str
    new_error: str | None
    figures: int
    deps: set[int]  # indices of the cells whose names it uses
    differs: bool = False  # two runs of the notebook's code printed different things
    uninitialised: bool = False
    ids: bool = False  # calls id(): its numbers are addresses
    seed: str = ""  # the seed the draft added before it
    seed_in: str = ""  # the cell it was added to, when that is an earlier one
    dropped: bool = False
    notes: list[str] = field(default_factory=list)
    runs: tuple[str, str] = ("", "")  # two runs' output, when they differ
    timing_gone: bool = False  # the notebook showed %timeit's timing; the draft drops %timeit


@dataclass
class Verdict:
    label: str
    kind: str
    detail: str
    old: str  # the stored output as text (an error as its last line)
    new: str
    root: str | None = None  # for DEPENDS: the cell that failed
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{DEPENDS} {self.root}" if self.kind == DEPENDS else self.kind


def verdicts(cells: list[CellRun]) -> list[Verdict]:
    found: list[Verdict] = []
    roots: dict[int, int] = {}  # bad cell -> the cell at the root of it
    for i, c in enumerate(cells):
        old = _with_error(clean(c.old_text), c.old_error)
        new = _with_error(clean(c.new_text), c.new_error)
        notes = list(c.notes)
        root = min((roots[j] for j in c.deps if j in roots), default=None)
        same, steps = compare(c.old_text, c.new_text, c.uninitialised, c.ids)
        if c.old_error and c.new_error:
            same = same and compare(c.old_error, c.new_error)[0]
        if steps and same:
            notes.append("compared ignoring " + ", ".join(steps))
        if c.dropped:
            kind, detail = DROPPED, "IPython-only code with no plain Python equivalent (see the notes)"
        elif root is not None:
            kind = DEPENDS
            detail = f"{cells[root].label} {found[root].kind}; this cell {_now(c, same, old)}"
            if not same and not c.new_error and old.strip() and new.strip():
                detail += "; " + summary(old, new)
        elif c.new_error and not c.old_error:
            kind, detail = RAISES, c.new_error.split("\n")[-1]
        elif c.old_error and not c.new_error:
            kind, detail = NO_LONGER_RAISES, f"the notebook showed {c.old_error.splitlines()[-1]}"
        elif c.differs:
            kind, detail = NONDETERMINISTIC, _nondeterministic(c)
        elif not same:
            kind, detail = CHANGED, summary(old, new)
            if not old.strip() and c.old_images:
                detail = f"the notebook showed only {_n(c.old_images, 'image')}; the cell prints now: " + first_line(new)
        elif c.timing_gone:
            kind, detail = CHANGED, "the notebook showed `%timeit`'s timing; the draft drops `%timeit`, so no timing is shown"
        elif c.old_images and c.figures:
            kind = FIGURE
            detail = f"{_n(c.old_images, 'stored image')}, {_n(c.figures, 'figure')} now: compare them by eye"
        elif c.old_images:
            kind, detail = CHANGED, f"the notebook showed {_n(c.old_images, 'image')}; the cell draws no figure now"
        elif c.figures:
            kind, detail = CHANGED, f"draws {_n(c.figures, 'figure')} the notebook did not show"
        else:
            kind, detail = UNCHANGED, ""
        if kind in BAD:
            roots[i] = i if root is None else root
        notes += _hints(c)
        found.append(Verdict(c.label, kind, detail, old, new, cells[root].label if kind == DEPENDS else None, notes))
    return found


def _with_error(text: str, error: str | None) -> str:
    if not error:
        return text
    return (text + "\n" if text else "") + error.strip().split("\n")[-1]


def _now(c: CellRun, same: bool, old: str) -> str:
    if c.new_error:
        return f"now raises {c.new_error.splitlines()[-1]}"
    if c.differs:
        return "prints something different in every run"
    if same:
        return "prints what the notebook showed" if old.strip() else "has no output, as in the notebook"
    return "prints nothing now" if not clean(c.new_text) else "prints something else now"


def _nondeterministic(c: CellRun) -> str:
    if c.uninitialised:
        return "uninitialised memory (torch.empty): its values differ between runs; fill the tensor to show values"
    calls = sorted(set(RANDOM.findall(c.code)))
    cause = f"unseeded {', '.join(calls)}" if calls else "no seed"
    added = f"; the draft adds a seed: `{c.seed}`" + (f" in {c.seed_in}" if c.seed_in else "") if c.seed else "; seed it"
    return f"output differs between two runs ({cause}){added}"


def _hints(c: CellRun) -> list[str]:
    notes = [note for pattern, note in _HINTS if pattern.search(c.code)]
    if c.new_error and c.new_error.startswith("ModuleNotFoundError"):
        notes.append("a package this environment lacks: add it to the project's dependencies (pyproject.toml), "
                     "or remove the cell; the cells after it still ran")
    if "[torch." in c.old_text and " of size " in c.old_text:
        notes.append("the stored output is a pre-0.4 tensor repr (`[torch.FloatTensor of size ...]`)")
    if c.old_stderr.strip():
        first = clean(c.old_stderr).split("\n")[0][:120]
        notes.append(f"stored stderr not compared (the page shows printed text and values, not stderr): `{first}`")
    if c.old_other:
        notes.append(f"stored output of type {', '.join(sorted(set(c.old_other)))} not compared")
    return notes


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(old: str, new: str, words_for: dict | None = None) -> str:
    """The change in short, for a table cell: the changed words (`55.5555` → `55.5556`), or,
    when too much changed for that, the first line that differs on each side."""
    say = {"no old": "the notebook stored no output; the cell prints now", "no new": "prints nothing now",
           "numbers": "{} numbers differ", "space": "whitespace differs", "line": "first difference, line {}",
           **(words_for or {})}
    if not old.strip():
        return say["no old"]
    if not new.strip():
        return say["no new"]
    old, new = without_noise(old, new)  # what the verdict ignores is not the change
    if re.sub(r"\s", "", old) == re.sub(r"\s", "", new):  # e.g. torch no longer pads numbers: [ 1.,  2.]
        return say["space"]
    a, b = old.split(), new.split()
    changes = [(a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2
               in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if tag != "equal"]
    if not changes:
        return say["space"]
    words, numbers = [], []
    for x, y in changes:
        if len(x) == len(y):
            pairs = [_core(u, v) for u, v in zip(x, y)]
        elif len(x) <= 3 and len(y) <= 3:
            pairs = [_core(" ".join(x), " ".join(y))]
        else:  # a rewritten passage: pairing its words would pair unrelated ones
            return _first_lines(old, new, say["line"])
        for pair in pairs:
            (numbers if _is_number(pair[0]) and _is_number(pair[1]) else words).append(pair)
    if len(words) > 3:
        return _first_lines(old, new, say["line"])
    parts = [f"{code_span(x) if x else '(nothing)'} → {code_span(y) if y else '(nothing)'}" for x, y in words]
    if len(numbers) <= 2:
        parts += [f"{code_span(x)} → {code_span(y)}" for x, y in numbers]
    else:
        parts.append(say["numbers"].format(len(numbers)))
    return "; ".join(parts)


def without_noise(old: str, new: str) -> tuple[str, str]:
    """Both texts after the steps compare() may ignore (addresses, Python 2 reprs, int32)."""
    old, new = mask_addresses(old), mask_addresses(new)
    if "torch.int32" not in new:
        old = old.replace(", dtype=torch.int32", "")
    return drop_address_values(old), drop_address_values(new)


def _core(x: str, y: str) -> tuple[str, str]:
    """Two words without what they share at either end, never cutting into a word or number:
    `grad_fn=<SoftmaxBackward>)` and `grad_fn=<SoftmaxBackward0>)` → `SoftmaxBackward`, `SoftmaxBackward0`."""
    def inside(c: str) -> bool:
        return c.isalnum() or c in "._"

    n = 0
    while n < min(len(x), len(y)) and x[n] == y[n]:
        n += 1
    while n and inside(x[n - 1]):
        n -= 1
    m = 0
    while m < min(len(x), len(y)) - n and x[-1 - m] == y[-1 - m]:
        m += 1
    while m and inside(x[len(x) - m]):
        m -= 1
    return x[n:len(x) - m], y[n:len(y) - m]


def _first_lines(old: str, new: str, template: str) -> str:
    a, b = old.split("\n"), new.split("\n")
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    x, y = (a[i] if i < len(a) else ""), (b[i] if i < len(b) else "")
    shown = f"{code_span(_short(x)) if x.strip() else '(nothing)'} → {code_span(_short(y)) if y.strip() else '(nothing)'}"
    return f"{template.format(i + 1)}: {shown}"


def first_line(text: str) -> str:
    line = next((line for line in text.split("\n") if line.strip()), "")
    return code_span(_short(line))


def _short(line: str, width: int = 60) -> str:
    line = line.strip()
    return line if len(line) <= width else line[: width - 1] + "…"


def _is_number(token: str) -> bool:
    return bool(re.fullmatch(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\.?", token))


def code_span(text: str) -> str:
    """Inline code that survives backticks in the text."""
    ticks = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (ticks + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(text: str, lang: str = "text", indent: str = "") -> str:
    ticks = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (ticks + 1)
    body = "\n".join(indent + line if line else "" for line in text.split("\n"))
    return f"{indent}{fence}{lang}\n{body}\n{indent}{fence}"


def unified(old: str, new: str, label: str, version: str, names: tuple[str, str] = ("notebook", "")) -> str:
    lines = difflib.unified_diff(old.split("\n") if old else [], new.split("\n") if new else [],
                                 f"{label} ({names[0]})", f"{label} ({names[1] or 'torch ' + version})", lineterm="")
    return "\n".join(lines)


def counts(found: list[Verdict]) -> str:
    tally = {kind: sum(v.kind == kind for v in found) for kind in ORDER}
    words = [f"{n} {COUNT_WORDS[k].format(s='' if n != 1 else 's')}" for k, n in tally.items() if n]
    return f"{_n(len(found), 'code cell')}: " + ", ".join(words)


def report(found: list[Verdict], cells: list[CellRun], *, notebook: str, page: str, snippet: str,
           versions: dict, old_python: str | None, general: list[str]) -> str:
    """The report as Markdown: printed by the command and written next to the page."""
    torch = versions.get("torch") or "?"
    python = versions.get("python", "").split()[0]
    ran = f" (last run on Python {old_python})" if old_python else ""
    out = [
        f"# Drift report: {notebook}",
        "",
        f"Every code cell's output stored in the notebook{ran}, compared with a fresh run on "
        f"torch {torch}, Python {python}. Draft page: `{page}`; snippet: `{snippet}`.",
        "",
        f"**{counts(found)}.**",
        "",
        "| cell | verdict | detail |",
        "|---|---|---|",
    ]
    for v in found:
        out.append(f"| {v.label} | {v.title} | {_cell(v.detail)} |")
    details = [(v, c) for v, c in zip(found, cells) if v.kind != UNCHANGED and (v.old != v.new or c.differs)]
    if details:
        out += ["", "## What changed"]
        for v, c in details:
            out += ["", f"### {v.label}: {v.title}", ""]
            if c.differs and v.kind == NONDETERMINISTIC:
                out += ["Two runs of the notebook's code:", "",
                        fenced(unified(*map(clean, c.runs), v.label, torch, ("run 1", "run 2")), "diff")]
            else:
                out.append(fenced(unified(v.old, v.new, v.label, torch), "diff"))
    noted = [(v.label, note) for v in found for note in v.notes]
    if noted or general:
        out += ["", "## Notes", ""]
        out += [f"- {note}" for note in general]
        out += [f"- {label}: {note}" for label, note in noted]
    out += ["", "## Next", "",
            "Each changed or failing cell has a box on the draft page quoting its old and new output: keep it "
            "as a note for readers, rewrite the prose, or delete it. Fix the code in the snippet (a seed, `2.` for a "
            "float), then `make record FILES=" + snippet + "` and `make build`."]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
