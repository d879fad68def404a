"""Comparing an old notebook output with a new run without false alarms.

Outputs differ in ways that say nothing about the code: memory addresses,
IPython's pretty printer re-wrapping a repr, Python 2's ``u'...'`` and ``1L``,
Windows' ``dtype=torch.int32`` for default integers, and uninitialised memory
(``torch.empty``). Each is a named step, so a verdict can say which ones it
needed. The same masks make doctest wants (with ELLIPSIS) for outputs that no
seed makes repeatable.
"""

from __future__ import annotations

import re

ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{4,}\b")
_NUMBER = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+|nan|inf)"
# torch pads a row of numbers with a space when another row has a minus sign: the
# padding after a bracket belongs to the masked run, or "[[ 8.4e+25," and "[[0.," differ.
_NUMBERS = re.compile(rf"(?:(?<=[\[(])[ \t]+)?{_NUMBER}(?:[\s,]*{_NUMBER})*")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Constructors that return uninitialised memory: what they print is whatever was there.
UNINITIALISED = re.compile(
    r"\b(?:torch\.)?(?:empty|empty_like|empty_strided)\s*\(|\.new_empty\s*\(|\btorch\.\w*Tensor\s*\(\s*\d"
)


_TIMING = re.compile(r"^(?:CPU times: .*|Wall time: .*|.* per loop \(mean ± .*|\d+ loops?, best of \d+: .*)$\n?", re.M)


def has_timing(text: str) -> bool:
    return bool(_TIMING.search(text))


def clean_old(text: str) -> str:
    """A stored output without what %time printed: timings are never the same."""
    return _TIMING.sub("", text)


def clean(text: str) -> str:
    """Line ends, terminal overwrites (\\r), colours and trailing blanks: never meaningful."""
    text = _ANSI.sub("", text.replace("\r\n", "\n"))
    lines = [line.split("\r")[-1].rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


# A value whose repr only names its type and address: <Axes: >, [<Line2D at 0x..>], a Generator.
_ADDRESS_REPR = r"<[\w.]+(?: object)? at 0x(?:[0-9a-fA-F]+|…)>|<Axes: [^<>\n]*>"
_ADDRESS_LINE = re.compile(rf"^[\[(]?(?:(?:{_ADDRESS_REPR})(?:,\s*)?)+[\])]?$")


def only_addresses(text: str) -> bool:
    """Is every line an address repr? Jupyter showed it, but it says nothing a reader can use."""
    lines = [line for line in clean(text).split("\n") if line.strip()]
    return bool(lines) and all(_ADDRESS_LINE.match(line.strip()) for line in lines)


def drop_address_values(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not _ADDRESS_LINE.match(line.strip()))


# What id() returns in CPython: an address, in decimal. Masked only in a cell that calls id().
IDS = re.compile(r"(?<![\w.])id\(")
_ID_VALUE = re.compile(r"\b\d{9,}\b")


def mask_addresses(text: str, ids: bool = False) -> str:
    # IPython prints <Line2D at 0x..>, repr prints <Line2D object at 0x..>.
    text = _ID_VALUE.sub("id…", text) if ids else text
    return ADDRESS.sub("0x…", text).replace(" object at 0x…", " at 0x…")


def _python2(text: str) -> str:
    text = re.sub(r"(?<![\w'\"])u(['\"])", r"\1", text)
    text = re.sub(r"\b(\d+)L\b", r"\1", text)
    return re.sub(r"<type '([\w.]+)'>", r"<class '\1'>", text)


def _whitespace(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def mask_values(text: str) -> str:
    return _whitespace(_NUMBERS.sub("#", text))


def compare(old: str, new: str, uninitialised: bool = False, ids: bool = False) -> tuple[bool, list[str]]:
    """(equal, names of the steps it took to make them equal)."""
    old, new = clean(old), clean(new)
    if old == new:
        return True, []
    steps = [("memory addresses" + (" and id() values" if ids else ""), lambda t: mask_addresses(t, ids)), ("values shown only as a memory address", drop_address_values),
             ("Python 2 reprs", _python2),
             ("IPython's line wrapping", _whitespace)]
    if uninitialised:
        steps.append(("uninitialised values", mask_values))
    used = []
    for name, step in [*steps[:3], ("Windows int32 dtype", None), *steps[3:]]:
        if step is None:  # only the old side: a new int32 would be a real change
            o, n = (old.replace(", dtype=torch.int32", ""), new) if "torch.int32" not in new else (old, new)
        else:
            o, n = step(old), step(new)
        if (o, n) != (old, new):
            used.append(name)
        old, new = o, n
        if old == new:
            return True, used
    return False, []


def ellipsis_want(got: str, values: bool = False, ids: bool = False) -> str:
    """A doctest want (for +ELLIPSIS) that matches this output whatever the masked parts are."""
    if values:
        got = _NUMBERS.sub("...", got)
    if ids:
        got = _ID_VALUE.sub("...", got)
    return ADDRESS.sub("0x...", got)


def has_ids(got: str) -> bool:
    return bool(_ID_VALUE.search(got))


def same_run(a: str, b: str, uninitialised: bool = False, ids: bool = False) -> bool:
    """Do two runs of the same code print the same, ignoring what differs in every process?"""
    a, b = mask_addresses(clean(a), ids), mask_addresses(clean(b), ids)
    return a == b or (uninitialised and mask_values(a) == mask_values(b))
