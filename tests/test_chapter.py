"""Coverage of the chapter "激活函数与损失函数" (docs/ch12.md).

The chapter is a port of a notebook with 17 code cells (In [1] .. In [17]).
Each cell, each formula the page states and each change since the notebook's
torch has an example here: a snippet file that exists, that the page embeds
with a ``::: snippet`` line, and that contains the call the claim is about.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from snipdoc.parse import find_directives

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "ch12.md"
SNIPPETS = ROOT / "snippets"

# Notebook cell -> (snippet, a call the snippet must contain).
SEED_CELLS = {
    1: ("ch12/sigmoid.txt", "import torch.nn.functional as F"),
    2: ("ch12/sigmoid.txt", "torch.linspace(-100, 100, 10)"),
    3: ("ch12/sigmoid.txt", "torch.sigmoid(a)"),
    4: ("ch12/tanh.txt", "torch.tanh(a)"),
    5: ("ch12/relu.txt", "torch.relu(a)"),
    6: ("ch12/relu.txt", "F.relu(a)"),
    7: ("ch12/requires_grad_int.txt", "import torch.nn.functional as F"),
    8: ("ch12/requires_grad_int.txt", "w = torch.full([1], 2)\n"),
    9: ("ch12/autograd_grad.txt", "w.requires_grad_()"),
    10: ("ch12/autograd_grad.txt", "torch.autograd.grad(mse, [w])"),
    11: ("ch12/backward.txt", "mse.backward()"),
    12: ("ch12/backward.txt", "w.grad"),
    13: ("ch12/softmax.txt", "torch.rand(3)"),
    14: ("ch12/softmax.txt", "F.softmax(a, dim=0)"),
    15: ("ch12/softmax.txt", "p.backward  #"),
    16: ("ch12/softmax_grad.txt", "torch.autograd.grad(p[1], [a], retain_graph=True)"),
    17: ("ch12/softmax_grad.txt", "torch.autograd.grad(p[2], [a])"),
}

# Formula on the page -> (snippet, calls the check must contain).
FORMULA_CHECKS = {
    "sigmoid-definition": ("ch12/sigmoid_grad.txt", ["1 / (1 + torch.exp(-x))"]),
    "sigmoid-derivative": ("ch12/sigmoid_grad.txt", [".backward()", "x.grad", "s * (1 - s)"]),
    "tanh-definition": ("ch12/tanh_check.txt", ["(torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))"]),
    "tanh-sigmoid": ("ch12/tanh_check.txt", ["2 * torch.sigmoid(2 * x) - 1"]),
    "tanh-derivative": ("ch12/tanh_check.txt", [".backward()", "1 - t**2"]),
    "relu-definition": ("ch12/relu_grad.txt", ["torch.where(x >= 0, x, 0.0)"]),
    "relu-derivative": ("ch12/relu_grad.txt", [".backward()", "(x > 0).float()"]),
    "mse-sum-of-squares": ("ch12/mse.txt", ["((y - pred) ** 2).sum()", "reduction='sum'"]),
    "mse-squared-norm": ("ch12/mse.txt", ["torch.norm(y - pred) ** 2", "torch.allclose(sse, sq_norm)"]),
    "mse-mean": ("ch12/mse.txt", ["reduction='mean'", "sse / y.numel()"]),
    "mse-gradient": ("ch12/autograd_grad.txt", ["2 * (x * w - 1) * x"]),
    "softmax-definition": ("ch12/softmax_check.txt", ["torch.exp(y) / torch.exp(y).sum()", "F.softmax"]),
    "softmax-jacobian": ("ch12/softmax_jacobian.txt", ["torch.autograd.functional.jacobian", "p[i] * (1 - p[j])", "-p[i] * p[j]"]),
}

# Each figure of the notebook, drawn by a snippet with derivatives from autograd.
FIGURES = {
    "09-overview": ("ch12/overview.txt", ["torch.autograd.grad"]),
    "10-sigmoid": ("ch12/sigmoid_plot.txt", ["requires_grad_()", ".backward()", "x.grad"]),
    "11-tanh": ("ch12/tanh_plot.txt", ["requires_grad_()", "torch.autograd.grad"]),
    "12-relu": ("ch12/relu_plot.txt", ["requires_grad_()", ".backward()", "x.grad"]),
}

# What changed since the notebook's torch -> (snippet, text it must contain).
DRIFT = {
    "full-is-int64": ("ch12/requires_grad_int.txt", ["torch.int64", "RuntimeError: only Tensors of floating point dtype can require gradients"]),
    "full-with-float": ("ch12/autograd_grad.txt", ["torch.full([1], 2.)"]),
    "softmax-backward0": ("ch12/softmax.txt", ["grad_fn=<SoftmaxBackward0>"]),
    "bound-method": ("ch12/softmax.txt", ["<bound method Tensor.backward of tensor("]),
    "backward-twice": ("ch12/backward_twice.txt", ["RuntimeError: Trying to backward through the graph a second time", "retain_graph=True"]),
    "backward-non-scalar": ("ch12/backward_nonscalar.txt", ["RuntimeError: grad can be implicitly created only for scalar outputs"]),
    "rand-needs-seed": ("ch12/rand_seed.txt", ["torch.manual_seed(0)"]),
    "linspace-55.5556": ("ch12/sigmoid.txt", ["55.5556"]),
}

CASES = [
    *[(f"seed-cell-{n}", name, [key]) for n, (name, key) in SEED_CELLS.items()],
    *[(f"formula-{k}", name, keys) for k, (name, keys) in FORMULA_CHECKS.items()],
    *[(f"figure-{k}", name, keys) for k, (name, keys) in FIGURES.items()],
    *[(f"drift-{k}", name, keys) for k, (name, keys) in DRIFT.items()],
]


def embedded(page: Path) -> set[str]:
    """Snippet paths the page embeds with a ``::: snippet PATH`` line, as the build reads them."""
    return {d.snippet for d in find_directives(page.read_text(encoding="utf-8"), str(page))}


def executed(path: Path) -> str:
    """The code and recorded outputs of a snippet, without its prose lines."""
    examples = doctest.DocTestParser().get_examples(path.read_text(encoding="utf-8"))
    return "".join(e.source + e.want for e in examples)


def test_all_seventeen_cells_are_mapped():
    assert sorted(SEED_CELLS) == list(range(1, 18))


@pytest.mark.parametrize("case, name, keys", CASES, ids=[c[0] for c in CASES])
def test_example_exists_is_embedded_and_makes_the_call(case, name, keys):
    path = SNIPPETS / name
    assert path.is_file(), f"{case}: {path.relative_to(ROOT)} does not exist"
    if name not in embedded(PAGE):
        pytest.fail(f"{case}: docs/ch12.md has no line '::: snippet {name}'")
    text = executed(path)
    for key in keys:
        assert key in text, f"{case}: the examples of {name} do not contain {key!r}"


@pytest.mark.parametrize("name", sorted({c[1] for c in CASES if c[0].startswith("formula-")}))
def test_every_check_prints_true(name):
    """A reader sees each check and its True: every allclose/equal example prints True."""
    examples = doctest.DocTestParser().get_examples((SNIPPETS / name).read_text(encoding="utf-8"))
    checks = [e for e in examples if re.search(r"torch\.(allclose|equal)\(", e.source)]
    assert checks, f"{name}: no torch.allclose/torch.equal check"
    for e in checks:
        assert e.want == "True\n", f"{name}:{e.lineno + 1}: {e.source.strip()!r} prints {e.want!r}"


def test_seed_cell_comments_agree_with_the_table():
    """Each snippet's '# seed cells:' line names the cells the table maps to it."""
    declared = {}
    for path in sorted((SNIPPETS / "ch12").glob("*.txt")):
        m = re.search(r"^# seed cells: (.*)$", path.read_text(encoding="utf-8"), re.M)
        if m:
            declared[f"ch12/{path.name}"] = {int(n) for n in re.findall(r"\d+", re.sub(r"\(.*?\)", "", m.group(1)))}
    for n, (name, _) in SEED_CELLS.items():
        assert n in declared.get(name, set()), f"cell {n}: {name} has no '# seed cells:' line naming it"


def test_figure_labels_render_everywhere():
    """No Chinese in figures (a machine without CJK fonts draws boxes), and no
    prime inside mathtext: SVG text keeps it as the glyph '0' of the TeX font
    cmsy10, which a browser shows as a zero. Write d f/d x instead."""
    for name, _ in FIGURES.values():
        code = executed(SNIPPETS / name)
        for literal in re.findall(r"\br?\"([^\"\n]*)\"", code):
            assert not re.search(r"[\u4e00-\u9fff]", literal), f"{name}: Chinese text in a figure: {literal!r}"
            for math in re.findall(r"\$([^$]*)\$", literal):
                assert "'" not in math and "\\prime" not in math, f"{name}: prime in mathtext: {literal!r}"


def test_home_page_shows_the_versions():
    assert "home/versions.txt" in embedded(ROOT / "docs" / "index.md")
    text = (SNIPPETS / "home" / "versions.txt").read_text(encoding="utf-8")
    assert "torch.__version__" in text and "platform.python_version()" in text


def test_no_comment_only_examples():
    """doctest drops a '>>> # comment' example with nothing after it, so the page
    would not show it: continue it with '... code' on the next line instead."""
    for path in sorted(SNIPPETS.glob("*/*.txt")):
        lines = path.read_text(encoding="utf-8").split("\n")
        for i, line in enumerate(lines):
            if line.startswith(">>> #"):
                following = lines[i + 1] if i + 1 < len(lines) else ""
                assert following.startswith("... "), f"{path.relative_to(ROOT)}:{i + 1}: comment-only example is not shown"
