"""Notebooks for the import tests, written by code so the repository holds no copy.

``ch12()`` reproduces the notes the first chapter was made from: its Markdown,
its 17 code cells and the outputs an old torch stored in it, typed in cell by
cell from the printed export.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path


def lines(text: str) -> list[str]:
    """A multiline string as Jupyter stores it: lines that keep their newline."""
    return text.splitlines(keepends=True)


def md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": lines(text)}


def code(count: int | None, source: str, *outputs: dict) -> dict:
    return {"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": list(outputs),
            "source": lines(source)}


def value(count: int, text: str) -> dict:
    return {"output_type": "execute_result", "execution_count": count, "metadata": {},
            "data": {"text/plain": lines(text)}}


def stream(text: str, name: str = "stdout") -> dict:
    return {"output_type": "stream", "name": name, "text": lines(text)}


def error(ename: str, evalue: str) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue,
            "traceback": ["\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
                          f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]}


def image(text: str = "<Figure size 432x288 with 1 Axes>") -> dict:
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(png()).decode() + "\n", "text/plain": lines(text)}}


def png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def notebook(*cells: dict, nbformat: int = 4, python: str = "3.6.8") -> dict:
    return {
        "cells": list(cells),
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": python},
        },
        "nbformat": nbformat,
        "nbformat_minor": 2,
    }


def write(path: Path, nb: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def ch12() -> dict:
    return notebook(
        md("""\
# 12 激活函数与损失函数

## 激活函数
<img src='./images/09.png' style='zoom:50%'>

### sigmoid / logistic

$$f(x)=\\delta(x)=\\frac{1}{1+e^{-x}}$$  
<img src='./images/10.png' style='zoom:75%'>
导数形式：$\\delta'(x)=\\delta(1-\\delta)$ ，这个函数在较大值时，导数基本为0，梯度下降不会得到很好的更新。"""),
        code(1, "import torch\nimport torch.nn.functional as F           #提取sigmoid等函数"),
        code(2, "a = torch.linspace(-100,100,10)\na", value(2, """\
tensor([-100.0000,  -77.7778,  -55.5556,  -33.3333,  -11.1111,   11.1111,
          33.3333,   55.5555,   77.7778,  100.0000])""")),
        code(3, "torch.sigmoid(a)", value(3, """\
tensor([0.0000e+00, 1.6655e-34, 7.4564e-25, 3.3382e-15, 1.4945e-05, 9.9999e-01,
        1.0000e+00, 1.0000e+00, 1.0000e+00, 1.0000e+00])""")),
        md("""\
### tanh (在RNN中应用较多）

$$f(x)=tanh(x)=\\frac{e^x-e^{-x}}{e^x+e^{-x}}=2sigmoid(2x)-1$$

$$f'(x)=1-tanh^2(x)$$  
<img src='./images/11.png' style='zoom:75%'>"""),
        code(4, "a = torch.linspace(-1,1,10)\ntorch.tanh(a)", value(4, """\
tensor([-0.7616, -0.6514, -0.5047, -0.3215, -0.1107,  0.1107,  0.3215,  0.5047,
         0.6514,  0.7616])""")),
        md("""\
### Rectified Linear Unit =Relu (常用)

$$f(x)=\\begin{cases} 
\t\t0, & for\\ x<0\\\\ 
\t\tx, & for\\ x\\ge0 
\t\\end{cases}$$  
<img src='./images/12.png' style='zoom:75%'>"""),
        code(5, "a = torch.linspace(-1,1,10)\ntorch.relu(a)", value(5, """\
tensor([0.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.1111, 0.3333, 0.5556, 0.7778,
        1.0000])""")),
        code(6, "F.relu(a)", value(6, """\
tensor([0.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.1111, 0.3333, 0.5556, 0.7778,
        1.0000])""")),
        md("""\
## 损失函数

### MSE
$loss = \\sum [y-(wx+b)]^2$  
$loss = (norm(y-(wx+b)))^2$

### autograd.grad"""),
        code(7, "import torch\nimport torch.nn.functional as F"),
        code(8, "x = torch.ones(1)\nw = torch.full([1],2)\nmse = F.mse_loss(x*w, torch.ones(1))\nmse",
             value(8, "tensor(1.)")),
        code(9, "#经过如下操作之后才可以对w自动求导\n"
                "w.requires_grad_()    #说明w是需要更新的,或者可以使用w=torch.tensor([1.],requires_grad=True)\n"
                "mse = F.mse_loss(x*w, torch.ones(1))     #重新更新计算图"),
        code(10, "#此时就可以对w进行自动求导了\ntorch.autograd.grad(mse,[w])", value(10, "(tensor([2.]),)")),
        md("### loss.backward"),
        code(11, "mse = F.mse_loss(x*w, torch.ones(1))\nmse.backward()      #反向传播，计算所有的梯度，需要哪个调用哪个就行"),
        code(12, "w.grad", value(12, "tensor([2.])")),
        md("""\
### Gradient API
###### 两种方式：
* 1.torch.autograd.grad(loss,[w1,w2,...]  
* 2.loss.backward()

### softmax——activate function
$$S(y_i)=\\frac{e^{y_i}}{\\sum_je^{y_i}}$$  
$$\\dfrac{\\partial p_i}{\\partial a_j}=\\begin{cases}p_j(1-p_j)\\  ,&i=j\\\\-p_j\\cdot{p_i}\\  ,&i\\ne j\\end{cases}$$"""),
        code(13, "a = torch.rand(3)\na.requires_grad_()", value(13, "tensor([0.1757, 0.1738, 0.9258], requires_grad=True)")),
        code(14, "p=F.softmax(a, dim=0)"),
        code(15, "p.backward                  #backward不能连续使用两次", value(15, """\
<bound method Tensor.backward of tensor([0.2430, 0.2425, 0.5145], grad_fn=<SoftmaxBackward>)>""")),
        code(16, "torch.autograd.grad(p[1],[a],retain_graph=True)  #损失函数只能是一个数值，所以这里使用的是p[1],retain_graph=True,\n"
                 "                                                #保证计算图不消除，可以继续调用",
             value(16, "(tensor([-0.0589,  0.1837, -0.1248]),)")),
        code(17, "torch.autograd.grad(p[2],[a])          #可以看出来i=j的时候导数是正的，其他是负的。",
             value(17, "(tensor([-0.1250, -0.1248,  0.2498]),)")),
    )


def messy() -> dict:
    """What real old notebooks contain, one case per cell (the test names each by its In [n])."""
    nb = notebook(
        md("# 杂项\n\n导入时常见的情况。"),
        code(1, "import torch\nimport numpy as np\nimport torch.nn.functional as F"),
        code(2, "%matplotlib inline\nimport matplotlib.pyplot as plt"),
        code(3, "!pip install visdom", stream("Requirement already satisfied: visdom in /opt/conda/lib/python3.6\n")),
        code(4, "import visdom"),
        code(5, "vis = visdom.Visdom()\nvis"),
        code(6, "class Net:\n    pass\n\nnet = Net()\nnet", value(6, "<__main__.Net at 0x7f3b2c1d9e80>")),
        code(7, "torch.empty(2, 2)", value(7, "tensor([[1.4013e-45, 0.0000e+00],\n        [2.8026e-45, 0.0000e+00]])")),
        code(8, "{'name': 'relu', 'size': 3}", value(8, "{u'name': u'relu', u'size': 3L}")),
        code(9, 'print "loss:", 0.5', stream("loss: 0.5\n")),
        code(10, "torch.from_numpy(np.array([1, 2, 3]))", value(10, "tensor([1, 2, 3], dtype=torch.int32)")),
        code(11, "display(torch.ones(2))",
             {"output_type": "display_data", "metadata": {}, "data": {"text/plain": ["tensor([1., 1.])"]}}),
        code(12, "loss = torch.tensor(0.25)\nloss.data[0]", value(12, "0.25")),
        code(13, "plt.plot([0, 1], [1, 0])", value(13, "[<matplotlib.lines.Line2D at 0x7f0c1a2b3c4d>]"), image()),
        code(14, "F.sigmoid(torch.zeros(1))",
             stream("/opt/conda/lib/python3.6/site-packages/torch/nn/functional.py:1006: UserWarning: "
                    "nn.functional.sigmoid is deprecated. Use torch.sigmoid instead.\n", "stderr"),
             value(14, "tensor([0.5000])")),
        code(15, "torch.sigmoid?"),
        code(16, "%timeit torch.ones(3)", stream("1.63 µs ± 12.1 ns per loop (mean ± std. dev. of 7 runs, 1000000 loops each)\n")),
        code(17, "torch.ones(2) * 3", value(17, "tensor([3., 3.])")),
    )
    # Some editors save a cell's source as one string instead of a list of lines.
    nb["cells"][13]["source"] = "plt.plot([0, 1], [1, 0])"
    return nb
