"""Reading a Jupyter notebook for import: its cells and the outputs it stored.

Only what the import needs is read, and real files are messy: ``source`` and
output ``text`` may be one string or a list of lines, stored outputs may hold
ANSI colour codes, images, stderr or an error. Anything that is not a
notebook this command can read is a ``NotebookError`` naming the file.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/svg+xml": ".svg"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class NotebookError(Exception):
    """The notebook cannot be imported; the message names the file and says what to do."""


@dataclass
class OldOutput:
    """What the notebook showed under a code cell when it was saved."""

    text: str = ""  # printed text and displayed values, in order
    error: str | None = None  # "Name: message" of a stored exception
    images: list[tuple[str, bytes]] = field(default_factory=list)  # (mime type, bytes)
    stderr: str = ""  # warnings and the like; the site shows no stderr
    other: list[str] = field(default_factory=list)  # mime types shown that cannot be compared

    @property
    def empty(self) -> bool:
        return not (self.text or self.error or self.images or self.other)


@dataclass
class Cell:
    kind: str  # "markdown", "code" or "raw"
    source: str
    index: int  # 1-based position among all cells
    number: int = 0  # 1-based position among the code cells
    execution_count: int | None = None
    outputs: OldOutput = field(default_factory=OldOutput)
    attachments: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # name -> (mime, bytes)
    count_shared: bool = False  # another code cell shows the same In [n]

    @property
    def label(self) -> str:
        """How Jupyter labels it, so the author can find it in the notebook."""
        if self.execution_count is None:
            return f"In [ ] (code cell {self.number})"
        if self.count_shared:
            return f"In [{self.execution_count}] (code cell {self.number})"
        return f"In [{self.execution_count}]"


@dataclass
class Notebook:
    path: Path
    cells: list[Cell]
    title: str | None  # from the metadata, if the file has one
    python: str | None  # the Python version it last ran on, if recorded

    @property
    def code_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.kind == "code"]


def read_notebook(path: Path) -> Notebook:
    where = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotebookError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise NotebookError(f"{where}: is a folder, not a notebook file") from None
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{where}: not a Jupyter notebook: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{where}: not a Jupyter notebook: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("nbformat"), int):
        raise NotebookError(f"{where}: not a Jupyter notebook: it has no 'nbformat' version number")
    version = nb["nbformat"]
    if version < 4:
        raise NotebookError(
            f"{where}: nbformat {version} is too old: this command reads nbformat 4 (Jupyter 4.0, 2015, and later). "
            f"Upgrade the file first, e.g. open and save it in Jupyter, or run: python -c \"import nbformat; "
            f"nbformat.write(nbformat.read('{path.name}', as_version=4), '{path.stem}-v4.ipynb')\""
        )
    if version > 4:
        raise NotebookError(f"{where}: nbformat {version} is newer than this command knows (it reads nbformat 4)")
    if not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{where}: not a Jupyter notebook: it has no list of 'cells'")
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    language = (meta.get("kernelspec") or {}).get("language") or (meta.get("language_info") or {}).get("name")
    if language and str(language).lower() != "python":
        raise NotebookError(f"{where}: a {language} notebook; only Python notebooks can be imported")
    cells, number = [], 0
    for i, raw in enumerate(nb["cells"], 1):
        if not isinstance(raw, dict) or raw.get("cell_type") not in ("markdown", "code", "raw"):
            raise NotebookError(f"{where}: cell {i} is not a notebook cell (no cell_type of markdown, code or raw)")
        cell = Cell(kind=raw["cell_type"], source=_text(raw.get("source", "")), index=i)
        if cell.kind == "code":
            number += 1
            cell.number = number
            count = raw.get("execution_count")
            cell.execution_count = count if isinstance(count, int) else None
            cell.outputs = _outputs(raw.get("outputs") or [], f"{where}: cell {i}")
        cell.attachments = _attachments(raw.get("attachments") or {})
        cells.append(cell)
    if not any(c.kind == "code" and c.source.strip() for c in cells):
        raise NotebookError(f"{where}: no code cells: there is nothing to run, so nothing to import")
    counts = [c.execution_count for c in cells if c.kind == "code" and c.execution_count is not None]
    for cell in cells:
        cell.count_shared = counts.count(cell.execution_count) > 1
    title = meta.get("title") if isinstance(meta.get("title"), str) else None
    python = (meta.get("language_info") or {}).get("version")
    return Notebook(path=path, cells=cells, title=title, python=python if isinstance(python, str) else None)


def _text(value) -> str:
    """A multiline string as the notebook stores it: one string or a list of lines."""
    if isinstance(value, list):
        value = "".join(str(v) for v in value)
    return str(value).replace("\r\n", "\n")


def _outputs(outputs: list, where: str) -> OldOutput:
    old = OldOutput()
    for out in outputs:
        if not isinstance(out, dict):
            raise NotebookError(f"{where}: an output is not a JSON object")
        kind = out.get("output_type")
        if kind == "stream":
            text = _ANSI.sub("", _text(out.get("text", "")))
            if out.get("name") == "stderr":
                old.stderr += text
            else:
                old.text += text
        elif kind in ("execute_result", "display_data"):
            data = out.get("data") or {}
            images = [(mime, data[mime]) for mime in IMAGE_TYPES if mime in data]
            if images:
                # The text beside an image (<Figure size 640x480 with 1 Axes>) only names it.
                mime, value = images[0]
                raw = _text(value)
                old.images.append((mime, raw.encode() if mime == "image/svg+xml" else _b64(raw)))
            elif "text/plain" in data:
                text = _text(data["text/plain"])
                old.text += text if text.endswith("\n") else text + "\n"
            elif data:
                old.other.extend(sorted(data))
        elif kind == "error":
            old.error = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}".rstrip(": ")
    return old


def _attachments(raw: dict) -> dict[str, tuple[str, bytes]]:
    found = {}
    for name, bundle in raw.items():
        for mime in IMAGE_TYPES:
            if isinstance(bundle, dict) and mime in bundle:
                value = _text(bundle[mime])
                found[name] = (mime, value.encode() if mime == "image/svg+xml" else _b64(value))
                break
    return found


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except ValueError:
        return b""
