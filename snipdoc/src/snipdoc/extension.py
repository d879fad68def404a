"""The Markdown extension under the dotted path earlier versions were configured by
(``- snipdoc.extension:`` in mkdocs.yml); ``- snipdoc:`` is the name to use."""

from .integration.extension import inputs_digest, makeExtension  # noqa: F401
