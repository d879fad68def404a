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

from snipdoc.engine.parse import find_directives

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

# Formula on the page -> (snippet, calls the check must contain). Each check
# compares torch's result with a reference computed independently (float64 by the
# definition, or a float64 central difference), never with the expression torch's
# own backward evaluates.
FORMULA_CHECKS = {
    "affine-composition": ("ch12/affine.txt", ["W2 @ (W1 @ x + b1) + b2", "(W2 @ W1) @ x + (W2 @ b1 + b2)",
                                               "torch.allclose(two_layers, one_layer"]),
    "relu-subgradient": ("ch12/relu_subgradient.txt", ["torch.relu(u) >=", "(gs >= 0) & (gs <= 1)"]),
    "sigmoid-definition": ("ch12/sigmoid_grad.txt", ["1 / (1 + torch.exp(-t))", "torch.sigmoid(x)"]),
    "sigmoid-derivative": ("ch12/sigmoid_grad.txt", [".backward()", "(sigma(x64 + h) - sigma(x64 - h)) / (2 * h)",
                                                     "sigma(x64) * (1 - sigma(x64))", "x.grad.double(), numeric"]),
    "tanh-definition": ("ch12/tanh_check.txt", ["(torch.exp(u) - torch.exp(-u)) / (torch.exp(u) + torch.exp(-u))"]),
    "tanh-sigmoid": ("ch12/tanh_check.txt", ["2 / (1 + torch.exp(-2 * x64)) - 1"]),
    "tanh-derivative": ("ch12/tanh_check.txt", [".backward()", "1 - tanh_def(x64) ** 2", "x.grad.double(), numeric"]),
    "relu-definition": ("ch12/relu_grad.txt", ["torch.where(x >= 0, x, 0.0)"]),
    "relu-derivative": ("ch12/relu_grad.txt", [".backward()", "x.grad.double()[away], numeric[away]"]),
    "leaky-relu-definition": ("ch12/leaky_relu.txt", ["F.leaky_relu(x)", "torch.where(u >= 0, u, slope * u)"]),
    "leaky-relu-derivative": ("ch12/leaky_relu.txt", [".backward()", "torch.where(x64 > 0, 1.0, 0.01 * torch.ones_like(x64)), numeric",
                                                      "x.grad.double(), numeric"]),
    "elu-definition": ("ch12/elu.txt", ["F.elu(x)", "alpha * (torch.exp(u) - 1)"]),
    "elu-derivative": ("ch12/elu.txt", ["torch.where(x64 > 0, 1.0, torch.exp(x64)), numeric", "x.grad.double(), numeric"]),
    "elu-derivative-alpha-2": ("ch12/elu.txt", ["F.elu(x2, alpha=2.0)", "torch.where(x64 > 0, 1.0, 2.0 * torch.exp(x64)), numeric2",
                                               "x.grad.double(), numeric2"]),
    "gelu-definition": ("ch12/gelu.txt", ["F.gelu(x)", "torch.erf(u / math.sqrt(2))", "gelu(x64)"]),
    "gelu-derivative": ("ch12/gelu.txt", ["Phi(x64) + x64 * phi(x64), numeric", "x.grad.double(), numeric"]),
    "silu-definition": ("ch12/silu.txt", ["F.silu(x)", "u * sigma(u)"]),
    "silu-derivative": ("ch12/silu.txt", ["sigma(x64) * (1 + x64 * (1 - sigma(x64))), numeric", "x.grad.double(), numeric"]),
    "mse-sum-of-squares": ("ch12/mse.txt", ["sum(ri.item() ** 2 for ri in r)", "reduction='sum'"]),
    "mse-squared-norm": ("ch12/mse.txt", ["torch.linalg.vector_norm(y - pred) ** 2", "torch.allclose(sq_norm.double(), sse"]),
    "mse-mean": ("ch12/mse.txt", ["F.mse_loss(pred, y).double(), sse / 5"]),
    "mse-gradient": ("ch12/autograd_grad.txt", ["2 * (1.0 * 2.0 - 1.0) * 1.0", "torch.equal(grads[0]"]),
    "mse-gradient-2/n": ("ch12/mse_grad_mean.txt", ["2 / n * sum(", "(loss64(1.5 + h) - loss64(1.5 - h)) / (2 * h)"]),
    "softmax-definition": ("ch12/softmax_check.txt", ["torch.exp(y64) / torch.exp(y64).sum()", "F.softmax"]),
    "softmax-jacobian": ("ch12/softmax_jacobian.txt", ["torch.autograd.functional.jacobian", "p[i] * (1 - p[j])", "-p[i] * p[j]",
                                                       "torch.exp(a64) / torch.exp(a64).sum()"]),
    "softmax-jacobian-columns": ("ch12/softmax_sum_grad.txt", ["J.sum(dim=0)"]),
    "softmax-shift-invariance": ("ch12/softmax_shift.txt", ["F.softmax(a + 100.0, dim=0), F.softmax(a, dim=0)"]),
    "logsumexp": ("ch12/logsumexp.txt", ["torch.logsumexp(a, dim=0)", "1002 + torch.log(torch.exp(a64 - 1002).sum())"]),
    "log-softmax": ("ch12/logsumexp.txt", ["F.log_softmax(a, dim=0).double(), a64 - reference"]),
    "cross-entropy": ("ch12/cross_entropy.txt", ["F.cross_entropy(logits, target)",
                                                 "-a[range(4), target] + torch.log(torch.exp(a).sum(dim=1))"]),
    "cross-entropy-gradient": ("ch12/cross_entropy.txt", ["loss.backward()", "(p - onehot) / 4"]),
    "mse-half-convention": ("ch12/mse_half.txt", ["0.5 * F.mse_loss(y_hat, y, reduction='sum')", "y_hat.grad.double(), numeric"]),
    "mse-gaussian-mle": ("ch12/why_losses.txt", ["torch.exp(-(y - (w * x + 1)) ** 2 / (2 * s ** 2)) / math.sqrt(2 * math.pi * s ** 2)",
                                                 "sse(2.3) / (2 * s ** 2) + 20 / 2 * math.log(2 * math.pi * s ** 2)"]),
    "cross-entropy-nll": ("ch12/why_losses.txt", ["torch.distributions.Categorical(logits=a)", "-model.log_prob(c).mean()"]),
    "cross-entropy-one-hot": ("ch12/why_losses.txt", ["-(P * torch.log(Q)).sum(dim=1), -torch.log(Q[range(4), c])"]),
    "cross-entropy-soft-target": ("ch12/ce_targets.txt", ["-(P * torch.log(Q)).sum(dim=1).mean()", "F.cross_entropy(logits, soft).double(), H(soft, logits)"]),
    "label-smoothing": ("ch12/ce_targets.txt", ["(1 - eps) * onehot + eps / 3", "label_smoothing=eps).double(), H(smooth, logits)"]),
    "bce": ("ch12/bce.txt", ["nn.BCEWithLogitsLoss()(a, t)", "torch.log(s) + (1 - t64) * torch.log(1 - s)"]),
}

# Each figure of the notebook, drawn by a snippet with derivatives from autograd.
FIGURES = {
    "09-overview": ("ch12/overview.txt", ["torch.autograd.grad"]),
    "10-sigmoid": ("ch12/sigmoid_plot.txt", ["requires_grad_()", ".backward()", "x.grad"]),
    "11-tanh": ("ch12/tanh_plot.txt", ["requires_grad_()", "torch.autograd.grad"]),
    "12-relu": ("ch12/relu_plot.txt", ["requires_grad_()", ".backward()", "x.grad"]),
    "vanishing-gradients": ("ch12/vanishing.txt", ["nn.Sigmoid", "nn.ReLU", "nn.init.calculate_gain", "layer.weight.grad.norm()"]),
    "modern-activations": ("ch12/modern_plot.txt", ["F.leaky_relu", "F.elu", "F.gelu", "F.silu", "torch.autograd.grad"]),
}

# What changed since the notebook's torch, and what the notebook got wrong -> (snippet, text it must contain).
DRIFT = {
    "full-is-int64": ("ch12/requires_grad_int.txt", ["torch.int64", "RuntimeError: only Tensors of floating point dtype can require gradients"]),
    "full-with-float": ("ch12/autograd_grad.txt", ["torch.full([1], 2.)"]),
    "softmax-backward0": ("ch12/softmax.txt", ["grad_fn=<SoftmaxBackward0>"]),
    "bound-method": ("ch12/softmax.txt", ["<bound method Tensor.backward of tensor("]),
    "backward-twice": ("ch12/backward_twice.txt", ["RuntimeError: Trying to backward through the graph a second time", "retain_graph=True"]),
    "backward-non-scalar": ("ch12/backward_nonscalar.txt", ["RuntimeError: grad can be implicitly created only for scalar outputs"]),
    "rand-needs-seed": ("ch12/rand_seed.txt", ["torch.manual_seed(0)"]),
    "linspace-55.5556": ("ch12/sigmoid.txt", ["55.5556"]),
    # The value changed, not its printing: the old start + i*step gives the seed's 55.5555.
    "linspace-algorithm": ("ch12/linspace_drift.txt", ["torch.equal(new, a)", "55.5555419921875", "55.55555725097656", "55.55555555555556"]),
}

# Topics the chapter teaches beyond the notebook -> (snippet, text it must contain).
TOPICS = {
    "sigmoid-saturation": ("ch12/sigmoid_saturation.txt", ["s.sum().backward()", "0.0000e+00, 0.0000e+00])",
                                                           "24 * math.log(2)", "torch.finfo(torch.float32).max"]),
    "tanh-saturation": ("ch12/tanh_saturation.txt", ["y.sum().backward()", "tensor([0.0000e+00, 1.8155e-04"]),
    "dead-relu": ("ch12/relu_dead.txt", ["layer.weight.grad", "[[ 0.0000,  0.0000,  0.0000]"]),
    "leaky-relu": ("ch12/leaky_relu.txt", ["F.leaky_relu(x)"]),
    "elu": ("ch12/elu.txt", ["F.elu(x)"]),
    "gelu": ("ch12/gelu.txt", ["F.gelu(x)", "approximate='tanh'"]),
    "silu": ("ch12/silu.txt", ["F.silu(x)"]),
    "softmax-dim-warning": ("ch12/softmax_dim.txt", ["F.softmax(scores, dim=1)", "UserWarning Implicit dimension choice for softmax has been deprecated"]),
    "softmax-sum-has-zero-gradient": ("ch12/softmax_sum_grad.txt", ["p.sum().backward()", "tensor([0., 0.])"]),
    "jacrev": ("ch12/softmax_jacobian.txt", ["torch.func.jacrev"]),
    "mse-2/n": ("ch12/mse_grad_mean.txt", ["reduction='sum'", "tensor(-12.5000)", "tensor(-50.)"]),
    "vector-norm": ("ch12/mse.txt", ["torch.linalg.vector_norm"]),
    "naive-softmax-nan": ("ch12/stable_softmax.txt", ["torch.exp(a) / torch.exp(a).sum()", "tensor([nan, nan, nan])", "torch.exp(a - m)"]),
    "log-of-softmax-is-inf": ("ch12/log_softmax_inf.txt", ["torch.log(F.softmax(a, dim=0))", "tensor([-inf, 0.])",
                                                          "F.log_softmax(a, dim=0)", "tensor([-200.,    0.])"]),
    "shift-invariance": ("ch12/softmax_shift.txt", ["F.softmax(a + c, dim=0)"]),
    "logsumexp": ("ch12/logsumexp.txt", ["torch.log(torch.exp(a).sum())", "tensor(inf)", "torch.logsumexp"]),
    "cross-entropy": ("ch12/cross_entropy.txt", ["F.cross_entropy(logits, target)", "logits.grad"]),
    "no-softmax-before-cross-entropy": ("ch12/cross_entropy_softmax_first.txt", ["F.cross_entropy(F.softmax(logits, dim=1), target)"]),
    "log-softmax-nll-loss": ("ch12/log_softmax_nll.txt", ["F.log_softmax(logits, dim=1)", "F.nll_loss(log_p, target)"]),
    "bce-with-logits": ("ch12/bce.txt", ["nn.BCELoss()(torch.sigmoid(a), t)", "tensor(100.)", "nn.BCEWithLogitsLoss()(a, t)", "tensor(200.)"]),
    "second-backward-without-saved-tensors": ("ch12/backward_twice.txt", ["y = (x + 1).sum()", "y.backward()\n", "tensor([2., 2., 2.])"]),
    "dead-relu-pre-activation": ("ch12/relu_dead.txt", ["(pre[:, 0] < 0).all()", "weight_decay=0.5"]),
    "softmax-sum-float32": ("ch12/softmax_sum_grad.txt", ["q.sum().backward()", "b.grad.abs() < 1e-7"]),
    "elu-jump": ("ch12/elu.txt", ["tensor([1.9980, 2.0000, 1.0000])"]),
    "argmax-without-softmax": ("ch12/ce_targets.txt", ["F.softmax(logits, dim=1).argmax(dim=1), logits.argmax(dim=1)"]),
    "one-hot": ("ch12/ce_targets.txt", ["F.one_hot(target, num_classes=3)"]),
    "module-forms": ("ch12/modules.txt", ["nn.ReLU()", "nn.Softmax(dim=1)", "nn.MSELoss()", "nn.CrossEntropyLoss()"]),
}

# Exercise -> (answer snippet, text it must contain). Each answer is an executed
# snippet inside a collapsed block (`??? success "答案"`).
EXERCISES = {
    "tanh-plus-one": ("ch12/ex_tanh_sigmoid.txt", ["torch.tanh(x) + 1", "2 * torch.sigmoid(2 * x)"]),
    "two-class-softmax": ("ch12/ex_two_class_softmax.txt", ["F.softmax(two, dim=1)[:, 0], torch.sigmoid(a)", "F.binary_cross_entropy_with_logits"]),
    "log-softmax-jacobian": ("ch12/ex_log_softmax_jacobian.txt", ["torch.func.jacrev", "torch.eye(4, dtype=torch.float64) - p.expand(4, 4)"]),
    "bce-gradient": ("ch12/ex_bce_grad.txt", ["a.grad", "1 / (1 + torch.exp(-a64)) - t.double()"]),
}

CASES = [
    *[(f"seed-cell-{n}", name, [key]) for n, (name, key) in SEED_CELLS.items()],
    *[(f"formula-{k}", name, keys) for k, (name, keys) in FORMULA_CHECKS.items()],
    *[(f"figure-{k}", name, keys) for k, (name, keys) in FIGURES.items()],
    *[(f"drift-{k}", name, keys) for k, (name, keys) in DRIFT.items()],
    *[(f"topic-{k}", name, keys) for k, (name, keys) in TOPICS.items()],
    *[(f"exercise-{k}", name, keys) for k, (name, keys) in EXERCISES.items()],
]


def embedded(page: Path) -> set[str]:
    """Snippet paths the page embeds with a ``::: snippet PATH`` line, as the build reads them."""
    return {d.snippet for d in find_directives(page.read_text(encoding="utf-8").split("\n"), str(page))[0]}


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


def test_every_check_in_the_chapter_prints_true_and_states_its_tolerance():
    """Checks outside the formula table (exercises, topics) print True too, and
    every torch.allclose names both tolerances: the defaults would hide them."""
    for path in sorted((SNIPPETS / "ch12").glob("*.txt")):
        for e in doctest.DocTestParser().get_examples(path.read_text(encoding="utf-8")):
            if re.search(r"torch\.(allclose|equal)\(", e.source):
                assert e.want == "True\n", f"{path.name}:{e.lineno + 1}: {e.source.strip()!r} prints {e.want!r}"
            for call in re.findall(r"torch\.allclose\((.*)", e.source):
                assert "rtol=" in call and "atol=" in call, f"{path.name}:{e.lineno + 1}: tolerance not stated: {call!r}"


def test_exercise_answers_are_collapsed_snippets():
    """An answer is an executed snippet inside a collapsed `??? success "答案"` block."""
    lines = PAGE.read_text(encoding="utf-8").split("\n")
    for exercise, (name, _) in EXERCISES.items():
        at = [i for i, line in enumerate(lines) if line.strip() == f"::: snippet {name}"]
        assert len(at) == 1, f"{exercise}: {name} is embedded {len(at)} times"
        i = at[0]
        assert lines[i].startswith("    "), f"{exercise}: docs/ch12.md:{i + 1} is not indented into the answer block"
        opener = next(line for line in reversed(lines[:i]) if line.strip() and not line.startswith("    "))
        assert opener == '??? success "答案"', f"{exercise}: the block around docs/ch12.md:{i + 1} is {opener!r}"


ADMONITION_RE = re.compile(r'^!!! (\w+) "(.*)"$')


def test_two_kinds_of_notes_one_admonition_type_each():
    """'与旧版 PyTorch 的差异' (torch changed, with a version or PR) is always a warning;
    '原笔记的...' (the notes were wrong) is always a bug; neither type is used for anything else."""
    text = PAGE.read_text(encoding="utf-8")
    assert "自旧版以来的变化" not in text
    lines = text.split("\n")
    kinds = {"warning": 0, "bug": 0}
    for i, line in enumerate(lines):
        m = ADMONITION_RE.match(line)
        if not m:
            continue
        kind, title = m.groups()
        if title.startswith("与旧版 PyTorch 的差异"):
            assert kind == "warning", f"docs/ch12.md:{i + 1}: {title!r} is a {kind}"
            body = "\n".join(lines[i + 1:i + 4])
            if "：" in title:  # the legend box has no topic and names no version
                assert re.search(r"PR #\d+|\b\d\.\d+\b", body), f"docs/ch12.md:{i + 1}: no version or PR in {title!r}"
        elif title.startswith("原笔记的"):
            assert kind == "bug", f"docs/ch12.md:{i + 1}: {title!r} is a {kind}"
        else:
            assert kind not in kinds, f"docs/ch12.md:{i + 1}: {kind} is reserved, but titled {title!r}"
        kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds["warning"] >= 4 and kinds["bug"] >= 6, kinds


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
    assert "torch.__version__" in text and "sys.version_info" in text and "PLATFORM" in text


def test_no_comment_only_examples():
    """doctest drops a '>>> # comment' example with nothing after it, so the page
    would not show it: continue it with '... code' on the next line instead."""
    for path in sorted(SNIPPETS.glob("*/*.txt")):
        lines = path.read_text(encoding="utf-8").split("\n")
        for i, line in enumerate(lines):
            if line.startswith(">>> #"):
                following = lines[i + 1] if i + 1 < len(lines) else ""
                assert following.startswith("... "), f"{path.relative_to(ROOT)}:{i + 1}: comment-only example is not shown"
