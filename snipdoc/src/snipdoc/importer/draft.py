"""The draft page of an imported notebook.

Markdown cells become the prose, with what Python-Markdown reads differently
from Jupyter fixed (display math on its own block, a blank line before a list).
Images next to the notebook are copied beside the page; any other image
(missing, remote: the site must work offline) becomes a visible 图片缺失 box.
Each code cell becomes a ``::: snippet`` line for its part, followed, when its
verdict needs the author, by a box quoting the old and the new output.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from . import drift
from .drift import Verdict, code_span, fenced
from .ipynb import IMAGE_TYPES, Cell, Notebook

# An HTML <img> tag or a Markdown image, in one pass so a converted tag is not read again.
_IMAGE = re.compile(r"(?P<tag><img\b[^>]*>)|!\[(?P<alt>[^\]]*)\]\(\s*<?(?P<src>[^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)", re.I)
_ATTR = re.compile(r"""\b(src|alt)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_MD_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[*+-]|\d+[.)])\s")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
# Jupyter's MathJax reads `$ x^2 $`; Python-Markdown's arithmatex needs `$x^2$`.
_INLINE_MATH = re.compile(r"(?<![$\\])\$(?!\$)[ \t]*([^$\n]*?[^$\s\\])[ \t]*\$(?!\$)")


@dataclass
class CodeEmbed:
    """What the page shows for one code cell."""

    cell: Cell
    part: str | None  # None: nothing of the cell runs
    static_code: str = ""  # shown as a plain block when the cell only has comments or was dropped
    verdict: Verdict | None = None
    skipped: int = 0  # statements after an exception, not run (as in the notebook)
    seed: str = ""
    seed_in: str = ""  # the earlier cell the seed was added to
    root_kind: str = ""  # for a cell that depends on a failed one: that cell's verdict


@dataclass
class Draft:
    markdown: str
    files: dict[Path, bytes] = field(default_factory=dict)  # images to write
    notes: list[str] = field(default_factory=list)


def page(nb: Notebook, embeds: dict[int, CodeEmbed], snippet: str, page_path: Path, versions: dict) -> Draft:
    draft = Draft("")
    images = Images(nb.path.parent, page_path, draft)
    blocks: list[str] = []
    heading = first_heading(nb)
    title = heading[2] if heading else nb.title
    for cell in nb.cells:
        if cell.kind == "markdown" and cell.source.strip():
            # The heading that titles the page moves to its top (MkDocs titles a page by its first H1).
            source = _without_line(cell.source, heading[1]) if heading and heading[0] == cell.index else cell.source
            if source.strip():
                blocks.append(prose(cell, images, draft, source))
        elif cell.kind == "code" and cell.index in embeds:
            blocks.append(code_block(embeds[cell.index], snippet, images, versions))
        elif cell.kind == "raw" and cell.source.strip():
            draft.notes.append(f"raw cell {cell.index} left out (raw cells are not rendered by Jupyter either)")
    text = "\n\n".join(b for b in blocks if b)
    if not title:
        title = nb.path.stem
        draft.notes.append("the notebook has no heading and no metadata title: the page is titled by its file "
                           f"name ({code_span(title)}); put a `# title` line at the top of the page")
    text = f"# {title}\n\n{text}"
    draft.markdown = text.rstrip("\n") + "\n"
    if images.missing:
        draft.notes.append(f"{len(images.missing)} image(s) not found next to the notebook, shown as 图片缺失 boxes: "
                           + ", ".join(code_span(m) for m in images.missing))
    return draft


_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")


def first_heading(nb: Notebook) -> tuple[int, int, str] | None:
    """(cell index, line number in its source, text) of the notebook's first heading, of any level."""
    for cell in nb.cells:
        if cell.kind != "markdown":
            continue
        fence = None
        for n, line in enumerate(cell.source.split("\n")):
            m = _FENCE.match(line)
            if m:
                fence = None if fence and line.strip().startswith(fence) else fence or m.group(1)
            elif fence is None and (h := _HEADING.match(line)):
                return cell.index, n, h.group(2).strip()
    return None


def _without_line(source: str, n: int) -> str:
    lines = source.split("\n")
    return "\n".join(lines[:n] + lines[n + 1:])


def prose(cell: Cell, images: "Images", draft: Draft, source: str | None = None) -> str:
    text = (cell.source if source is None else source).strip("\n")
    out = []
    for chunk in _outside_fences(text):
        if _FENCE.match(chunk):
            out.append(chunk)
            continue
        chunk = _IMAGE.sub(lambda m: images.html(m["tag"], cell) if m["tag"] else images.markdown(m["alt"], m["src"], cell),
                           chunk)
        chunk = _MD_LINK.sub(lambda m: _link(m, draft), chunk)
        chunk = _DISPLAY_MATH.sub(lambda m: f"\n\n{m.group(0).strip()}\n\n", chunk)
        chunk = _outside_code_spans(chunk, lambda t: _INLINE_MATH.sub(r"$\1$", t))
        out.append(_blank_before_lists(chunk))
    text = "\n".join("" if not line.strip() else line for line in "".join(out).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _outside_code_spans(text: str, change) -> str:
    parts = re.split(r"(`+[^`]*`+)", text)
    return "".join(part if i % 2 else change(part) for i, part in enumerate(parts))


def _outside_fences(text: str) -> list[str]:
    """The text split into fenced code blocks (left as they are) and what is between them."""
    chunks, current, fence = [], [], None
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if fence is None and m:
            chunks.append("\n".join(current) + "\n")
            current, fence = [line], m.group(1)
        elif fence is not None and line.strip().startswith(fence) and not line.strip()[len(fence):].strip():
            current.append(line)
            chunks.append("\n".join(current) + "\n")
            current, fence = [], None
        else:
            current.append(line)
    chunks.append("\n".join(current))
    return [c for c in chunks if c]


def _blank_before_lists(text: str) -> str:
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        prev = out[-1] if out else ""
        if _LIST_ITEM.match(line) and prev.strip() and not _LIST_ITEM.match(prev) and not prev.startswith((" ", "\t", "#")):
            out.append("")
        out.append(line)
    return "\n".join(out)


def _link(m: re.Match, draft: Draft) -> str:
    text, target = m.group(1), m.group(2)
    if re.match(r"^(?:[a-z][a-z0-9+.-]*:|#|/)", target, re.I):
        return m.group(0)
    # A link to a file beside the notebook would be a broken link on the site (and fail --strict).
    draft.notes.append(f"link to {code_span(target)} kept as text: the file is not part of the site")
    return f"{text}（原链接：{code_span(target)}）"


class Images:
    """Copies images next to the page; everything else becomes a visible 图片缺失 box."""

    def __init__(self, notebook_dir: Path, page_path: Path, draft: Draft):
        self.notebook_dir = notebook_dir
        self.folder = page_path.parent / "images" / page_path.stem
        self.page_dir = page_path.parent
        self.draft = draft
        self.missing: list[str] = []
        self.written: dict[bytes, str] = {}

    def html(self, tag: str, cell: Cell) -> str:
        attrs = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _ATTR.finditer(tag)}
        return self.markdown(attrs.get("alt", ""), attrs.get("src", ""), cell, original=tag)

    def markdown(self, alt: str, src: str, cell: Cell, original: str = "") -> str:
        original = original or f"![{alt}]({src})"
        if src.startswith("data:image/"):
            return f"![{alt}]({src})"
        data = None
        if src.startswith("attachment:"):
            found = cell.attachments.get(unquote(src[len("attachment:"):]))
            if found:
                data, name = found[1], unquote(src[len("attachment:"):])
        elif src and not re.match(r"^(?:[a-z][a-z0-9+.-]*:|//)", src, re.I):
            path = (self.notebook_dir / unquote(src.split("#")[0].split("?")[0])).resolve()
            if path.is_file():
                data, name = path.read_bytes(), path.name
        if not data:
            self.missing.append(src or original)
            return "\n\n" + missing_box(src or original) + "\n\n"
        return f"![{alt or Path(name).stem}]({self.add(name, data)})"

    def add(self, name: str, data: bytes) -> str:
        """Write the image beside the page (once per content); its link from the page."""
        if data not in self.written:
            stem, suffix = posixpath.splitext(name)
            target, n = self.folder / name, 1
            while target in self.draft.files:
                n += 1
                target = self.folder / f"{stem}-{n}{suffix}"
            self.draft.files[target] = data
            self.written[data] = posixpath.relpath(target.as_posix(), self.page_dir.as_posix())
        return self.written[data]


def missing_box(src: str) -> str:
    return (f'!!! warning "图片缺失"\n    原笔记引用的图片 {code_span(src)} 没有找到（不在笔记旁边，或是网络图片），'
            "导入时没有复制。把图片放到页面旁边并改成 Markdown 图片，或删去这一段。")


def code_block(embed: CodeEmbed, snippet: str, images: Images, versions: dict) -> str:
    parts = []
    if embed.part:
        parts.append(f"::: snippet {snippet} part={embed.part}")
    elif embed.static_code.strip():
        parts.append(fenced(embed.static_code, "python"))
    if embed.verdict is not None:
        box = admonition(embed, images, versions.get("torch") or "?")
        if box:
            parts.append(box)
    return "\n\n".join(parts)


def admonition(embed: CodeEmbed, images: Images, torch: str) -> str:
    body = _verdict_box(embed, torch)
    olds = [images.add(f"{label_slug(embed.verdict.label)}-old{IMAGE_TYPES[mime]}", data)
            for mime, data in embed.cell.outputs.images]
    if olds:  # every stored image is kept beside the page, to compare with the figure drawn now
        pictures = [f"![{embed.verdict.label} 的旧图 {n}]({src})" for n, src in enumerate(olds, 1)]
        if body is None:
            body = ("note", f"导入检查：{embed.verdict.label} 原来的图", [])
        kind, title, lines = body
        intro = "笔记里保存的旧图如下，上面是现在画出的图，请对照检查。" if embed.verdict.kind == drift.FIGURE \
            else "笔记里保存的旧图："
        body = (kind, title, [*lines, *([""] if lines else []), intro, "", *pictures])
    if body is None:
        return ""
    kind, title, lines = body
    text = "\n".join(lines)
    indented = "\n".join(("    " + line) if line else "" for line in text.split("\n"))
    return f'!!! {kind} "{title}"\n{indented}'


def _verdict_box(embed: CodeEmbed, torch: str) -> tuple[str, str, list[str]] | None:
    """The box's kind, title and lines for the cell's verdict; None when it needs none."""
    v = embed.verdict
    label = v.label
    old = v.old or ("（没有文字输出，只有图）" if embed.cell.outputs.images else "（无输出）")
    new = v.new or "（无输出）"
    quote = ["笔记里保存的旧输出：", "", fenced(old), "", f"torch {torch} 运行的输出：", "", fenced(new)]
    change = f"变化：{drift.summary(v.old, v.new, WORDS)}" if v.old.strip() and v.new.strip() and v.old != v.new else ""
    if v.kind == drift.CHANGED:
        if "%timeit" in v.detail:
            change = "旧笔记显示了 `%timeit` 的计时；草稿删去了 `%timeit`，不再显示计时。"
        elif not change:  # the same text: the figures changed
            change = "旧笔记在这一格保存了图，现在没有画图。" if embed.cell.outputs.images else "现在画了旧笔记里没有的图。"
        kind, title, body = "warning", f"导入检查：{label} 的输出变了", [change, "", *quote]
    elif v.kind == drift.RAISES:
        body = [f"现在会抛出 {code_span(v.detail)}，页面上把它作为预期的异常显示。"]
        if v.detail.startswith("ModuleNotFoundError"):
            body[0] += "环境里没有这个包：把它加进 pyproject.toml 的依赖，或删去这一格；后面的格照常运行。"
        if embed.skipped:
            body[0] += f"这一格中异常之后的 {embed.skipped} 条语句没有运行（`# doctest: +SKIP`），与在 Jupyter 中一样。"
        kind, title, body = "failure", f"导入检查：{label} 现在会抛出异常", [*body, "", *quote]
    elif v.kind == drift.NO_LONGER_RAISES:
        kind, title, body = "warning", f"导入检查：{label} 不再抛出异常", quote
    elif v.kind == drift.NONDETERMINISTIC:
        body = ["这一格每次运行的输出都不同（没有设随机种子）。"]
        if embed.seed:
            where = f"在 {embed.seed_in} 里" if embed.seed_in else "在这一格里"
            body[0] += f"草稿{where}加了 {code_span(embed.seed)}，所以页面上的输出是固定的，但与旧笔记不同。"
        kind, title, body = "warning", f"导入检查：{label} 的输出每次运行都不同", [*body, "", *quote]
    elif v.kind == drift.DEPENDS and v.old != v.new:
        kind, title = "warning", f"导入检查：{label} 用到了 {v.root} 的结果"
        cause = {drift.RAISES: "现在会抛出异常", drift.NONDETERMINISTIC: "的输出每次运行都不同",
                 drift.DROPPED: "是 IPython 专用语法，导入时删去了"}.get(embed.root_kind, "现在有问题")
        body = [f"{v.root} {cause}，这一格的旧输出无法核对。" + (f"{change}。" if change else ""), "", *quote]
    elif v.kind == drift.FIGURE:
        kind, title, body = "note", f"导入检查：{label} 原来的图", []
    elif v.kind == drift.DROPPED:
        kind, title = "note", f"导入检查：{label} 是 IPython 专用语法"
        body = ["导入时删去了这一格，它没有对应的 Python 写法（详见导入报告）：", "", fenced(embed.cell.source, "text")]
    else:
        return None
    return kind, title, body


WORDS = {"no old": "旧笔记没有保存输出", "no new": "现在没有输出", "numbers": "{} 个数值不同", "space": "只有空白不同",
         "line": "从第 {} 行起不同"}


def label_slug(label: str) -> str:
    return re.sub(r"[^\w]+", "-", label.lower()).strip("-")
