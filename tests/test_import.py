"""Importing old notebooks: the drift verdicts, the draft page and snippet, messy
notebooks, bad input. Real runs share one engine; the imported pages are built
once, strictly."""

from __future__ import annotations

import doctest
import json
import re

import pytest
from sites import ARITHMATEX, EXTENSIONS, ROOT, make_site

import notebook_fixtures as nbf
from snipdoc.importer import deps, drift, examples, ipython, normalise
from snipdoc.cli import main
from snipdoc.engine.core import Engine
from snipdoc.integration.extension import SnippetExtension, options_from
from snipdoc.importer.pipeline import import_notebook
from snipdoc.importer.ipynb import NotebookError, read_notebook
from snipdoc.engine.parse import parse_snippet
from snipdoc.engine.record import record

def make_project(root):
    make_site(root, {"index.md": "# 首页\n"}, options={"timeout": 20}, extensions=[*EXTENSIONS, ARITHMATEX])
    (root / "snippets").mkdir()
    # Drafts hold formulas, typeset when the site is built, with MathJax from node_modules.
    (root / "node_modules").symlink_to(ROOT / "node_modules")
    return root


def settings(root):
    return SnippetExtension(**options_from(root / "mkdocs.yml")).settings(root)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def engine(project):
    eng = Engine(**settings(project))
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def ch12(project, engine):
    notebook = nbf.write(project / "old" / "ch12-activation-loss.ipynb", nbf.ch12())
    (project / "old" / "images").mkdir()
    (project / "old" / "images" / "09.png").write_bytes(nbf.png())  # one of its four images is at hand
    return import_notebook(notebook, project / "docs" / "ch12.md", settings(project), engine=engine)


@pytest.fixture(scope="module")
def messy(project, engine):
    notebook = nbf.write(project / "old" / "messy.ipynb", nbf.messy())
    return import_notebook(notebook, project / "docs" / "messy.md", settings(project), engine=engine)


def verdicts(imported) -> list[tuple[str, str]]:
    return [(v.label, v.title) for v in imported.verdicts]


# --- the chapter 12 notebook -------------------------------------------------


def test_ch12_verdicts(ch12):
    assert verdicts(ch12) == [
        ("In [1]", "unchanged"),
        ("In [2]", "changed"),
        ("In [3]", "unchanged"),
        ("In [4]", "unchanged"),
        ("In [5]", "unchanged"),
        ("In [6]", "unchanged"),
        ("In [7]", "unchanged"),
        ("In [8]", "unchanged"),
        ("In [9]", "now raises"),
        ("In [10]", "depends on In [9]"),
        ("In [11]", "depends on In [9]"),
        ("In [12]", "depends on In [9]"),
        ("In [13]", "nondeterministic"),
        ("In [14]", "depends on In [13]"),
        ("In [15]", "depends on In [13]"),
        ("In [16]", "depends on In [13]"),
        ("In [17]", "depends on In [13]"),
    ]


def test_ch12_report_names_each_drift(ch12):
    by_label = {v.label: v for v in ch12.verdicts}
    assert by_label["In [2]"].detail == "`55.5555` → `55.5556`"
    assert by_label["In [9]"].detail == "RuntimeError: only Tensors of floating point dtype can require gradients"
    assert by_label["In [10]"].detail == ("In [9] now raises; this cell now raises RuntimeError: element 0 of tensors "
                                          "does not require grad and does not have a grad_fn")
    assert by_label["In [13]"].detail.startswith("output differs between two runs (unseeded torch.rand)")
    assert "`SoftmaxBackward` → `SoftmaxBackward0`" in by_label["In [15]"].detail
    report = ch12.report
    assert ("**17 code cells: 7 unchanged, 1 changed, 1 now raises, 1 nondeterministic, "
            "7 depend on a failed or nondeterministic cell.**") in report
    section = report.split("### In [15]: depends on In [13]")[1].split("###")[0]
    assert "-<bound method Tensor.backward of tensor([0.2430, 0.2425, 0.5145], grad_fn=<SoftmaxBackward>)>" in section
    assert re.search(r"\n\+<bound method Tensor\.backward of tensor\(\[[\d., ]+\], grad_fn=<SoftmaxBackward0>\)>", section)
    assert "\n-          33.3333,   55.5555,   77.7778,  100.0000])\n+          33.3333,   55.5556," in report
    # Written next to the page as a dot file, which MkDocs leaves out of the site.
    assert ch12.report_path.name == ".ch12.drift.md"
    assert ch12.report_path.read_text(encoding="utf-8") == report


def test_ch12_snippet_keeps_the_notebook_semantics_and_is_what_record_keeps(ch12, engine):
    text = ch12.snippet.read_text(encoding="utf-8")
    # The cell stops at its exception, as in Jupyter: the statement after it is not run.
    assert (">>> #经过如下操作之后才可以对w自动求导\n"
            "... w.requires_grad_()    #说明w是需要更新的,或者可以使用w=torch.tensor([1.],requires_grad=True)\n"
            "Traceback (most recent call last):\n    ...\n"
            "RuntimeError: only Tensors of floating point dtype can require gradients\n"
            ">>> mse = F.mse_loss(x*w, torch.ones(1))     #重新更新计算图  # doctest: +SKIP\n") in text
    # A visible seed before the unseeded cell, so the page's outputs are repeatable.
    assert "# part: in13\n\n>>> _ = torch.manual_seed(0)  # 导入时添加" in text
    assert "\n>>> a = torch.rand(3)\n>>> a.requires_grad_()\ntensor([0.4963, 0.7682, 0.0885], requires_grad=True)\n" in text
    assert [f"in{n}" for n in range(1, 18)] == re.findall(r"^# part: (\S+)$", text, re.M)
    # The outputs are real and complete: the record command finds nothing to change.
    assert record(engine, parse_snippet(ch12.snippet, engine.display(ch12.snippet))) == 0
    assert ch12.snippet.read_text(encoding="utf-8") == text


def test_ch12_page(ch12, project):
    page = ch12.page.read_text(encoding="utf-8")
    assert page.startswith("# 12 激活函数与损失函数\n\n## 激活函数\n![09](images/ch12/09.png)\n\n### sigmoid")
    assert (project / "docs" / "images" / "ch12" / "09.png").read_bytes() == nbf.png()
    for missing in ("10", "11", "12"):
        assert f'!!! warning "图片缺失"\n    原笔记引用的图片 `./images/{missing}.png`' in page
    # Display math gets a block of its own, as Python-Markdown needs.
    assert "\n\n$$f(x)=\\delta(x)=\\frac{1}{1+e^{-x}}$$\n\n" in page
    embeds = re.findall(r"^::: snippet ch12/ch12-activation-loss\.txt part=(\S+)$", page, re.M)
    assert embeds == [f"in{n}" for n in range(1, 18)]
    boxes = re.findall(r'^!!! \w+ "导入检查：(In \[\d+\])', page, re.M)
    assert boxes == ["In [2]", "In [9]", "In [10]", "In [11]", "In [12]", "In [13]", "In [15]", "In [16]", "In [17]"]
    box = page.split('"导入检查：In [2] 的输出变了"')[1].split("::: snippet")[0]
    assert "    笔记里保存的旧输出：\n\n    ```text\n    tensor([-100.0000," in box and "55.5556" in box


# --- a messy notebook --------------------------------------------------------


def test_messy_notebook_gets_a_clear_verdict_per_cell(messy):
    assert verdicts(messy) == [
        ("In [1]", "unchanged"),
        ("In [2]", "unchanged"),  # %matplotlib inline: converted
        ("In [3]", "dropped"),  # !pip install
        ("In [4]", "now raises"),  # a package the environment lacks
        ("In [5]", "depends on In [4]"),
        ("In [6]", "unchanged"),  # memory address
        ("In [7]", "unchanged"),  # torch.empty
        ("In [8]", "unchanged"),  # Python 2 reprs
        ("In [9]", "unchanged"),  # Python 2 print statement
        ("In [10]", "unchanged"),  # Windows int32
        ("In [11]", "unchanged"),  # display() without an import
        ("In [12]", "now raises"),  # loss.data[0]
        ("In [13]", "image → figure"),  # a PNG in the middle; source stored as one string
        ("In [14]", "unchanged"),  # a warning in stored stderr
        ("In [15]", "unchanged"),  # torch.sigmoid?
        ("In [16]", "dropped"),  # %timeit
        ("In [17]", "unchanged"),
    ]
    notes = {v.label: " ".join(v.notes) for v in messy.verdicts}
    assert "add it to the project's dependencies" in notes["In [4]"]
    assert "memory addresses" in notes["In [6]"] and "uninitialised values" in notes["In [7]"]
    assert "Python 2 reprs" in notes["In [8]"] and "Windows int32 dtype" in notes["In [10]"]
    assert "`.item()`" in notes["In [12]"]
    assert "stored stderr not compared" in notes["In [14]"]
    assert "`help(torch.sigmoid)`" in notes["In [15]"]


def test_messy_snippet_is_plain_python(messy):
    text = messy.snippet.read_text(encoding="utf-8")
    assert "%" not in text.replace("# doctest", "") and "!pip" not in text and "?" not in text
    assert "\n>>> print(\"loss:\", 0.5)\nloss: 0.5\n" in text
    assert "\n>>> torch.ones(2)\ntensor([1., 1.])\n" in text  # display(x) -> x
    # A value that is only a memory address is hidden, as IPython's other noise is.
    assert "\n>>> _ = net\n" in text
    assert "\n>>> torch.empty(2, 2)  # doctest: +ELLIPSIS\ntensor([[...],\n        [...]])\n" in text
    assert "\n>>> help(torch.sigmoid)\nHelp on built-in function sigmoid in module torch:\n<BLANKLINE>\n" in text
    assert text.split("# part: in15")[1].split("# part:")[0].endswith("torch.special.expit`.\n<BLANKLINE>\n\n")
    assert "# part: in3" not in text and "# part: in16" not in text  # nothing of them runs


def test_imported_pages_build_strictly_with_each_figure_after_its_cell(ch12, messy, project, build_site):
    site = build_site(project, project / "site")
    page = (site / "messy" / "index.html").read_text(encoding="utf-8")
    plot, figure, after = page.find("plt</span><span class=\"o\">.</span><span class=\"n\">plot"), \
        page.find('class="snippet-figure'), page.find("sigmoid")
    assert -1 < plot < figure < after, "the figure must follow the cell that drew it"
    assert page.count('class="snippet-figure') == 1
    assert "images/messy/in-13-old.png" in page
    chapter = (site / "ch12" / "index.html").read_text(encoding="utf-8")
    assert "图片缺失" in chapter and 'class="arithmatex"' in chapter
    assert "RuntimeError: only Tensors of floating point dtype can require gradients" in chapter
    assert not (site / ".ch12.drift" / "index.html").exists() and not list(site.rglob("*drift*"))


# --- bad input ---------------------------------------------------------------


@pytest.mark.parametrize("content, message", [
    ("not json at all", "not a Jupyter notebook: not valid JSON (line 1, column 1: Expecting value)"),
    ('{"cells": []}', "not a Jupyter notebook: it has no 'nbformat' version number"),
    (json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}),
     "nbformat 3 is too old: this command reads nbformat 4"),
    (json.dumps(nbf.notebook(nbf.md("# 只有文字"), nbf.code(None, "  \n"))),
     "no code cells: there is nothing to run, so nothing to import"),
])
def test_bad_notebooks_get_a_clear_error_and_nothing_is_written(tmp_path, capsys, content, message):
    root = make_project(tmp_path)
    (root / "old.ipynb").write_text(content, encoding="utf-8")
    code = main(["import", str(root / "old.ipynb"), "--page", str(root / "docs" / "ch13.md"), "-f", str(root / "mkdocs.yml")])
    assert code == 1
    assert f"error: {root / 'old.ipynb'}: {message}" in capsys.readouterr().err
    assert sorted(p.name for p in (root / "docs").iterdir()) == ["index.md"]


def test_an_existing_page_is_never_overwritten_without_force(project, engine, monkeypatch):
    notebook = nbf.write(project / "old" / "tiny.ipynb", nbf.notebook(nbf.code(1, "6 * 7", nbf.value(1, "42"))))
    page = project / "docs" / "tiny.md"
    page.write_text("# 作者的页面\n", encoding="utf-8")
    with pytest.raises(NotebookError, match=r"tiny\.md already exists: pass --force to overwrite \(nothing was written\)"):
        import_notebook(notebook, page, settings(project), engine=engine)
    assert page.read_text(encoding="utf-8") == "# 作者的页面\n"
    assert not (project / "snippets" / "tiny").exists()
    monkeypatch.setattr(engine, "on_reference", False)  # as on a machine that is not CI's
    done = import_notebook(notebook, page, settings(project), engine=engine, force=True)
    assert verdicts(done) == [("In [1]", "unchanged")]
    assert "not on the reference platform" in done.report
    assert "::: snippet tiny/tiny.txt part=in1" in page.read_text(encoding="utf-8")
    assert (project / "snippets" / "tiny" / "tiny.txt").read_text(encoding="utf-8").endswith(">>> 6 * 7\n42\n")
    for path in (page, project / "snippets" / "tiny" / "tiny.txt", project / "docs" / ".tiny.drift.md"):
        path.unlink()  # the shared site builds only the pages the other tests check


def test_a_cell_that_hangs_is_stopped_by_the_timeout(tmp_path, capsys):
    root = make_project(tmp_path)
    nbf.write(root / "hang.ipynb", nbf.notebook(nbf.code(1, "import time"), nbf.code(2, "while True:\n    time.sleep(1)")))
    code = main(["import", str(root / "hang.ipynb"), "--page", str(root / "docs" / "ch13.md"),
                 "-f", str(root / "mkdocs.yml"), "--timeout", "3"])
    assert code == 1
    err = capsys.readouterr().err
    assert f"error: {root / 'hang.ipynb'}: In [2]: timed out after 3 s" in err and "nothing was written" in err
    assert sorted(p.name for p in (root / "docs").iterdir()) == ["index.md"]
    assert not list((root / "snippets").iterdir())


# --- the parts, without running anything -------------------------------------


def test_source_as_one_string_and_old_outputs_are_read(tmp_path):
    nb = nbf.notebook(nbf.code(3, "x = 1\nx", nbf.stream("hi\n"), nbf.stream("careful\n", "stderr"), nbf.value(3, "1"),
                               nbf.image()),
                      nbf.code(None, "1 / 0", nbf.error("ZeroDivisionError", "division by zero")),
                      nbf.code(4, "y = 2"))
    nb["cells"][0]["source"] = "x = 1\nx"
    cells = read_notebook(nbf.write(tmp_path / "n.ipynb", nb)).code_cells
    assert cells[0].source == "x = 1\nx" and cells[0].label == "In [3]"
    nb["cells"][2]["execution_count"] = 3  # run twice in one session: In [n] alone is ambiguous
    again = read_notebook(nbf.write(tmp_path / "n.ipynb", nb)).code_cells
    assert [c.label for c in again] == ["In [3] (code cell 1)", "In [ ] (code cell 2)", "In [3] (code cell 3)"]
    old = cells[0].outputs
    assert (old.text, old.stderr, len(old.images), old.images[0][1][:4]) == ("hi\n1\n", "careful\n", 1, b"\x89PNG")
    assert cells[1].outputs.error == "ZeroDivisionError: division by zero" and cells[1].label == "In [ ] (code cell 2)"


@pytest.mark.parametrize("source, code, kinds", [
    ("%matplotlib inline\nimport matplotlib.pyplot as plt", "import matplotlib.pyplot as plt", ["converted"]),
    ("!pip install visdom\nimport visdom", "import visdom", ["dropped"]),
    ("torch.sigmoid?", "help(torch.sigmoid)", ["converted"]),
    ("??torch.relu", "", ["dropped"]),  # the source pager: pages of source the notebook never stored
    ("t.no_grad??", "", ["dropped"]),
    ("%time y = f(x)", "y = f(x)", ["converted"]),
    ("%timeit f(x)", "", ["dropped"]),
    ("for i in range(2):\n    !ls\n    print(i)", "for i in range(2):\n    pass\n    print(i)", ["dropped"]),
    ("%%bash\nls", "", ["dropped"]),
    ("%%time\nx = 1", "x = 1", ["converted"]),
    ('print "a", 1', 'print("a", 1)', ["converted"]),
    ("x = 1 % 2", "x = 1 % 2", []),  # valid Python is never rewritten
])
def test_ipython_syntax_is_converted_or_dropped_with_a_note(source, code, kinds):
    converted = ipython.convert(source)
    assert converted.code == code
    assert [kind for kind, _ in converted.notes] == kinds


def test_display_without_an_import_shows_the_value():
    code = "display(a)\nfor i in x:\n    display(i, i * 2)"
    import ast

    new, notes = ipython.convert_display(code, ast.parse(code), display_defined=False)
    assert new == 'a\nfor i in x:\n    print(repr(i), repr(i * 2), sep="\\n")' and notes
    assert ipython.convert_display(code, ast.parse(code), display_defined=True) == (code, [])


@pytest.mark.parametrize("old, new, equal, steps", [
    ("<__main__.Net at 0x7f3b2c1d9e80>", "<__main__.Net object at 0x7f00aa11bb22>\n", True, ["memory addresses"]),
    ("{u'a': 3L, 'b': <type 'int'>}", "{'a': 3, 'b': <class 'int'>}", True, ["Python 2 reprs"]),
    ("tensor([1, 2], dtype=torch.int32)", "tensor([1, 2])", True, ["Windows int32 dtype"]),
    ("tensor([1, 2])", "tensor([1, 2], dtype=torch.int32)", False, []),  # a new int32 is a real change
    ("(tensor([[1., 2.]]),\n tensor([3.]))", "(tensor([[1., 2.]]), tensor([3.]))", True, ["IPython's line wrapping"]),
    ("tensor(55.5555)", "tensor(55.5556)", False, []),
    ("a\r\nb  \n\n", "a\nb", True, []),
])
def test_normalisation_removes_noise_and_names_it(old, new, equal, steps):
    assert normalise.compare(old, new) == (equal, steps)


def test_uninitialised_values_are_compared_only_where_torch_empty_made_them():
    old, new = "tensor([[1.4013e-45, 0.0000e+00]])", "tensor([[0., 0.]])"
    assert normalise.compare(old, new) == (False, [])
    assert normalise.compare(old, new, uninitialised=True)[0]
    assert normalise.ellipsis_want("tensor([[1.4013e-45, 0.0000e+00],\n        [0., 0.]])\n", values=True) == \
        "tensor([[...],\n        [...]])\n"


@pytest.mark.parametrize("a, b", [
    ("tensor([[ 8.4403e+25,  4.5790e-41],\n        [-1.8432e-30,  4.5790e-41]])\n",
     "tensor([[0., 0.],\n        [0., 0.]])\n"),
    ("tensor([[0., 0.],\n        [0., 0.]])\n",
     "tensor([[-4.2467e+25,  4.5602e-41],\n        [ 9.2159e-31,  4.5604e-41]])\n"),
])
def test_uninitialised_values_match_whatever_sign_padding_torch_adds(a, b):
    # torch pads every row with a space when one number is negative: two runs of
    # torch.empty are the same run, and a want made from one matches the other.
    assert normalise.same_run(a, b, uninitialised=True)
    checker = doctest.OutputChecker()
    assert checker.check_output(normalise.ellipsis_want(a, values=True), b, doctest.ELLIPSIS)


def test_a_cell_depends_on_the_last_cell_that_changed_what_it_uses():
    cells = ["import torch", "w = torch.full([1], 2)", "w.requires_grad_()\nmse = torch.ones(1)",
             "torch.ones(3)", "w.grad", "x = 1\nx + 1"]
    found = deps.direct_dependencies([deps.names(c) for c in cells])
    # torch.ones() does not change the module: cell 3 only needs the import.
    assert found == [set(), {0}, {0, 1}, {0}, {2}, set()]


def test_values_a_notebook_would_not_show_can_be_hidden():
    [loop, call, last] = examples.split("for i in x:\n    i.add_(1)\nw.requires_grad_()\nw.sum()", 0)
    loop.hidden = call.hidden = True
    assert loop.source() == ["for i in x:", "    _ = i.add_(1)"]
    assert call.source() == ["_ = w.requires_grad_()"]
    assert last.last and last.source() == ["w.sum()"]
    [semicolon] = examples.split("plt.plot(x);", 0)
    assert semicolon.source() == ["_ = plt.plot(x);"]


def test_the_change_summary_names_words_before_numbers():
    old = "tensor([0.2430, 0.2425, 0.5145], grad_fn=<SoftmaxBackward>)"
    new = "tensor([0.3358, 0.4408, 0.2234], grad_fn=<SoftmaxBackward0>)"
    assert drift.summary(old, new) == "`SoftmaxBackward` → `SoftmaxBackward0`; 3 numbers differ"


# --- what real notebooks do (the corpus test has them in full) ----------------


@pytest.fixture(scope="module")
def habits(project, engine):
    """Cells as study notebooks write them, each with what Jupyter stored."""
    nb = nbf.notebook(
        nbf.md("## 张量的习惯写法\n\n没有一级标题的笔记。"),
        nbf.code(1, "import torch\ntorch.manual_seed(0)\nprint(1)", nbf.stream("1\n")),
        nbf.code(2, "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.ylim((0, 3))\nplt.plot([2, 1])",
                 nbf.value(2, "[<matplotlib.lines.Line2D at 0x7f3b2c1d9e80>]"), nbf.image()),
        nbf.code(3, "w = torch.zeros(1)\nfor i in range(500):\n    w.add_(1)\n    w.clone()"),
        nbf.code(4, "print(w)", nbf.stream("tensor([500.])\n")),
        nbf.code(5, "for epoch in range(2):\n    print('epoch', epoch)\n    loss = torch.tensor(0.5)\n"
                    "    print(loss.data[0])\nprint('done')", nbf.stream("epoch 0\n0.5\nepoch 1\n0.5\ndone\n")),
        nbf.code(6, "x = torch.ones(3)\n%timeit x + 1", nbf.stream("1.23 µs ± 4.5 ns per loop (mean ± std. dev. "
                                                                  "of 7 runs, 1000000 loops each)\n")),
        nbf.code(7, "x.sum??"),
    )
    notebook = nbf.write(project / "old" / "habits.ipynb", nb)
    return import_notebook(notebook, project / "docs" / "habits.md", settings(project), engine=engine)


def test_study_notebook_habits_get_the_right_verdicts(habits):
    assert verdicts(habits) == [
        ("In [1]", "unchanged"),  # torch.manual_seed(0)'s Generator was never shown
        ("In [2]", "image → figure"),  # the Line2D list is only an address; plt.ylim's tuple never shown
        ("In [3]", "unchanged"),  # a quiet loop runs, whatever its values would echo
        ("In [4]", "unchanged"),
        ("In [5]", "now raises"),  # prints, then raises at loss.data[0]
        ("In [6]", "changed"),  # the timing is gone
        ("In [7]", "dropped"),  # x.sum?? only opens the source pager
    ]
    by_label = {v.label: v for v in habits.verdicts}
    assert by_label["In [5]"].detail.startswith("IndexError: invalid index of a 0-dim tensor")
    assert by_label["In [5]"].new.startswith("epoch 0\nIndexError")
    assert "`%timeit`" in by_label["In [6]"].detail
    notes = " ".join(note for v in habits.verdicts for note in v.notes)
    assert "could not be recorded" not in notes and "after the exception not run" in notes  # print('done')


def test_study_notebook_habits_on_the_page_and_in_the_snippet(habits, project):
    text = habits.snippet.read_text(encoding="utf-8")
    assert ">>> _ = torch.manual_seed(0)\n>>> print(1)\n1\n" in text
    assert ">>> _ = plt.plot([1, 2])\n>>> _ = plt.ylim((0, 3))\n>>> _ = plt.plot([2, 1])\n" in text
    assert "...     _ = w.add_(1)\n...     _ = w.clone()\n" in text and "tensor([500.])" in text
    assert "epoch 0\n" not in text.split("# part: in5")[1].split(">>> print('done')")[0]  # doctest checks the exception
    page = habits.page.read_text(encoding="utf-8")
    assert page.startswith("# 张量的习惯写法\n\n没有一级标题的笔记。")  # the first heading, of any level, titles it
    assert "![In [2] 的旧图 1](images/habits/in-2-old.png)" in page
    assert (project / "docs" / "images" / "habits" / "in-2-old.png").read_bytes() == nbf.png()
    for path in habits.written:
        if path.suffix == ".md" or path.suffix == ".txt":
            path.unlink()  # the shared site builds only the pages the other tests check


def test_the_change_summary_leaves_out_what_the_verdict_ignores():
    old = "tensor([1, 2], dtype=torch.int32)\ntensor(3.0)\n<Axes: >"
    assert drift.summary(old, "tensor([1, 2])\ntensor(4.0)") == "`3.0` → `4.0`"
    # A rewritten repr: the first line that differs, not its tokens paired at random.
    assert drift.summary("0.4\n[torch.FloatTensor of size 1]", "tensor(0.4000)") == \
        "first difference, line 1: `0.4` → `tensor(0.4000)`"
    assert drift.summary("tensor([ 0,  1])", "tensor([0, 1])") == "whitespace differs"


@pytest.mark.parametrize("text, only", [
    ("[<matplotlib.lines.Line2D object at 0x7f00ab90b810>]", True),
    ("<Axes: >\n<Axes: xlabel='x'>", True),
    ("<torch._C.Generator at 0x7f1c2a>", True),
    ("<SumBackward0 object at 0x10ed63c50>\ntensor(1.)", False),
    ("(0.0, 3.0)", False),
])
def test_values_that_are_only_an_address_are_recognised(text, only):
    assert normalise.only_addresses(text) is only


def test_a_notebook_without_heading_or_title_is_titled_by_its_file_name_and_the_author_told(tmp_path):
    from snipdoc.importer import draft

    nb = read_notebook(nbf.write(tmp_path / "02-autograd.ipynb", nbf.notebook(nbf.md("只有文字。"), nbf.code(1, "1"))))
    done = draft.page(nb, {}, "x/x.txt", tmp_path / "docs" / "x.md", {})
    assert done.markdown.startswith("# 02-autograd\n\n只有文字。")
    assert any("no heading and no metadata title" in note for note in done.notes)
    with_title = nbf.notebook(nbf.md("只有文字。"), nbf.code(1, "1"))
    with_title["metadata"]["title"] = "自动求导"
    nb = read_notebook(nbf.write(tmp_path / "02-autograd.ipynb", with_title))
    done = draft.page(nb, {}, "x/x.txt", tmp_path / "docs" / "x.md", {})
    assert done.markdown.startswith("# 自动求导\n\n") and not done.notes
