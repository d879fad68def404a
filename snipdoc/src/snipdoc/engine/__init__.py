"""The engine: parses snippet files, runs each in a process of its own (a fork of a
server, or a fresh interpreter), caches runs by content, renders them, records
outputs and proves pages equal the reference command. It uses neither the site
integration nor the importer."""


def __getattr__(name):
    # Lazy, so that `python -m snipdoc.engine.forkserver` does not import the server twice.
    if name == "Engine":
        from .core import Engine

        return Engine
    raise AttributeError(name)
