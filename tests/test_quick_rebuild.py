"""Under serve a rebuild highlights only code blocks it has not highlighted before, and
the HTML is the same as highlighting every block again."""

import time

import markdown
import pymdownx.highlight
from pymdownx.highlight import Highlight

from snipdoc.integration import quick_rebuild

PAGE = '''\
```python
x = 1
```

```pycon
>>> torch.tensor([1.0])
tensor([1.])
```

```python hl_lines="1"
y = 2
```

```python title="a.py"
z = 3
```

```python linenums="3"
w = 4
```

```python hl_lines="1"
x = 1
```

Inline `#!python print(1)` too.
'''
EXTENSIONS = ["pymdownx.superfences", "pymdownx.highlight", "pymdownx.inlinehilite"]


def render(page: str = PAGE) -> str:
    return markdown.markdown(page, extensions=EXTENSIONS)


def test_a_block_highlighted_before_is_kept_and_the_page_is_the_same(monkeypatch):
    plain = getattr(Highlight.highlight, "__wrapped__", Highlight.highlight)
    monkeypatch.setattr(Highlight, "highlight", plain)
    expected = render()
    calls = []
    real = pymdownx.highlight.highlight
    monkeypatch.setattr(pymdownx.highlight, "highlight", lambda *a: calls.append(a[0]) or real(*a))
    assert quick_rebuild.keep_highlighted_blocks()
    assert render() == expected and len(calls) == 7
    calls.clear()
    assert render() == expected
    # Only the titled block (its title may be HTML, stashed in the page) and inline code again.
    assert sorted(calls) == ["print(1)", "z = 3"]
    calls.clear()
    edited = render(PAGE.replace("y = 2", "y = 3"))
    assert edited == expected.replace(">2<", ">3<") and "y = 3" in calls and "x = 1" not in calls


def test_faster_polling_reaches_the_folders_already_watched(tmp_path):
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers.polling import PollingObserver

    class Server:
        observer = PollingObserver(timeout=0.5)

    Server.observer.schedule(FileSystemEventHandler(), str(tmp_path))
    assert quick_rebuild.poll_faster(Server)
    assert Server.observer.timeout == quick_rebuild.POLL_SECONDS
    assert [e.timeout for e in Server.observer.emitters] == [quick_rebuild.POLL_SECONDS]


class _SlowIndex:
    """Material's SearchIndex as far as LaterSearchIndex uses it, slow to index a page."""

    def __init__(self):
        self.entries = []

    def add_entry_from_context(self, page):
        import time

        time.sleep(0.3)
        self.entries.append(page.content)

    def generate_search_index(self, prev):
        return "|".join(self.entries)


def test_the_search_index_is_written_after_the_build_and_a_request_waits_for_it(tmp_path):
    import types

    later = quick_rebuild.LaterSearchIndex(delay=1.0)
    config = types.SimpleNamespace(site_dir=str(tmp_path))
    written = tmp_path / quick_rebuild.INDEX_PATH
    steps = []
    quick_rebuild.after_search_index["test"] = lambda config: steps.append(written.read_text())

    def build(text):  # what Material's plugin and ours do in one build
        search = types.SimpleNamespace(search_index=_SlowIndex())
        assert later.take_over(search, config)
        search.search_index.add_entry_from_context(types.SimpleNamespace(content=text))
        data = search.search_index.generate_search_index(None)
        written.parent.mkdir(parents=True, exist_ok=True)
        written.write_text(data)  # Material's on_post_build
        later.start()  # ours, after it
        return data

    try:
        assert build("first") == "first" and later.ready.is_set()  # the first build indexes at once
        assert build("second") == "first"  # the build writes the index of the build before...
        assert not later.ready.is_set()
        time.sleep(0.6)  # longer than indexing takes: not computed while the browsers repaint
        assert written.read_text() == "first" and steps == []
        later.wait(server=None)  # ...and a request waits for the new one
        assert written.read_text() == "second" and steps == ["second"]
    finally:
        del quick_rebuild.after_search_index["test"]


def test_an_installed_theme_is_walked_once_and_a_theme_folder_of_the_project_each_time(tmp_path, monkeypatch):
    import os

    import material
    from jinja2 import FileSystemLoader

    plain = getattr(FileSystemLoader.list_templates, "__wrapped__", FileSystemLoader.list_templates)
    monkeypatch.setattr(FileSystemLoader, "list_templates", plain)
    installed = os.path.join(os.path.dirname(material.__file__), "templates")
    project = tmp_path / "overrides"
    (project / "partials").mkdir(parents=True)
    (project / "partials" / "footer.html").write_text("", encoding="utf-8")
    expected = plain(FileSystemLoader([str(project), installed]))
    assert "partials/footer.html" in expected and len(expected) > 1000
    walked = []
    walk = os.walk
    monkeypatch.setattr(os, "walk", lambda top, **kw: walked.append(top) or walk(top, **kw))

    assert quick_rebuild.keep_theme_listing()
    # A new loader on every build, as MkDocs makes one.
    assert FileSystemLoader([str(project), installed]).list_templates() == expected
    (project / "extra.css").write_text("", encoding="utf-8")  # added by the author under serve
    assert FileSystemLoader([str(project), installed]).list_templates() == sorted([*expected, "extra.css"])
    assert walked == [str(project), installed, str(project)]
