"""pytest runs every snippet as a doctest in one process; each must see a fresh
interpreter, as `python -m doctest FILE` does, and a scratch working folder."""

import os
import tempfile

import pytest

from snipdoc.state import FreshState


@pytest.fixture(scope="session")
def _fresh_state():
    import torch  # noqa: F401  (snapshot torch's state before any snippet changes it)

    return FreshState()


@pytest.fixture(autouse=True)
def fresh_interpreter(_fresh_state):
    # A plain temporary folder: pytest's tmp_path costs more than most snippets.
    with tempfile.TemporaryDirectory(prefix="snippet-") as folder:
        os.chdir(folder)
        try:
            yield
        finally:
            _fresh_state.restore()  # also goes back to the starting folder
