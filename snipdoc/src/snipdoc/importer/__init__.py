"""The notebook importer: a draft page and snippet from a Jupyter notebook, and the
drift report. It uses the engine."""
