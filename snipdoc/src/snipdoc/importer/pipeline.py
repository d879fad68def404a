"""``python -m snipdoc import NOTEBOOK --page docs/chNN.md``: a notebook of old notes
becomes a draft page, one snippet with a part per code cell, and a drift report.

One snippet, because cells share state as they did in the notebook; a part per
cell, embedded in order, so prose stays between them and each cell's figures
follow it. The snippet runs on the real engine:

1. twice as the notebook's code stands, to find nondeterministic cells and
   values a notebook would not have shown;
2. as the draft (a seed before each nondeterministic cell, ``_ = `` where a
   value was not shown, ``+SKIP`` on statements after one that raised, since a
   notebook cell stops there), until the set of skipped statements settles;
3. once more, to check the draft prints the same twice; the outputs are then
   written into the file as the record command writes them;
4. a last time as written, exactly as the build will run it: it must pass.

Nothing is written until all of that succeeded, each file atomically, and an
existing page or snippet is only replaced with ``force``.
"""

from __future__ import annotations

import ast
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..engine import cache
from ..engine.core import Engine
from . import deps, draft, drift, examples, ipython, normalise
from .examples import Example
from .ipynb import Cell, Notebook, NotebookError, read_notebook
from ..engine.parse import SnippetError, parse_snippet
from ..engine.run import TRACEBACK_HEADER

SEED_NOTE = "  # 导入时添加：原笔记没有设随机种子，每次运行的输出都不同"
MAX_ROUNDS = 5


@dataclass(eq=False)
class Plan:
    """One code cell on its way into the snippet."""

    cell: Cell
    code: str
    converted: ipython.Converted
    examples: list[Example]
    names: deps.Names
    part: str | None = None
    deps: set[int] = field(default_factory=set)
    uninitialised: bool = False
    ids: bool = False  # calls id(): its numbers are addresses
    differs: bool = False
    runs: tuple[str, str] = ("", "")
    seed: str = ""
    seed_at: int | None = None  # the cell the seed was put in, when it is seeded
    notes: list[str] = field(default_factory=list)


@dataclass
class Imported:
    page: Path
    snippet: Path
    report_path: Path
    report: str
    verdicts: list[drift.Verdict]
    written: list[Path]


def import_notebook(notebook: Path, page: Path, settings: dict, *, force: bool = False,
                    engine: Engine | None = None) -> Imported:
    """settings: the engine's, as mkdocs.yml sets them (SnippetExtension.settings)."""
    nb = read_notebook(notebook)
    snippets_dir = settings["snippets_dir"]
    name = f"{page.stem}/{slug(notebook.stem)}.txt"
    snippet_path = snippets_dir / name
    # A dot file: MkDocs leaves it out of the site, so old outputs are never published.
    report_path = page.with_name(f".{page.stem}.drift.md")
    existing = [p for p in (page, snippet_path) if p.exists()]
    if existing and not force:
        raise NotebookError(", ".join(str(p) for p in existing) + " already exist" + ("s" if len(existing) == 1 else "")
                            + ": pass --force to overwrite (nothing was written)")
    plans = plan(nb)
    with _engine(engine, settings) as eng, tempfile.TemporaryDirectory(prefix="snipdoc-import-") as tmp:
        # The engine runs files, as the build will: drafts live outside the project until they pass.
        recorder = Recorder(eng, Path(tmp) / snippet_path.name, eng.display(snippet_path), nb, plans)
        text, final = recorder.record()
        off_reference = None if eng.on_reference else (eng.platform_here(), eng.declared)
    _deps_of_what_ran(plans)
    # The importer is for PyTorch notebooks: its notes name the torch version that ran.
    versions = cache.environment(dict.fromkeys(["torch", *eng.packages]))
    runs = [_cell_run(p, [out for ex, out in zip(recorder.flat, final) if ex.cell == i], plans)
            for i, p in enumerate(plans)]
    verdicts = drift.verdicts(runs)
    embeds = {}
    kinds = {v.label: v.kind for v in verdicts}
    for p, v, r in zip(plans, verdicts, runs):
        skipped = sum(e.skip and e.skip_reason == "exception" for e in p.examples if e.kind == "code")
        embeds[p.cell.index] = draft.CodeEmbed(p.cell, p.part if p.examples else None,
                                               static_code=p.code if not p.examples else "",
                                               verdict=v, skipped=skipped, seed=p.seed.split("  #")[0],
                                               seed_in=r.seed_in,
                                               root_kind=kinds.get(v.root, ""))
    page_draft = draft.page(nb, embeds, name, page, versions)
    general = _general_notes(nb, plans) + page_draft.notes
    if off_reference:
        general.insert(0, f"recorded on {off_reference[0]}, not on the reference platform {off_reference[1]} the "
                          "site's outputs belong to: record the snippet there before publishing")
    report = drift.report(verdicts, runs, notebook=notebook.name, page=str(page), snippet=recorder.name,
                          versions=versions, old_python=nb.python, general=general)
    clashes = [p for p, data in page_draft.files.items() if p.exists() and p.read_bytes() != data]
    if clashes and not force:
        raise NotebookError(", ".join(map(str, clashes)) + ": an image of that name already exists with other "
                            "content: pass --force to overwrite (nothing was written)")
    files = [*page_draft.files.items(), (snippet_path, text.encode()), (page, page_draft.markdown.encode()),
             (report_path, report.encode())]
    for path, data in files:
        cache.write_atomic(path, data)
    return Imported(page, snippet_path, report_path, report, verdicts, [path for path, _ in files])


def slug(stem: str) -> str:
    return re.sub(r"[^\w.-]+", "-", stem).strip("-.") or "notebook"


@contextmanager
def _engine(engine: Engine | None, settings: dict):
    if engine is not None:
        yield engine
        return
    own = Engine(**settings)
    try:
        yield own
    finally:
        own.close()


def plan(nb: Notebook) -> list[Plan]:
    """Every non-empty code cell, converted to plain Python and split into examples."""
    cells = [c for c in nb.code_cells if c.source.strip()]
    display_defined = any(re.search(r"\bimport\b.*\bdisplay\b|\bdef display\b|\bdisplay\s*=", c.source) for c in cells)
    plans = []
    for i, cell in enumerate(cells):
        converted = ipython.convert(cell.source)
        code = converted.code
        notes = [text for _, text in converted.notes]
        try:
            tree = ast.parse(code)
            code, more = ipython.convert_display(code, tree, display_defined)
            notes += [text for _, text in more]
        except (SyntaxError, ValueError):
            notes.append("not valid Python 3 (recorded as the SyntaxError it raises)")
        names = deps.names(code)
        names.binds |= converted.writes
        exs = examples.split(code, i) if not converted.dropped_cell else []
        for ex in exs:
            if any(ex.start + n + 1 in converted.help_lines for n in range(len(ex.lines))):
                ex.kind = "help"
        plans.append(Plan(cell, code, converted, exs, names, notes=notes,
                          uninitialised=bool(normalise.UNINITIALISED.search(code)), ids=bool(normalise.IDS.search(code))))
    for p, d in zip(plans, deps.direct_dependencies([p.names for p in plans])):
        p.deps = d
    counts = [p.cell.execution_count for p in plans]
    by_count = None not in counts and len(set(counts)) == len(counts)
    for p in plans:
        p.part = f"in{p.cell.execution_count}" if by_count else f"cell{p.cell.number}"
    return plans


class Recorder:
    """Runs the snippet through the steps in the module docstring and keeps its final text."""

    def __init__(self, engine: Engine, path: Path, name: str, nb: Notebook, plans: list[Plan]):
        self.engine, self.path, self.name, self.nb, self.plans = engine, path, name, nb, plans
        self.header = (f"Imported from {nb.path.name} by `python -m snipdoc import`: one part per code cell, "
                       "run in order, sharing one namespace as in the notebook.\n")

    @property
    def flat(self) -> list[Example]:
        return [e for p in self.plans for e in p.examples]

    def text(self) -> str:
        return examples.snippet_text(self.header, [(p.part, p.examples) for p in self.plans if p.examples])

    def run(self) -> list[dict]:
        text = self.text()
        self.path.write_text(text, encoding="utf-8")
        try:
            snippet = parse_snippet(self.path, self.name)
        except SnippetError as exc:
            raise NotebookError(f"{self.nb.path}: the draft snippet does not parse: {exc}") from None
        flat = self.flat
        if len(snippet.examples) != len(flat):
            raise NotebookError(f"{self.nb.path}: the draft snippet has {len(snippet.examples)} examples where "
                                f"{len(flat)} were written (an output line that looks like a prompt?)")
        result = self.engine.result(snippet, use_cache=False)
        if "crash" in result:
            line = result.get("lineno") or 0
            at = max((i for i, e in enumerate(snippet.examples) if e.lineno <= line), default=0)
            label = self.plans[flat[at].cell].cell.label
            raise NotebookError(f"{self.nb.path}: {label}: {result['crash']}; nothing was written. "
                                "Fix or remove the cell (or raise --timeout) and import again")
        return result["examples"]

    def record(self) -> tuple[str, list[dict]]:
        first, second = self.run(), self.run()
        for ex, out in zip(self.flat, first):
            # A notebook shows the value of a cell's last expression only, and none from inside a
            # block. Nothing is expected yet, so any output counts, whatever the status says; a
            # value that is only a memory address (<Line2D at 0x..>) says nothing and is hidden too.
            shown = ex.last and ex.statement == "Expr" and not normalise.only_addresses(out["got"])
            ex.hidden = bool(ex.hide_at) and not shown and bool(out["got"]) and TRACEBACK_HEADER not in out["got"]
        self._find_nondeterminism(first, second)
        self._skip_after_failures(first)
        self._add_seeds()
        for _ in range(MAX_ROUNDS):
            draft_run = self.run()
            if self._skip_after_failures(draft_run):
                continue
            again = self.run()
            for ex, a, b in zip(self.flat, draft_run, again):
                self._want(ex, a, b)
            final = self.run()
            failed = [(ex, out) for ex, out in zip(self.flat, final)
                      if out["status"] in ("exception", "mismatch", "too_large")]
            if not failed:
                return self.text(), final
            for ex, out in failed:
                if out["status"] == "mismatch" and not ex.unstable and normalise.same_run(ex.want, out["got"], True):
                    ex.unstable = True  # numbers that two runs happened to agree on (an id()): masked next round
                    continue
                why = out.get("error") or "its output differs from run to run"
                self.plans[ex.cell].notes.append(f"a statement could not be recorded ({why}): skipped")
                if out["status"] == "mismatch":  # two runs happened to agree; this one did not
                    self.plans[ex.cell].differs = True
                if out["status"] == "exception":
                    ex.raised, ex.printed = out.get("error") or "", out.get("printed") or ""
                self._skip_rest(ex, including=True, reason="unrecorded")
        raise NotebookError(f"{self.nb.path}: the draft did not settle after {MAX_ROUNDS} rounds; nothing was written")

    def _find_nondeterminism(self, first: list[dict], second: list[dict]) -> None:
        flat = self.flat
        for p in self.plans:
            # A hidden value (w.requires_grad_() echoing a random w) is not on the page: only
            # what a statement prints counts, and all of a hidden expression's output is its value.
            pairs = [(a["got"], b["got"]) for ex, a, b in zip(flat, first, second)
                     if self.plans[ex.cell] is p and not (ex.hidden and ex.statement == "Expr")]
            p.differs = not all(normalise.same_run(a, b, p.uninitialised, p.ids) for a, b in pairs)
            p.runs = ("".join(a for a, _ in pairs), "".join(b for _, b in pairs))

    def _add_seeds(self) -> None:
        """A seed before each nondeterministic cell that no nondeterministic cell feeds, placed in
        the first cell of its lineage that draws random numbers: the data In [3] prints may come
        from In [2]'s torch.randn."""
        bound, before = set(), []
        for p in self.plans:
            before.append(set(bound))
            bound |= p.names.binds
        lineages: dict[int, list[int]] = {}  # cell that gets the seed -> the cells it seeds, with their ancestors
        for i, p in enumerate(self.plans):
            if p.differs and not p.uninitialised and not any(self.plans[j].differs for j in self._ancestors(i)):
                family = sorted(self._ancestors(i) | {i})
                target = next((j for j in family if drift.RANDOM.search(self.plans[j].code)), i)
                lineages.setdefault(target, []).extend(family)
                p.seed_at = target
        for target, family in lineages.items():
            t = self.plans[target]
            at = next((k for k, e in enumerate(t.examples) if e.statement not in ("Import", "ImportFrom")), 0)
            imported = before[target] | {n for e in t.examples[:at] for n in deps.names("\n".join(e.lines)).binds}
            # The generator may be called from a function an earlier cell defined (random.shuffle in data_iter).
            seed = seed_code("\n".join(self.plans[j].code for j in sorted(set(family))), "torch" in imported)
            t.examples.insert(at, examples.seed_example(target, seed + SEED_NOTE))
            for p in self.plans:
                if p.seed_at == target:
                    p.seed = seed + SEED_NOTE

    def _ancestors(self, i: int) -> set[int]:
        seen, todo = set(), list(self.plans[i].deps)
        while todo:
            j = todo.pop()
            if j not in seen:
                seen.add(j)
                todo.extend(self.plans[j].deps)
        return seen

    def _skip_after_failures(self, outcomes: list[dict]) -> bool:
        """A notebook cell stops at its first exception: the statements after it are not run."""
        changed = False
        for ex, out in zip(self.flat, outcomes):
            if ex.skip:
                continue
            if out["status"] == "too_large":
                self.plans[ex.cell].notes.append(f"a statement printed more than the output limit: skipped ({out.get('error', '')})")
                changed |= self._skip_rest(ex, including=True, reason="unrecorded")
            elif out["status"] == "exception" or TRACEBACK_HEADER in out["got"]:
                changed |= self._skip_rest(ex, including=False, reason="exception")
        return changed

    def _skip_rest(self, ex: Example, including: bool, reason: str) -> bool:
        cell = self.plans[ex.cell].examples
        start = cell.index(ex) + (0 if including else 1)
        changed = False
        for other in cell[start:]:
            if not other.skip:
                other.skip, other.want, other.ellipsis, changed = True, "", False, True
                other.skip_reason = reason
        return changed

    def _want(self, ex: Example, a: dict, b: dict) -> None:
        """The recorded output: what both runs printed, masked where no seed makes it repeatable."""
        if ex.skip:
            return
        got, other = a["got"], b["got"]
        uninitialised, ids = self.plans[ex.cell].uninitialised, self.plans[ex.cell].ids
        ex.ellipsis = False
        # doctest checks only the exception of an example that raises, not what it printed first.
        got, other = _from_traceback(got), _from_traceback(other)
        if got == other and not ex.unstable and not normalise.ADDRESS.search(got) \
                and not (uninitialised and re.search(r"\d", got)) and not (ids and normalise.has_ids(got)):
            ex.want = got
        elif not ex.unstable and (normalise.same_run(got, other, ids=ids)
                                  or (uninitialised and normalise.same_run(got, other, True, ids))):
            # id() values can agree in every run here and still differ in the build's own process.
            ex.want, ex.ellipsis = normalise.ellipsis_want(got, values=uninitialised, ids=ids), True
        elif normalise.same_run(got, other, True):
            ex.want, ex.ellipsis = normalise.ellipsis_want(got, values=True), True
            self.plans[ex.cell].notes.append("numbers differ between runs even after seeding: masked with ... on the page")
        elif got.strip() and other.strip():
            ex.want, ex.ellipsis = "...\n", True
            self.plans[ex.cell].notes.append("output differs between runs even after seeding: not recorded (...)")
        else:
            self._skip_rest(ex, including=True, reason="unrecorded")
            return
        if ex.want.startswith("..."):
            # doctest reads a first output line starting with "..." as more code: start with what both printed.
            if got[:1] == other[:1] and got[:1] not in ". \n":
                ex.want = got[0] + ex.want
            else:
                self._skip_rest(ex, including=True, reason="unrecorded")


def _from_traceback(got: str) -> str:
    start = got.find(TRACEBACK_HEADER)
    return got[start:] if start > 0 else got


def _deps_of_what_ran(plans: list[Plan]) -> None:
    """A cell stops at its exception: an object its later statements would have changed
    (``w.add_(1)``) is as the cells before left it, so it is not this cell's doing. A name they
    would have bound still counts: a cell that reads it misses it because this cell failed."""
    names = []
    for p in plans:
        cut = [e for e in p.examples if e.kind == "code" and e.skip and e.skip_reason == "exception"]
        if cut and all(e.statement for e in p.examples):  # a cell that does not parse keeps its every name
            ran = "\n".join("\n".join(e.lines) for e in p.examples if e.kind == "code" and e not in cut)
            p.names.changes = deps.names(ran).changes
        names.append(p.names)
    for p, d in zip(plans, deps.direct_dependencies(names)):
        p.deps = d


def seed_code(code: str, torch_bound: bool) -> str:
    """The seed to add before a nondeterministic cell, for the generators it uses."""
    parts = []
    numpy = re.search(r"\b(np|numpy)\.random\.", code)
    if numpy:
        parts.append(f"{numpy.group(1)}.random.seed(0)")
    if re.search(r"(?<![\w.])random\.\w+\(", code):
        parts.append("random.seed(0)")
    if "torch" in code or not parts:
        parts.insert(0, "_ = torch.manual_seed(0)" if torch_bound else "import torch; _ = torch.manual_seed(0)")
    return "; ".join(parts)


def _cell_run(p: Plan, outs: list[dict], plans: list[Plan]) -> drift.CellRun:
    text, error, figures = "", None, 0
    for ex, out in zip(p.examples, outs):
        figures += len(out.get("figures") or [])
        if ex.kind == "code" and ex.raised:  # skipped only because doctest cannot record it: it still raises
            text += ex.printed
            error = ex.raised if error is None else error
        if ex.kind != "code" or ex.skip:
            continue
        got = out["got"]
        start = got.find(TRACEBACK_HEADER)
        if start >= 0:
            text += got[:start]
            error = got[start:].split("\n", 2)[-1].strip() if error is None else error
        else:
            text += got
    old = p.cell.outputs
    notes = list(p.notes)
    n = sum(e.skip and e.skip_reason == "exception" for e in p.examples if e.kind == "code")
    if n:
        notes.append(f"{n} statement(s) after the exception not run (`# doctest: +SKIP`), as in a notebook")
    return drift.CellRun(
        label=p.cell.label, code=p.code, old_text=normalise.clean_old(old.text), old_error=old.error, old_images=len(old.images),
        old_stderr=old.stderr, old_other=old.other, new_text=text, new_error=error, figures=figures,
        deps=p.deps, differs=p.differs, uninitialised=p.uninitialised, ids=p.ids, seed=p.seed.split("  #")[0],
        seed_in=plans[p.seed_at].cell.label if p.seed_at is not None and plans[p.seed_at] is not p else "",
        dropped=p.converted.dropped_cell, notes=notes, runs=p.runs,
        timing_gone=normalise.has_timing(old.text) and any(
            kind == ipython.DROPPED and note.startswith("`%timeit") for kind, note in p.converted.notes),
    )


def _general_notes(nb: Notebook, plans: list[Plan]) -> list[str]:
    notes = []
    empty = sum(1 for c in nb.code_cells if not c.source.strip())
    if empty:
        notes.append(f"{empty} empty code cell(s) left out")
    return notes
