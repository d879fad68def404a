"""The site integration: the Python-Markdown extension, the MkDocs plugin (notebooks,
assets) and the hooks (search, notebook CSS). It uses the engine."""
