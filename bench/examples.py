"""The twenty small torch examples of the benchmark, as doctest sources without outputs.

They are the kind the activation and loss chapter shows. Each takes a variant
number that changes its constants: the cache is keyed by content, so a site
of 1,000 snippets needs 1,000 different files, or most of a "cold" build
would be cache hits. Outputs are never written here; the record command
fills them in.
"""

from __future__ import annotations

HEAD = ">>> import torch\n>>> import torch.nn.functional as F\n"


def _sigmoid(v: int) -> str:
    return f">>> a = torch.linspace(-{100 + v}, {100 + v}, 10)\n>>> a\n>>> torch.sigmoid(a)\n"


def _tanh(v: int) -> str:
    return f">>> a = torch.linspace(-{1 + v}, {1 + v}, 10)\n>>> torch.tanh(a)\n"


def _relu(v: int) -> str:
    return f">>> a = torch.linspace(-{1 + v}, {1 + v}, 10)\n>>> torch.relu(a)\n>>> F.relu(a)\n"


def _leaky_relu(v: int) -> str:
    return f">>> a = torch.linspace(-1, 1, 8)\n>>> F.leaky_relu(a, negative_slope={0.01 + v / 1000:g})\n"


def _softmax(v: int) -> str:
    return f">>> _ = torch.manual_seed({v})\n>>> a = torch.rand(3)\n>>> F.softmax(a, dim=0)\n"


def _log_softmax(v: int) -> str:
    return f">>> _ = torch.manual_seed({v})\n>>> a = torch.randn(2, 4)\n>>> F.log_softmax(a, dim=1)\n"


def _mse_loss(v: int) -> str:
    return (f">>> x = torch.ones(1)\n>>> w = torch.full([1], {2 + v}.)\n"
            ">>> mse = F.mse_loss(x * w, torch.ones(1))\n>>> mse\n")


def _int_requires_grad(v: int) -> str:
    # The seed's drift: an int64 tensor cannot require gradients (expected error).
    return (f">>> w = torch.full([1], {2 + v})\n>>> w.dtype\n>>> w.requires_grad_()\n"
            "Traceback (most recent call last):\n")


def _autograd_grad(v: int) -> str:
    return (f">>> x = torch.ones(1)\n>>> w = torch.full([1], {2 + v}., requires_grad=True)\n"
            ">>> mse = F.mse_loss(x * w, torch.ones(1))\n>>> torch.autograd.grad(mse, [w])\n")


def _backward(v: int) -> str:
    return (f">>> x = torch.ones(1)\n>>> w = torch.full([1], {2 + v}., requires_grad=True)\n"
            ">>> mse = F.mse_loss(x * w, torch.ones(1))\n>>> mse.backward()\n>>> w.grad\n")


def _softmax_grad(v: int) -> str:
    return (f">>> _ = torch.manual_seed({v})\n>>> a = torch.rand(3, requires_grad=True)\n"
            ">>> p = F.softmax(a, dim=0)\n>>> p\n"
            ">>> torch.autograd.grad(p[1], [a], retain_graph=True)\n>>> torch.autograd.grad(p[2], [a])\n")


def _backward_twice(v: int) -> str:
    return (f">>> a = torch.full([3], {1 + v}., requires_grad=True)\n>>> y = (a * a).sum()\n"
            ">>> y.backward()\n>>> y.backward()\nTraceback (most recent call last):\n")


def _cross_entropy(v: int) -> str:
    return (f">>> _ = torch.manual_seed({v})\n>>> logits = torch.randn(4, 3)\n"
            f">>> target = torch.tensor([0, 1, 2, {v % 3}])\n>>> F.cross_entropy(logits, target)\n")


def _nll_loss(v: int) -> str:
    return (f">>> _ = torch.manual_seed({v})\n>>> logp = F.log_softmax(torch.randn(3, 5), dim=1)\n"
            f">>> F.nll_loss(logp, torch.tensor([1, 0, {v % 5}]))\n")


def _bce(v: int) -> str:
    return (f">>> p = torch.sigmoid(torch.linspace(-2, 2, 5) * {1 + v})\n"
            ">>> F.binary_cross_entropy(p, torch.tensor([0., 1., 0., 1., 1.]))\n")


def _gelu_elu(v: int) -> str:
    return f">>> a = torch.linspace(-{3 + v}, {3 + v}, 7)\n>>> F.gelu(a)\n>>> F.elu(a)\n>>> F.softplus(a)\n"


def _hardtanh(v: int) -> str:
    return f">>> a = torch.linspace(-{2 + v}, {2 + v}, 9)\n>>> F.hardtanh(a)\n>>> a.clamp(min=0, max={1 + v})\n"


def _l1_smooth(v: int) -> str:
    return (f">>> pred = torch.linspace(0, {1 + v}, 6)\n>>> target = torch.zeros(6)\n"
            ">>> F.l1_loss(pred, target)\n>>> F.smooth_l1_loss(pred, target)\n")


def _linear(v: int) -> str:
    return (f">>> _ = torch.manual_seed({v})\n>>> layer = torch.nn.Linear(4, 2)\n"
            ">>> with torch.no_grad():\n...     out = layer(torch.ones(4))\n>>> out\n")


def _sigmoid_derivative(v: int) -> str:
    return (f">>> a = torch.linspace(-{4 + v}, {4 + v}, 5, requires_grad=True)\n"
            ">>> s = torch.sigmoid(a)\n>>> (g,) = torch.autograd.grad(s.sum(), [a])\n"
            ">>> torch.allclose(g, s * (1 - s))\n>>> g\n")


EXAMPLES = {
    "sigmoid": _sigmoid, "tanh": _tanh, "relu": _relu,
    "leaky_relu": _leaky_relu, "softmax": _softmax, "log_softmax": _log_softmax,
    "mse_loss": _mse_loss, "int_requires_grad": _int_requires_grad,
    "autograd_grad": _autograd_grad, "backward": _backward, "softmax_grad": _softmax_grad,
    "backward_twice": _backward_twice, "cross_entropy": _cross_entropy, "nll_loss": _nll_loss,
    "bce": _bce, "gelu_elu": _gelu_elu, "hardtanh": _hardtanh, "l1_smooth": _l1_smooth,
    "linear": _linear, "sigmoid_derivative": _sigmoid_derivative,
}
assert len(EXAMPLES) == 20


def source(name: str, variant: int) -> str:
    """A snippet file's text before recording (outputs empty, error headers kept)."""
    return HEAD + EXAMPLES[name](variant)
