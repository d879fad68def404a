"""pytest runs every snippet as a doctest in one process; each must see a fresh
interpreter, as `python -m doctest FILE` does, and a scratch working folder."""

import pytest

from snipdoc.state import FreshState


@pytest.fixture(scope="session")
def _fresh_state():
    import torch  # noqa: F401  (snapshot torch's state before any snippet changes it)

    return FreshState()


@pytest.fixture(autouse=True)
def fresh_interpreter(_fresh_state, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield
    _fresh_state.restore()
