"""Under serve a rebuild highlights only code blocks it has not highlighted before, and
the HTML is the same as highlighting every block again."""

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
