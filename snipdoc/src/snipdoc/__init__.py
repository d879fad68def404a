"""Executable doctest examples for Python-Markdown, MkDocs and Zensical sites.

Subpackages: ``engine`` (runs snippets), ``integration`` (Markdown extension,
MkDocs plugin, hooks), ``importer`` (notebooks to draft pages), and ``cli``.
The integration uses the engine, the importer uses the engine, the engine uses neither."""
