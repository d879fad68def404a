"""Put a long-lived interpreter back into the state of a fresh one.

A snippet run in the warm worker must print exactly what it prints in a new
``python -m doctest`` process, so whatever one snippet changes in the
interpreter's global state is undone before the next one starts.
"""

from __future__ import annotations

import os
import random
import sys
import warnings


class FreshState:
    """Snapshot of a fresh interpreter, taken before any snippet ran."""

    def __init__(self) -> None:
        self.path = list(sys.path)
        self.environ = dict(os.environ)
        self.cwd = os.getcwd()
        self.filters = list(warnings.filters)
        self.modules = set(sys.modules)
        self.torch = _torch_state() if "torch" in sys.modules else None

    def restore(self) -> None:
        os.chdir(self.cwd)
        sys.path[:] = self.path
        if dict(os.environ) != self.environ:
            os.environ.clear()
            os.environ.update(self.environ)
        warnings.filters[:] = self.filters
        for name in set(sys.modules) - self.modules:
            if _is_local(sys.modules.get(name)):
                del sys.modules[name]  # helper modules are re-imported, so edits show
            else:
                self.modules.add(name)  # an installed module: checked once, kept
        random.seed()
        if self.torch is not None:
            _restore_torch(self.torch)
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
        if "matplotlib" in sys.modules:
            import matplotlib

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                matplotlib.rc_file_defaults()


def _is_local(module) -> bool:
    """A module that is not part of Python or an installed package."""
    path = getattr(module, "__file__", None)
    if not path:
        return False
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    return not any(os.path.abspath(path).startswith(p + os.sep) for p in prefixes)


def _torch_state() -> dict:
    import torch

    return {
        "print": dict(vars(torch._tensor_str.PRINT_OPTS)),
        "dtype": torch.get_default_dtype(),
        "device": torch.get_default_device(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "deterministic_warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "anomaly": torch.is_anomaly_enabled(),
        "threads": torch.get_num_threads(),
        "matmul_precision": torch.get_float32_matmul_precision(),
    }


def _restore_torch(saved: dict) -> None:
    import torch

    for key, value in saved["print"].items():
        setattr(torch._tensor_str.PRINT_OPTS, key, value)
    torch.set_default_dtype(saved["dtype"])
    if torch.get_default_device() != saved["device"]:
        torch.set_default_device(None)
    torch.set_grad_enabled(True)
    deterministic = (saved["deterministic"], saved["deterministic_warn_only"])
    # Only when changed: the call imports torch._inductor (800 modules, a second).
    if (torch.are_deterministic_algorithms_enabled(),
            torch.is_deterministic_algorithms_warn_only_enabled()) != deterministic:
        torch.use_deterministic_algorithms(deterministic[0], warn_only=deterministic[1])
    torch.set_anomaly_enabled(saved["anomaly"])
    if torch.get_num_threads() != saved["threads"]:
        torch.set_num_threads(saved["threads"])
    torch.set_float32_matmul_precision(saved["matmul_precision"])
    # A fresh process starts from a random seed. torch.seed() would also seed every
    # accelerator backend, recording a stack trace for each: seed what is in use.
    torch.default_generator.seed()
    if torch.cuda.is_initialized():
        torch.cuda.seed_all()
